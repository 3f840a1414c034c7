package org.dure.launcher;

import org.dure.agent.SiteAgentMain;

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
    footer = {"", "Benchmarks: ./dure bench --help (the bench module, run on its own classpath: no benchmark code is on this"
        + " command line's classpath or in the deployed jars and images)."},
    subcommands = {DemoCommand.class, RehearseCommand.class, StudyCommand.class, ModelCommand.class, AdminCommand.class, LedgerCommand.class, CoordinatorMain.class, SiteAgentMain.class,
        GenerateCohort.class, CommandLine.HelpCommand.class})
public final class DureCommand implements Runnable {
  static final String HAZELCAST_OPENS = "--add-modules java.se --add-exports java.base/jdk.internal.ref=ALL-UNNAMED"
      + " --add-opens java.base/java.lang=ALL-UNNAMED --add-opens java.base/sun.nio.ch=ALL-UNNAMED"
      + " --add-opens java.management/sun.management=ALL-UNNAMED --add-opens jdk.management/com.sun.management.internal=ALL-UNNAMED";

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override public void run() {
    spec.commandLine().usage(System.out);
  }

  public static void main(String[] args) {
    System.exit(commandLine().execute(args));
  }

  /**
   * The command line with one rule for what no command handled itself: one sentence on stderr naming the command and
   * the file or cause, exit code 1, and the stack trace only in the log at debug level.
   */
  public static CommandLine commandLine() {
    CommandLine cl = new CommandLine(new DureCommand());
    cl.setExecutionExceptionHandler((e, cmd, parsed) -> {
      org.slf4j.LoggerFactory.getLogger(DureCommand.class).debug("dure {} failed", cmd.getCommandName(), e);
      cmd.getErr().println(name(cmd) + ": " + sentence(e));
      return CommandLine.ExitCode.SOFTWARE;
    });
    return cl;
  }

  private static String name(CommandLine cmd) {
    StringBuilder b = new StringBuilder(cmd.getCommandName());
    for (CommandLine c = cmd.getParent(); c != null; c = c.getParent()) b.insert(0, c.getCommandName() + " ");
    return b.toString();
  }

  /** What went wrong, in words: the file for file errors, the message otherwise, never a class name alone. */
  static String sentence(Throwable e) {
    Throwable t = e;
    while ((t instanceof java.util.concurrent.ExecutionException || t instanceof java.util.concurrent.CompletionException
        || t instanceof java.io.UncheckedIOException) && t.getCause() != null) t = t.getCause();
    if (t instanceof java.nio.file.NoSuchFileException f) return "no such file: " + f.getFile();
    if (t instanceof java.nio.file.AccessDeniedException f) return "permission denied: " + f.getFile();
    if (t instanceof java.nio.file.FileSystemException f) return f.getFile() + ": " + (f.getReason() == null ? "cannot be read" : f.getReason());
    if (t instanceof java.net.ConnectException) return "cannot connect: " + (t.getMessage() == null ? "connection refused" : t.getMessage());
    String m = t.getMessage();
    if (m == null || m.isBlank()) return "an unexpected error (" + t.getClass().getSimpleName() + "); run with -Ddure.log.level=DEBUG (DURE_JAVA_OPTS with ./dure) for details";
    return m.lines().findFirst().orElse(m);
  }
}
