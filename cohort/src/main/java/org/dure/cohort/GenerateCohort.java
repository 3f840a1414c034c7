package org.dure.cohort;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code generate-cohort --sites 3 --patients 500 --seed 42 --out data --missing-rate 0.02}: writes one
 * synthetic CSV per hospital plus {@code truth.json} (see {@link CohortGenerator} for the columns) and
 * prints each file with its row count and prevalence.
 */
@Command(name = "generate-cohort", mixinStandardHelpOptions = true,
    description = "Writes synthetic hospital cohorts (one CSV per hospital) and truth.json, the model behind the outcomes.")
public final class GenerateCohort implements Callable<Integer> {
  @Spec CommandLine.Model.CommandSpec spec;

  @Option(names = "--sites", description = "number of hospitals (default: 3, or one per --patients size)")
  Integer sites;

  @Option(names = "--patients", split = ",", paramLabel = "N[,N...]", defaultValue = "500",
      description = "patients per site: one size for every site, or one per site, e.g. 800,500,300 (default: ${DEFAULT-VALUE})")
  List<Integer> patients;

  @Option(names = "--seed", defaultValue = "42", description = "random seed; the same seed gives the same files (default: ${DEFAULT-VALUE})")
  long seed;

  @Option(names = "--out", defaultValue = "cohort", description = "output directory (default: ${DEFAULT-VALUE})")
  Path out;

  @Option(names = "--missing-rate", defaultValue = "0.02", description = "probability that a clinical cell is missing, 0..0.5 (default: ${DEFAULT-VALUE})")
  double missingRate;

  public static void main(String[] args) {
    System.exit(new CommandLine(new GenerateCohort()).execute(args));
  }

  @Override
  public Integer call() throws Exception {
    CohortGenerator generator;
    try {
      CohortGenerator.Builder b = CohortGenerator.builder().seed(seed).missingRate(missingRate);
      if (sites != null) b.sites(sites);
      if (patients.size() == 1) b.patientsPerSite(patients.get(0));
      else b.sitePatients(patients.stream().mapToInt(Integer::intValue).toArray());
      generator = b.build();
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
    }
    List<SiteCohort> written = generator.writeTo(out);
    var stdout = spec.commandLine().getOut();
    for (SiteCohort s : written) {
      stdout.printf(Locale.ROOT, "wrote %s: %d rows, prevalence %.1f%% (%d positive)%n",
          out.resolve(s.fileName()), s.patients().size(), 100 * s.prevalence(), s.positives());
    }
    stdout.printf("wrote %s: the true outcome model and each site's shifts%n", out.resolve("truth.json"));
    stdout.flush();
    return 0;
  }
}
