package org.dure.launcher;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import org.dure.protocol.study.StudySpecException;
import org.dure.protocol.study.StudySpecParser;
import org.dure.protocol.wire.SiteIds;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code dure rehearse}: runs a study on the researcher's own files, one agent per site, on loopback. A study these
 * sites could never run (more sites needed than given) is refused before anything starts; every failure is one plain
 * sentence on standard error (the stack trace, if any, is in the log at debug level).
 */
@Command(name = "rehearse", mixinStandardHelpOptions = true,
    description = "Rehearse a study on your own files: a local coordinator and one site agent per CSV, on loopback.",
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {
        "0:the study COMPLETED",
        "1:the study FAILED or was STOPPED (the reason is printed and in summary.json)",
        "2:refused before starting: a bad option, an unreadable file, an invalid study, or a study the given sites cannot run",
        "3:the local consortium could not run the study: a process did not start or exited, or --timeout passed"})
final class RehearseCommand implements Callable<Integer> {
  private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(RehearseCommand.class);
  static final int COMPLETED = 0, NOT_COMPLETED = 1, REFUSED = 2, RUN_FAILED = 3;
  @Option(names = "--site", required = true, paramLabel = "NAME=FILE",
      description = "A site and its CSV extract (repeatable), e.g. --site hospital-a=a.csv")
  Map<String, Path> sites = new LinkedHashMap<>();
  @Option(names = "--study", required = true, description = "Study definition (the JSON the coordinator API takes).")
  Path study;
  @Option(names = "--out", required = true, description = "Output directory: saved model, summary.json, logs.")
  Path out;
  @Option(names = "--timeout", defaultValue = "1800", description = "Give up after this many seconds (default: ${DEFAULT-VALUE}).")
  long timeoutSeconds;

  @Override public Integer call() throws Exception {
    for (Map.Entry<String, Path> s : sites.entrySet()) {
      if (!SiteIds.valid(s.getKey())) {
        System.err.println("dure rehearse: site name '" + s.getKey() + "' is invalid: " + SiteIds.RULE);
        return 2;
      }
      if (!Files.isReadable(s.getValue())) {
        System.err.println("dure rehearse: cannot read " + s.getValue() + " for site " + s.getKey());
        return 2;
      }
    }
    if (!Files.isReadable(study)) {
      System.err.println("dure rehearse: cannot read study file " + study);
      return 2;
    }
    if (timeoutSeconds < 1) {
      System.err.println("dure rehearse: --timeout must be at least 1 second, was " + timeoutSeconds);
      return REFUSED;
    }
    String json = Files.readString(study);
    org.dure.protocol.study.StudySpec spec;
    try {
      spec = StudySpecParser.parseNew(json);
    } catch (StudySpecException e) {
      System.err.println("dure rehearse: " + study + ": " + e.getMessage());
      return REFUSED;
    }
    String mismatch = cannotRun(spec, sites.size());
    if (mismatch != null) {
      System.err.println("dure rehearse: " + study + ": " + mismatch);
      return REFUSED;
    }
    try {
      return new ConsortiumRun(out, sites, json, Duration.ofSeconds(timeoutSeconds), System.out).run();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      System.err.println("dure rehearse: interrupted; every process it started was stopped");
      return RUN_FAILED;
    } catch (Exception e) {
      log.debug("dure rehearse failed", e);
      System.err.println("dure rehearse: " + ConsortiumRun.plain(e) + "; see " + out.toAbsolutePath().resolve("logs"));
      return RUN_FAILED;
    }
  }

  /**
   * Why {@code spec} cannot run on {@code given} sites, naming the field, its value and the number of sites, or null
   * when it can: every site of a rehearsal is online and approves automatically, so a study needing more sites than
   * were given would only wait for them.
   */
  static String cannotRun(org.dure.protocol.study.StudySpec spec, int given) {
    String sitesGiven = given + (given == 1 ? " site was" : " sites were") + " given with --site";
    var sa = spec.privacy().secureAggregation();
    if (sa.enabled() && given < 2)
      return "secure aggregation needs at least 2 sites but only " + sitesGiven + "; add a --site or set"
          + " privacy.secureAggregation.enabled to false";
    if (spec.minSites() > given)
      return "minSites is " + spec.minSites() + " but only " + sitesGiven + "; add sites or lower minSites";
    if (sa.enabled() && sa.threshold() > given)
      return "privacy.secureAggregation.threshold is " + sa.threshold() + " but only " + sitesGiven
          + "; add sites or lower the threshold (0 is automatic: a strict majority of the round's sites)";
    return null;
  }
}
