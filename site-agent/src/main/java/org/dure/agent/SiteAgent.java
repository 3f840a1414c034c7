package org.dure.agent;

import io.vertx.core.Vertx;
import java.io.IOException;
import org.dure.agent.connection.CoordinatorLink;
import org.dure.agent.data.LocalData;
import org.dure.agent.identity.SiteIdentity;
import org.dure.agent.ledger.ReceiptChecker;
import org.dure.agent.policy.StudyDecisions;
import org.dure.agent.privacy.PrivacyBudget;
import org.dure.agent.study.StudyWork;
import org.dure.protocol.wire.AgentMessage;
import org.dure.protocol.wire.CoordinatorMessage;
import org.dure.protocol.wire.Frames;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running site agent: one outbound connection to the coordinator and the local study work behind it.
 */
public final class SiteAgent implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(SiteAgent.class);
  public static final String VERSION = "0.1.0";
  private final Vertx vertx;
  private final CoordinatorLink link;
  private final StudyWork work;
  private final org.dure.agent.metrics.AgentMetrics metrics;
  private volatile int metricsPort = -1;

  private SiteAgent(AgentConfig config, SiteIdentity identity, org.dure.agent.outbound.OutboundLedger outbound,
                    LocalData data, PrivacyBudget budget) throws IOException {
    CoordinatorLink[] holder = new CoordinatorLink[1];
    this.metrics = config.metricsPort() == null ? org.dure.agent.metrics.AgentMetrics.NONE
        : org.dure.agent.metrics.AgentMetrics.prometheus(VERSION);
    org.dure.agent.metrics.AgentMetrics m = metrics;
    m.epsilon(budget::spentByStudy);
    ReceiptChecker receipts = new ReceiptChecker(config.siteId(), config.workDir());
    this.work = new StudyWork(identity, data, receipts, () -> holder[0].coordinatorKey(), config.policy(),
        new StudyDecisions(config.workDir()), budget, config.workDir(), new StudyWork.Outbox() {
      @Override public boolean send(AgentMessage m) {
        return send(m, java.util.List.of());
      }

      @Override public boolean sendBinary(byte[] frame) {
        return sendBinary(frame, java.util.List.of());
      }

      @Override public boolean send(AgentMessage m, java.util.List<String> filters) {
        return holder[0].send(m, filters);
      }

      @Override public boolean sendBinary(byte[] frame, java.util.List<String> filters) {
        boolean sent = holder[0].sendBinary(frame, filters);
        Frames.Kind kind = sent ? Frames.readHeader(frame).kind() : null;
        if (kind == Frames.Kind.SITE_UPDATE || kind == Frames.Kind.MASKED_INPUT) m.roundContributed(kind == Frames.Kind.MASKED_INPUT);
        return sent;
      }
    });
    work.metrics(m);
    org.dure.agent.outbound.OutboundRecorder recorded = new org.dure.agent.outbound.OutboundRecorder() {
      @Override public void record(boolean binary, byte[] payload) throws IOException {
        record(binary, payload, java.util.List.of());
      }

      @Override public void record(boolean binary, byte[] payload, java.util.List<String> filters) throws IOException {
        outbound.record(binary, payload, filters);
        m.outbound(binary, payload.length);
      }
    };
    this.vertx = Vertx.vertx(); // after the study work, which may refuse to start (unreadable decisions)
    this.link = new CoordinatorLink(vertx, config.coordinator(), identity, VERSION, recorded, config.link(), new CoordinatorLink.Listener() {
      @Override public void connected() {
        m.connected();
      }

      @Override public void message(CoordinatorMessage message) {
        work.handle(message);
      }

      @Override public void frame(Frames.ModelFrame frame) {
        work.handle(frame);
      }

      @Override public void disconnected() {
        m.disconnected();
      }

      @Override public void deadConnection() {
        m.deadConnection();
      }

      @Override public long ledgerTreeSize() {
        return receipts.treeSize();
      }
    });
    holder[0] = link;
  }

  /**
   * Checks the site's identity and starts the agent; it connects (and keeps reconnecting) in the background.
   *
   * @throws IOException when the TLS directory is incomplete, or the certificate is expired, for another site,
   *     from another CA or for another key (the message says what to do), or when the outbound ledger in the work
   *     directory cannot be opened for writing (nothing would be allowed to leave)
   */
  public static SiteAgent start(AgentConfig config) throws IOException {
    SiteIdentity identity = SiteIdentity.load(config.tlsDir(), config.siteId());
    if (identity.renewalDue()) {
      log.warn("the site certificate expires at {}: renew it now with `dure agent enrol --renew`",
          identity.certificate().getNotAfter().toInstant());
    }
    LocalData data = checkedData(config);
    PrivacyBudget budget = PrivacyBudget.open(config.workDir(), config.privacyCaps());
    // Every message that leaves is recorded here first; without a writable ledger the agent does not start.
    org.dure.agent.outbound.OutboundLedger outbound = org.dure.agent.outbound.OutboundLedger.open(config.workDir());
    checkOutboundLedger(outbound.file());
    SiteAgent a = new SiteAgent(config, identity, outbound, data, budget);
    log.info("site agent {} starting; data {}, coordinator {}", config.siteId(), config.data().describe(), config.coordinator());
    log.info("local policy: {}", config.policy().describe());
    log.info("connection: {}{}", config.link().describe(), config.link().proxy() != null && a.link.proxy() == null
        ? " (but not for " + config.coordinator().getHost() + ", which NO_PROXY names: direct)" : "");
    if (config.metricsPort() != null) {
      try {
        a.metricsPort = a.metrics.serve(a.vertx, config.metricsPort()).toCompletionStage().toCompletableFuture()
            .get(10, java.util.concurrent.TimeUnit.SECONDS);
        log.info("metrics on http://127.0.0.1:{}/metrics (loopback only)", a.metricsPort);
      } catch (Exception e) {
        a.close();
        throw new IOException("cannot serve the agent's metrics on 127.0.0.1:" + config.metricsPort() + ": " + e.getMessage(), e);
      }
    }
    a.link.open();
    return a;
  }

  /**
   * A broken outbound ledger is not appended to as if it were intact (issue 18, faults): the agent does not start and
   * names the line. A last line cut short (the machine stopped mid-write) is the one break it carries on from; the
   * line stays in the file as a broken line of its own for {@code dure agent outbound} to show.
   */
  static void checkOutboundLedger(java.nio.file.Path file) throws IOException {
    org.dure.agent.outbound.OutboundReader.Verification v = org.dure.agent.outbound.OutboundReader.read(file);
    if (v.intact()) return;
    if (v.firstBadLine() == v.lines() && v.problem().contains("cut short")) {
      log.warn("the outbound ledger {}: {}; carrying on after it", file, v.problem());
      return;
    }
    throw new IOException("the outbound ledger " + file + " is broken at line " + v.firstBadLine() + ": " + v.problem()
        + "; the agent does not start, so that what leaves this site stays accounted for. Keep the file for the data"
        + " officer (`dure agent outbound --config …` shows it), then restore it from a backup or move it aside to begin"
        + " a new ledger");
  }

  /**
   * Opens the site's data and pseudonymises it once now, so that identifiers in undeclared columns or a bad
   * pseudonymisation configuration stop the agent before it connects. Data that cannot be read at this moment (a
   * database down) does not: studies offered meanwhile are declined with the reason.
   */
  private static LocalData checkedData(AgentConfig config) throws IOException {
    LocalData data = LocalData.open(config.data(), config.pseudonymisation(), config.workDir());
    try {
      org.dure.tabular.Table t = data.read();
      log.info("data {}: {} rows, {} columns after pseudonymisation{}", data.describe(), t.rowCount(), t.header().size(),
          data.pseudonymised() ? " (report: " + config.workDir().resolve(LocalData.REPORT_TEXT) + ")" : " (none configured;"
              + " identifier scan passed)");
    } catch (org.dure.pseudonymisation.IdentifierFoundException | IllegalArgumentException e) {
      throw new IOException(e.getMessage(), e);
    } catch (org.dure.tabular.DataException | IOException e) {
      log.warn("cannot prepare the data {} now: {}; studies will be declined until this is fixed", data.describe(), e.getMessage());
    }
    return data;
  }

  /** The coordinator's last refusal reason, or null. */
  public String lastRefusal() {
    return link.lastRefusal();
  }

  /** The loopback port of the metrics listener, or -1 when the configuration asks for none. */
  public int metricsPort() {
    return metricsPort;
  }

  public boolean isConnected() {
    return link.isConnected();
  }

  /** The connection to the coordinator (attempts made, dead links found, the proxy in use). */
  public CoordinatorLink link() {
    return link;
  }

  @Override public void close() {
    link.close();
    work.close();
    metrics.close();
    try {
      vertx.close().toCompletionStage().toCompletableFuture().get();
    } catch (Exception e) {
      log.debug("while closing: {}", e.toString());
    }
  }
}
