package org.dure.bench;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * Entry point of the Dure benchmarks: {@code bench <subcommand> [options]}. Every subcommand prints a table and,
 * with {@code --json FILE}, appends one JSON line per table row (see {@link JsonOutput}).
 *
 * <p>Run with {@code OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1} and
 * {@code -Dorg.bytedeco.javacpp.maxPhysicalBytes=0}, as the site agent runs.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
    description = "Dure benchmarks.",
    subcommands = {TrainBench.class, DpBench.class, SecAggBench.class, LedgerBench.class, DataBench.class, ScaleBench.class, CommandLine.HelpCommand.class})
public final class Bench implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  public static void main(String[] args) {
    System.exit(new CommandLine(new Bench()).execute(args));
  }

  @Override public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "missing subcommand");
  }
}
