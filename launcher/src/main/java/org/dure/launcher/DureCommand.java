package org.dure.launcher;

import org.dure.agent.SiteAgentMain;

import org.dure.bench.Bench;
import org.dure.cohort.GenerateCohort;
import org.dure.coordinator.CoordinatorMain;
import org.dure.coordinator.admin.AdminCommand;
import org.dure.coordinator.ledger.LedgerCommand;
import org.dure.launcher.client.ModelCommand;
import org.dure.launcher.client.StudyCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code dure}: the one command line of the project. */
@Command(name = "dure", mixinStandardHelpOptions = true, version = "dure 0.1.0",
    description = "Dure: privacy-preserving federated learning for hospital consortia.",
    subcommands = {DemoCommand.class, RehearseCommand.class, StudyCommand.class, ModelCommand.class, AdminCommand.class, LedgerCommand.class, CoordinatorMain.class, SiteAgentMain.class,
        GenerateCohort.class, Bench.class, CommandLine.HelpCommand.class})
public final class DureCommand implements Runnable {
  static final String HAZELCAST_OPENS = "--add-modules java.se --add-exports java.base/jdk.internal.ref=ALL-UNNAMED"
      + " --add-opens java.base/java.lang=ALL-UNNAMED --add-opens java.base/sun.nio.ch=ALL-UNNAMED"
      + " --add-opens java.management/sun.management=ALL-UNNAMED --add-opens jdk.management/com.sun.management.internal=ALL-UNNAMED";

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override public void run() {
    spec.commandLine().usage(System.out);
  }

  public static void main(String[] args) {
    System.exit(new CommandLine(new DureCommand()).execute(args));
  }
}
