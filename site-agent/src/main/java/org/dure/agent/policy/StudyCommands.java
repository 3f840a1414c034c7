package org.dure.agent.policy;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Instant;
import java.util.concurrent.Callable;
import org.dure.agent.AgentConfig;
import org.dure.agent.chain.PrivacyChain;
import org.dure.agent.privacy.PrivacyBudget;
import org.dure.protocol.study.StudySpec;
import org.dure.protocol.study.StudySpecParser;
import org.dure.agent.policy.StudyDecisions.Decision;
import org.dure.agent.policy.StudyDecisions.Kind;
import org.dure.agent.policy.StudyDecisions.Status;
import org.dure.agent.policy.StudyDecisions.StudyRecord;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * The data officer's commands: {@code dure agent studies | approve | refuse | withdraw}. They talk to the running
 * agent only through files in its work directory ({@link StudyDecisions}); the agent acts within about a second.
 */
public final class StudyCommands {
  private StudyCommands() {}

  abstract static class Base implements Callable<Integer> {
    @Option(names = {"-c", "--config"}, required = true, description = "The agent's configuration file (JSON).")
    Path config;
    @Spec CommandLine.Model.CommandSpec spec;

    StudyDecisions decisions() throws IOException {
      return new StudyDecisions(AgentConfig.load(config).workDir());
    }

    PrintWriter out() {
      return spec.commandLine().getOut();
    }

    /** Exit 0 done, 1 the decision does not fit the study's status (the sentence says why), 2 a file problem. */
    @Override public final Integer call() {
      try {
        return run();
      } catch (IOException | RuntimeException e) {
        // one sentence naming the file; the stack trace only at debug level
        spec.commandLine().getErr().println("dure agent " + spec.name() + ": " + org.dure.agent.AgentCli.message(e));
        org.dure.agent.AgentCli.debug("dure agent " + spec.name(), e);
        return 2;
      }
    }

    abstract int run() throws IOException;

    /** Queues a decision, after checking it makes sense for the study's status. */
    int decide(String id, Kind kind, String reason) throws IOException {
      StudyDecisions d = decisions();
      StudyRecord r = d.resolve(id);
      String problem = r.ended() != null ? "the study is over (" + r.endedStatus() + ")" + (kind == Kind.WITHDRAW
          ? "; nothing more leaves this site for it, and its participation stays on record" : "")
          : switch (kind) {
        case APPROVE -> r.status() == Status.PENDING || r.status() == Status.REFUSED ? null
            : r.status() == Status.REFUSED_BY_POLICY ? "the local policy refuses it (" + r.reason() + "); change the policy"
                + " file and restart the agent if the site should take part"
            : "it is " + r.status().name().toLowerCase();
        case REFUSE -> r.status() == Status.PENDING ? null
            : r.status() == Status.APPROVED ? "it is approved; use `dure agent withdraw` to leave it"
            : "it is " + r.status().name().toLowerCase().replace('_', ' ');
        case WITHDRAW -> r.status() == Status.APPROVED ? null
            : r.status() == Status.PENDING ? "it is still pending; use `dure agent refuse` instead"
            : "it is " + r.status().name().toLowerCase().replace('_', ' ');
      };
      if (problem != null) {
        spec.commandLine().getErr().printf("dure agent %s: cannot %s study %s (%s): %s%n", spec.name(),
            kind == Kind.WITHDRAW ? "withdraw from" : kind.name().toLowerCase(), r.id(), r.name(), problem);
        return 1;
      }
      d.request(new Decision(r.id(), kind, reason, r.specSha256(), Instant.now().toString()));
      out().printf("%s study %s (%s); the running agent acts on it within a second (or when it next starts)%n",
          switch (kind) { case APPROVE -> "Approved"; case REFUSE -> "Refused"; case WITHDRAW -> "Withdrew from"; },
          r.id(), r.name());
      return 0;
    }
  }

  @Command(name = "studies", mixinStandardHelpOptions = true,
      description = {"List the studies offered to this site: status and what each asks for (columns, model, rounds, privacy).",
          "Under each study, the site's privacy chain as it runs for it, in order: policy, approval, budget, clip-noise,"
              + " secure-aggregation, outbound-ledger, with their settings (the policy's caps, the budget left, the clip"
              + " and noise, secure aggregation on or off)."})
  public static final class Studies extends Base {
    @Override int run() throws IOException {
      StudyDecisions d = decisions();
      var all = d.all();
      if (all.isEmpty()) {
        out().println("No study has been offered to this site yet.");
        return 0;
      }
      AgentConfig cfg = AgentConfig.load(config);
      PrivacyChain chain = new PrivacyChain(cfg.siteId(), cfg.policy(), d,
          PrivacyBudget.open(cfg.workDir(), cfg.policy().caps()), DISPLAY_ONLY);
      String ledger = cfg.workDir().resolve(org.dure.agent.outbound.OutboundLedger.FILE).toString();
      out().printf("%-36s  %-24s  %-17s  %7s  %6s  %-19s  %-28s  %s%n", "id", "name", "status", "rows", "rounds", "model",
          "privacy", "columns (features; label)");
      for (StudyRecord r : all) {
        String status = r.status().name() + d.queued(r.id()).map(q -> " (" + q.kind().name().toLowerCase() + " queued)").orElse("")
            + (r.ended() == null ? "" : ", " + r.endedStatus());
        out().printf("%-36s  %-24s  %-17s  %7s  %6d  %-19s  %-28s  %s; %s%n", r.id(), r.name(), status,
            r.rows() < 0 ? "-" : String.valueOf(r.rows()), r.rounds(), r.model(), r.privacy(), String.join(", ", r.features()),
            r.label());
        if (r.reason() != null) out().printf("%-36s  %s%n", "", r.reason());
        printChain(chain, r, ledger);
      }
      return 0;
    }

    /** The study's privacy chain, one filter a line, in the order every message passes them. */
    private void printChain(PrivacyChain chain, StudyRecord r, String ledger) {
      StudySpec spec;
      try {
        spec = StudySpecParser.parse(r.spec());
      } catch (RuntimeException e) { // StudySpecException among them
        out().printf("%-36s  privacy chain: not shown: the recorded study definition does not parse (%s)%n", "",
            e.getMessage());
        return;
      }
      out().printf("%-36s  privacy chain (every message passes these in order; each fails closed):%n", "");
      for (String line : chain.describe(r.id(), spec, ledger)) out().printf("%-36s    %s%n", "", line);
    }
  }

  /** The chain of {@code dure agent studies} describes the filters; it sends nothing. */
  private static final PrivacyChain.Sink DISPLAY_ONLY = new PrivacyChain.Sink() {
    @Override public boolean send(org.dure.protocol.wire.AgentMessage message, java.util.List<String> filters) {
      return false;
    }

    @Override public boolean sendBinary(byte[] frame, java.util.List<String> filters) {
      return false;
    }
  };

  @Command(name = "approve", mixinStandardHelpOptions = true,
      description = {"Approve a pending study, or one refused before: the agent reads its data again, sends its signed"
          + " approval within a second, and joins the study's next round if the study still runs.",
          "Exit 0 queued, 1 the study's status does not allow it (the study is over, refused by the policy, ...), 2 a file problem."})
  public static final class Approve extends Base {
    @Parameters(index = "0", description = "The study id (or a unique prefix).")
    String id;

    @Override int run() throws IOException {
      return decide(id, Kind.APPROVE, null);
    }
  }

  @Command(name = "refuse", mixinStandardHelpOptions = true,
      description = "Refuse a pending study; the researcher sees the reason.")
  public static final class Refuse extends Base {
    @Parameters(index = "0", description = "The study id (or a unique prefix).")
    String id;
    @Option(names = "--reason", required = true, description = "Why, for the researcher.")
    String reason;

    @Override int run() throws IOException {
      return decide(id, Kind.REFUSE, reason);
    }
  }

  @Command(name = "withdraw", mixinStandardHelpOptions = true,
      description = "Withdraw this site from an approved study: nothing more is sent for it, and the coordinator is told (signed).")
  public static final class Withdraw extends Base {
    @Parameters(index = "0", description = "The study id (or a unique prefix).")
    String id;
    @Option(names = "--reason", description = "Why, for the researcher and the ledger (default: ${DEFAULT-VALUE}).",
        defaultValue = "withdrawn by the site's data officer")
    String reason;

    @Override int run() throws IOException {
      return decide(id, Kind.WITHDRAW, reason);
    }
  }
}
