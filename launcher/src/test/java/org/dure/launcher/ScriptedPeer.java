package org.dure.launcher;

import java.io.ByteArrayOutputStream;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.dure.cohort.CohortGenerator;
import org.dure.crypto.pki.SiteKeys;
import org.dure.crypto.sign.SiteSignatures.Purpose;
import org.dure.crypto.sign.SiteSignatures;
import org.dure.protocol.study.FeatureSpec;
import org.dure.protocol.study.StudySpec;
import org.dure.protocol.study.StudySpecParser;
import org.dure.protocol.wire.AgentMessage;
import org.dure.protocol.wire.CoordinatorMessage;
import org.dure.protocol.wire.Frames;
import org.dure.protocol.wire.SiteStatistics;
import org.dure.protocol.wire.WireJson;
import org.dure.testing.TestConsortium;

/**
 * A real enrolled site over mutual TLS (JDK WebSocket, the site's own key and certificate) that approves the
 * example study with a valid signature and sends statistics for 100 rows; what it does next is scripted.
 */
final class ScriptedPeer {
  /** What the peer does when the global model of a round arrives. */
  interface OnRound {
    void act(WebSocket ws, Frames.ModelFrame global) throws Exception;
  }

  /** What the peer does with any other coordinator message. */
  interface OnMessage {
    void act(WebSocket ws, CoordinatorMessage message) throws Exception;
  }

  final String site;
  final PrivateKey key;
  final X509Certificate certificate;
  WebSocket ws;

  private ScriptedPeer(String site, PrivateKey key, X509Certificate certificate) {
    this.site = site;
    this.key = key;
    this.certificate = certificate;
  }

  static ScriptedPeer connect(TestConsortium c, String site, OnRound onRound) throws Exception {
    return connect(c, site, onRound, (ws, m) -> {});
  }

  static ScriptedPeer connect(TestConsortium c, String site, OnRound onRound, OnMessage onMessage) throws Exception {
    return connect(c, site, onRound, onMessage, true);
  }

  /** A connected, enrolled site that says hello and then never answers anything (an agent that failed on the offer). */
  static ScriptedPeer mute(TestConsortium c, String site) throws Exception {
    return connect(c, site, (ws, global) -> {}, (ws, m) -> {}, false);
  }

  private static ScriptedPeer connect(TestConsortium c, String site, OnRound onRound, OnMessage onMessage,
                                      boolean answersOffers) throws Exception {
    Path tls = c.pki.siteTls().containsKey(site) ? c.pki.siteTls().get(site) : c.pki.enrol(site);
    ScriptedPeer peer = new ScriptedPeer(site, SiteKeys.readPrivateKey(Files.readString(tls.resolve("site-key.pem"))),
        SiteKeys.readCertificate(Files.readString(tls.resolve("site-cert.pem"))));
    WebSocket.Listener listener = new WebSocket.Listener() {
      final StringBuilder text = new StringBuilder();
      final ByteArrayOutputStream binary = new ByteArrayOutputStream();

      @Override public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
        text.append(data);
        if (last) {
          CoordinatorMessage m = WireJson.readCoordinator(text.toString());
          text.setLength(0);
          try {
            if (!answersOffers) {
              // silent
            } else if (m instanceof CoordinatorMessage.StudyOffer o) {
              byte[] sig = SiteSignatures.sign(peer.key, Purpose.STUDY_APPROVAL, site, o.studyId(), 0,
                  StudySpec.sha256(o.spec()));
              ws.sendText(WireJson.write(new AgentMessage.StudyAccepted(o.studyId(), 100, Base64.getEncoder().encodeToString(sig))), true);
            } else if (m instanceof CoordinatorMessage.StatisticsRequest r) {
              ws.sendText(WireJson.write(new AgentMessage.Statistics(r.studyId(), statistics())), true);
            } else {
              onMessage.act(ws, m);
            }
          } catch (Exception e) {
            throw new IllegalStateException(e);
          }
        }
        ws.request(1);
        return null;
      }

      @Override public CompletionStage<?> onBinary(WebSocket ws, ByteBuffer data, boolean last) {
        byte[] chunk = new byte[data.remaining()];
        data.get(chunk);
        binary.writeBytes(chunk);
        if (last) {
          Frames.ModelFrame f = Frames.decodeModel(binary.toByteArray());
          binary.reset();
          try {
            if (f.kind() == Frames.Kind.GLOBAL_TRAIN) onRound.act(ws, f);
          } catch (Exception e) {
            throw new IllegalStateException(e);
          }
        }
        ws.request(1);
        return null;
      }
    };
    peer.ws = HttpClient.newBuilder().sslContext(siteTls(c, peer.key, peer.certificate)).build().newWebSocketBuilder()
        .buildAsync(c.agentUri(), listener).get();
    peer.ws.sendText(WireJson.write(new AgentMessage.Hello("test", 0L)), true);
    return peer;
  }

  void abort() {
    ws.abort();
  }

  private static SSLContext siteTls(TestConsortium c, PrivateKey key, X509Certificate cert) throws Exception {
    KeyStore ks = KeyStore.getInstance("PKCS12");
    ks.load(null, null);
    ks.setKeyEntry("site", key, new char[0], new Certificate[] {cert});
    KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    kmf.init(ks, new char[0]);
    KeyStore trust = KeyStore.getInstance("PKCS12");
    trust.load(null, null);
    trust.setCertificateEntry("ca", SiteKeys.readCertificate(Files.readString(c.pki.coordinatorPki().resolve("ca-cert.pem"))));
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trust);
    SSLContext ctx = SSLContext.getInstance("TLSv1.3");
    ctx.init(kmf.getKeyManagers(), tmf.getTrustManagers(), null);
    return ctx;
  }

  /** Plausible statistics of 100 rows of the example study. */
  static SiteStatistics statistics() {
    StudySpec spec = StudySpecParser.parse(CohortGenerator.exampleStudyJson());
    List<SiteStatistics.NumericMoments> moments = new ArrayList<>();
    for (FeatureSpec f : spec.features())
      if (f.type() == FeatureSpec.Type.NUMERIC) moments.add(new SiteStatistics.NumericMoments(f.name(), 100, 5000, 260000));
    return new SiteStatistics(100, 100, 0, 0, Map.of(), Map.of(), moments);
  }
}
