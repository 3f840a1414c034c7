package org.dure.coordinator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.hazelcast.client.HazelcastClient;
import com.hazelcast.client.config.ClientConfig;
import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.slf4j.LoggerFactory;

/**
 * Issue 13, finding 4: a plain Hazelcast client read all study state from the coordinator's member port and
 * rewrote a study's owner. Here a real coordinator holds a real study, and a real Hazelcast client and a real
 * Hazelcast member attack its member port: neither gets in, and the study is unchanged.
 */
class HazelcastMemberPortTest {
  static final String STUDY = """
      {"name": "hz-attack", "model": {"kind": "mlp", "hiddenLayers": [8], "activation": "tanh"},
       "features": ["age", {"name": "sex", "type": "categorical", "categories": ["F", "M"]}],
       "label": {"column": "outcome", "positive": "1"}, "training": {"rounds": 3}, "minSites": 2}
      """;
  @TempDir static Path dir;
  static SecuredCoordinator c;
  static String studyId;
  static String studyBefore;
  static Map<Path, String> stateBefore;

  static final ListAppender<ILoggingEvent> logged = new ListAppender<>();
  static Level hazelcastLevel;

  @BeforeAll static void start() throws Exception {
    Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    Logger hz = (Logger) LoggerFactory.getLogger("com.hazelcast");
    hazelcastLevel = hz.getLevel();
    hz.setLevel(Level.DEBUG);
    logged.start();
    root.addAppender(logged);
    c = new SecuredCoordinator(dir);
    SecuredCoordinator.Reply created = c.send(c.aliceToken, "POST", "/api/studies", STUDY);
    assertEquals(201, created.status(), String.valueOf(created.body()));
    studyId = created.body().path("id").asText();
    studyBefore = c.send(c.aliceToken, "GET", "/api/studies/" + studyId, null).body().toString();
    stateBefore = stateFiles();
    assertTrue(stateBefore.keySet().stream().anyMatch(p -> p.toString().contains(studyId)), "the study is persisted: " + stateBefore.keySet());
  }

  @AfterAll static void stop() {
    c.close();
    ((Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)).detachAppender(logged);
    ((Logger) LoggerFactory.getLogger("com.hazelcast")).setLevel(hazelcastLevel);
  }

  @Test void theSecretClusterNameIsNeverLogged() {
    List<String> leaks;
    synchronized (logged) {
      leaks = List.copyOf(logged.list).stream().map(ILoggingEvent::getFormattedMessage)
          .filter(m -> m != null && SECRET_NAME.matcher(m).find()).toList();
    }
    assertTrue(logged.list.size() > 10, "Hazelcast logged at DEBUG: " + logged.list.size());
    assertTrue(leaks.isEmpty(), "the random cluster name appears in the log: " + leaks);
  }

  static final Pattern SECRET_NAME = Pattern.compile("dure-[0-9a-f]{32}");

  static Map<Path, String> stateFiles() throws Exception {
    Map<Path, String> out = new TreeMap<>();
    try (Stream<Path> s = Files.walk(dir.resolve("data/state"))) {
      for (Path p : s.filter(Files::isRegularFile).toList()) out.put(p, Files.readString(p));
    }
    return out;
  }

  static void assertStudyUnchanged() throws Exception {
    assertEquals(studyBefore, c.send(c.aliceToken, "GET", "/api/studies/" + studyId, null).body().toString());
    assertEquals(stateBefore, stateFiles());
  }

  @Test void theMemberListensOnLoopbackOnly() {
    InetSocketAddress member = c.coordinator.hazelcastMemberAddress();
    assertTrue(member.getAddress().isLoopbackAddress(), member.toString());
  }

  @ParameterizedTest
  @ValueSource(strings = {"dev", "dure", "hz-attack"})
  void aHazelcastClientCannotConnectToTheMemberPortToReadOrRewriteStudies(String clusterName) throws Exception {
    InetSocketAddress member = c.coordinator.hazelcastMemberAddress();
    ClientConfig cc = new ClientConfig();
    cc.setClusterName(clusterName);
    cc.setProperty("hazelcast.logging.type", "slf4j");
    cc.setProperty("hazelcast.phone.home.enabled", "false");
    cc.getNetworkConfig().addAddress(member.getHostString() + ":" + member.getPort()).setConnectionTimeout(2000).setSmartRouting(false);
    cc.getConnectionStrategyConfig().getConnectionRetryConfig().setClusterConnectTimeoutMillis(3000);
    long t0 = System.nanoTime();
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> {
      HazelcastInstance client = HazelcastClient.newHazelcastClient(cc);
      try {
        client.getMap("dure.studies").put(studyId, "{\"owner\":\"mallory\"}");
      } finally {
        client.shutdown();
      }
    });
    assertTrue(e.getMessage().contains("Unable to connect"), e.toString());
    assertTrue(System.nanoTime() - t0 < 30_000_000_000L, "the attempt is bounded");
    assertStudyUnchanged();
  }

  @Test void aHazelcastMemberWithTheDefaultClusterNameCannotJoinAndSeesNoState() throws Exception {
    InetSocketAddress member = c.coordinator.hazelcastMemberAddress();
    Config cfg = new Config();
    cfg.setClusterName("dure");
    cfg.setProperty("hazelcast.logging.type", "slf4j");
    cfg.setProperty("hazelcast.phone.home.enabled", "false");
    cfg.setProperty("hazelcast.socket.bind.any", "false");
    cfg.setProperty("hazelcast.wait.seconds.before.join", "0");
    cfg.setProperty("hazelcast.max.join.seconds", "10");
    cfg.setProperty("hazelcast.shutdownhook.enabled", "false");
    cfg.getNetworkConfig().setPort(0).getInterfaces().setEnabled(true).addInterface("127.0.0.1");
    JoinConfig j = cfg.getNetworkConfig().getJoin();
    j.getMulticastConfig().setEnabled(false);
    j.getAutoDetectionConfig().setEnabled(false);
    j.getTcpIpConfig().setEnabled(true).addMember(member.getHostString() + ":" + member.getPort());
    HazelcastInstance intruder = Hazelcast.newHazelcastInstance(cfg);
    try {
      assertEquals(1, intruder.getCluster().getMembers().size(), "the intruder must be alone: " + intruder.getCluster().getMembers());
      assertTrue(intruder.getMap("dure.studies").isEmpty());
      intruder.getMap("dure.studies").put(studyId, "{\"owner\":\"mallory\"}");
    } finally {
      intruder.shutdown();
    }
    assertStudyUnchanged();
  }
}
