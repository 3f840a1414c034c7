package org.dure.launcher;

import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.dure.cohort.CohortGenerator;
import org.dure.cohort.SiteCohort;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code dure demo}: the main job on embedded defaults. Generates a synthetic cohort for each of
 * several hospitals, starts a coordinator and one agent per hospital as separate processes on
 * loopback, runs the example study to completion and prints the per-round table.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
    description = "Run a local consortium: generated hospital data, a coordinator and one agent per hospital on loopback, one study end to end.")
final class DemoCommand implements Callable<Integer> {
  @Option(names = "--sites", defaultValue = "3", description = "Hospitals (default: ${DEFAULT-VALUE}).")
  int sites;
  @Option(names = "--patients", defaultValue = "2000", description = "Patients per hospital (default: ${DEFAULT-VALUE}).")
  int patients;
  @Option(names = "--seed", defaultValue = "20261122", description = "Cohort seed (default: ${DEFAULT-VALUE}).")
  long seed;
  @Option(names = "--out", defaultValue = "run/demo", description = "Output directory (default: ${DEFAULT-VALUE}).")
  Path out;
  @Option(names = "--timeout", defaultValue = "900", description = "Give up after this many seconds (default: ${DEFAULT-VALUE}).")
  long timeoutSeconds;

  @Override public Integer call() throws Exception {
    if (sites < 1 || sites > 26) {
      System.err.println("dure demo: --sites must be between 1 and 26, was " + sites);
      return 2;
    }
    org.dure.protocol.study.StudySpec example = org.dure.protocol.study.StudySpecParser.parse(CohortGenerator.exampleStudyJson());
    if (RehearseCommand.cannotRun(example, sites) != null) {
      System.err.println("dure demo: --sites must be at least " + example.sitesNeeded() + " for the example study ("
          + example.sitesNeededBecause() + "), was " + sites);
      return 2;
    }
    ConsortiumRun.prepareOutput(out);
    Path data = out.resolve("data");
    List<SiteCohort> cohorts = CohortGenerator.builder().sites(sites).patientsPerSite(patients).seed(seed).build().writeTo(data);
    Map<String, Path> files = new LinkedHashMap<>();
    System.out.println("generated synthetic hospital cohorts (with direct identifiers, which each agent removes before any study):");
    for (SiteCohort c : cohorts) {
      files.put(c.site(), data.resolve(c.fileName()).toAbsolutePath());
      System.out.printf(Locale.ROOT, "  %-12s %5d patients, outcome prevalence %.1f%%  %s%n", c.site(), c.patients().size(),
          100 * c.prevalence(), c.description());
    }
    return new ConsortiumRun(out, files, CohortGenerator.exampleStudyJson(), Duration.ofSeconds(timeoutSeconds), System.out).run();
  }
}
