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
}
