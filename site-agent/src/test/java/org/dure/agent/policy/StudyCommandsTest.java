package org.dure.agent.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.dure.agent.SiteAgentMain;
import org.dure.agent.policy.StudyDecisions.Decision;
import org.dure.agent.policy.StudyDecisions.Kind;
import org.dure.agent.policy.StudyDecisions.Status;
import org.dure.agent.policy.StudyDecisions.StudyRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class StudyCommandsTest {
  private static final String ID = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0";
  @TempDir Path dir;

  private Path config() throws Exception {
    return Files.writeString(dir.resolve("agent.json"), """
        {"siteId": "hospital-a", "coordinator": "wss://127.0.0.1:8471/agents", "data": {"csv": "x.csv"}, "workDir": "work"}""");
  }

  private StudyDecisions store() {
    return new StudyDecisions(dir.resolve("work"));
  }

  private void offered(Status status) throws Exception {
    store().put(new StudyRecord(ID, "sepsis-risk", List.of("age", "lactate"), "outcome = 1", "mlp [16]", 20,
        "secure aggregation, no DP", 1200, "ab12", "2025-01-01T00:00:00Z", status, null, null, "{}"));
  }

  private void offered(Status status, String ended) throws Exception {
    store().put(new StudyRecord(ID, "sepsis-risk", List.of("age", "lactate"), "outcome = 1", "mlp [16]", 20,
        "secure aggregation, no DP", 1200, "ab12", "2025-01-01T00:00:00Z", status, null, null, "{}", ended));
  }

  private record Run(int exit, String out, String err) {}

  private Run run(String... args) {
    StringWriter out = new StringWriter(), err = new StringWriter();
    CommandLine cli = new CommandLine(new SiteAgentMain());
    cli.setOut(new PrintWriter(out));
    cli.setErr(new PrintWriter(err));
    int exit = cli.execute(args);
    return new Run(exit, out.toString(), err.toString());
  }

  @Test void approveQueuesADecisionBoundToTheDefinitionTheOfficerSaw() throws Exception {
    offered(Status.PENDING);

    Run r = run("approve", ID.substring(0, 8), "--config", config().toString());

    assertEquals(0, r.exit(), r.err());
    List<Decision> queued = store().take();
    assertEquals(1, queued.size());
    assertEquals(Kind.APPROVE, queued.get(0).kind());
    assertEquals("ab12", queued.get(0).specSha256());
    assertEquals(List.of(), store().take(), "the agent takes each decision once");
  }

  @Test void studiesListsWhatEachStudyAsksForAndAQueuedDecision() throws Exception {
    offered(Status.PENDING);
    run("refuse", ID, "--reason", "no ethics approval", "--config", config().toString());

    Run r = run("studies", "--config", config().toString());

    assertEquals(0, r.exit(), r.err());
    assertTrue(r.out().contains(ID) && r.out().contains("sepsis-risk") && r.out().contains("PENDING (refuse queued)")
        && r.out().contains("mlp [16]") && r.out().contains("age, lactate; outcome = 1")
        && r.out().contains("secure aggregation, no DP"), r.out());
  }

  @Test void refuseNeedsAReasonAndWithdrawNeedsAnApprovedStudy() throws Exception {
    offered(Status.PENDING);

    Run noReason = run("refuse", ID, "--config", config().toString());
    Run withdraw = run("withdraw", ID, "--config", config().toString());

    assertEquals(2, noReason.exit());
    assertTrue(noReason.err().contains("--reason"), noReason.err());
    assertEquals(1, withdraw.exit());
    assertTrue(withdraw.err().contains("it is still pending; use `dure agent refuse` instead"), withdraw.err());
    assertEquals(List.of(), store().take());
  }

  /** Issue 20: withdrawing from a COMPLETED study was accepted (and erased the site's record at the coordinator). */
  @Test void withdrawingFromAnEndedStudyIsRefusedWithOnePlainSentence() throws Exception {
    offered(Status.APPROVED, "COMPLETED: all 20 rounds completed");

    Run r = run("withdraw", ID, "--config", config().toString());
    Run listed = run("studies", "--config", config().toString());

    assertEquals(1, r.exit(), r.err());
    assertEquals("dure agent withdraw: cannot withdraw from study " + ID + " (sepsis-risk): the study is over (COMPLETED);"
        + " nothing more leaves this site for it, and its participation stays on record" + System.lineSeparator(), r.err());
    assertEquals(List.of(), store().take(), "nothing queued");
    assertTrue(listed.out().contains("APPROVED, COMPLETED"), listed.out());
  }

  /** Issue 20: an approval after a refusal is queued; the running agent sends it (StudyApprovalTest). */
  @Test void approvingARefusedStudyIsQueuedButNotOnceTheStudyIsOver() throws Exception {
    offered(Status.REFUSED);
    Run approved = run("approve", ID, "--config", config().toString());
    assertEquals(0, approved.exit(), approved.err());
    assertEquals(Kind.APPROVE, store().take().get(0).kind());

    offered(Status.REFUSED, "STOPPED: stopped by dr.kim");
    Run over = run("approve", ID, "--config", config().toString());
    assertEquals(1, over.exit());
    assertEquals("dure agent approve: cannot approve study " + ID + " (sepsis-risk): the study is over (STOPPED)"
        + System.lineSeparator(), over.err());
  }

  /** Issue 20: CLI errors are one sentence naming the file, exit 2, never a stack trace. */
  @Test void anUnreadableStudyRecordIsOneSentenceNamingTheFileWithExitTwo() throws Exception {
    Path record = store().directory().resolve(ID + ".json");
    Files.createDirectories(record.getParent());
    Files.writeString(record, "{\"id\": ");

    Run r = run("studies", "--config", config().toString());

    assertEquals(2, r.exit(), r.err());
    assertEquals(1, r.err().lines().count(), r.err());
    assertTrue(r.err().startsWith("dure agent studies: cannot read the study record " + record + " ("), r.err());
    assertTrue(!r.err().contains("\tat ") && !r.err().contains("Exception"), r.err());
  }

  @Test void agentCommandsReportFileProblemsInOneSentenceWithoutAStackTrace() throws Exception {
    Path cfg = config();
    Path missing = dir.resolve("nowhere.pem");
    java.util.List<Run> runs = List.of(
        run("install-cert", "--site-id", "hospital-a", "--dir", dir.resolve("pki").toString(), "--cert", missing.toString(),
            "--ca", missing.toString()),
        run("--config", dir.resolve("absent.json").toString()),
        run("outbound", "--config", cfg.toString()),
        run("pseudonymise", "--config", cfg.toString()));
    Run enrolTwice = run("enrol", "--site-id", "hospital-a", "--dir", dir.resolve("pki-taken").toString());
    assertEquals(0, enrolTwice.exit(), enrolTwice.err());
    Run again = run("enrol", "--site-id", "hospital-a", "--dir", dir.resolve("pki-taken").toString());

    assertEquals("dure agent install-cert: cannot read " + missing + ": no such file", runs.get(0).err().strip());
    for (Run r : List.of(runs.get(0), runs.get(1), runs.get(3), again)) {
      assertEquals(2, r.exit(), r.err());
      assertEquals(1, r.err().lines().count(), r.err());
      assertTrue(r.err().startsWith("dure agent"), r.err());
      assertTrue(!r.err().contains("\tat ") && !r.err().contains("Exception"), r.err());
    }
    assertTrue(again.err().contains("already exists; to renew the certificate use --renew"), again.err());
    assertEquals("rwx------", java.nio.file.attribute.PosixFilePermissions.toString(
        Files.getPosixFilePermissions(dir.resolve("pki-taken"))), "the TLS directory holds the key: owner-only");
    Run outbound = runs.get(2); // no ledger yet: an empty, intact chain
    assertTrue(!outbound.err().contains("\tat "), outbound.err());
  }

  @Test void studiesShowsThePrivacyChainAsItRunsForEachStudy() throws Exception {
    String spec = """
        {"name": "sepsis-risk", "model": {"kind": "logistic_regression"}, "features": ["age", "lactate"],
         "label": {"column": "outcome", "positive": "1"}, "training": {"rounds": 20},
         "privacy": {"secureAggregation": {"enabled": true},
                     "differentialPrivacy": {"noiseMultiplier": 1.1, "clipNorm": 1.0, "delta": 1e-5}}, "minSites": 2}""";
    store().put(new StudyRecord(ID, "sepsis-risk", List.of("age", "lactate"), "outcome = 1", "logistic_regression", 20,
        "secure aggregation, DP σ=1.1 δ=1.0E-5", 1200, "ab12", "2025-01-01T00:00:00Z", Status.APPROVED, null, null, spec));

    Run r = run("studies", "--config", config().toString());

    assertEquals(0, r.exit(), r.err());
    String out = r.out();
    assertTrue(out.contains("privacy chain (every message passes these in order; each fails closed):"), out);
    int policy = out.indexOf("1. policy: "), approval = out.indexOf("2. approval: status APPROVED"),
        budget = out.indexOf("3. budget: ε spent 0.000"), noise = out.indexOf("4. clip-noise: DP-SGD per-example clip C = 1"),
        secure = out.indexOf("5. secure-aggregation: on"), ledger = out.indexOf("6. outbound-ledger: ");
    assertTrue(0 < policy && policy < approval && approval < budget && budget < noise && noise < secure && secure < ledger, out);
    assertTrue(out.contains("secure rounds of at least 3 sites"), out);
    assertTrue(out.contains(dir.resolve("work").resolve("outbound.log").toString()), out);
  }

  @Test void aStudyWhoseRecordedDefinitionDoesNotParseIsListedWithoutItsChain() throws Exception {
    offered(Status.PENDING);

    Run r = run("studies", "--config", config().toString());

    assertEquals(0, r.exit(), r.err());
    assertTrue(r.out().contains("privacy chain: not shown: the recorded study definition does not parse"), r.out());
  }
}
