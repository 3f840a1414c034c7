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

/** {@code dure rehearse}: runs a study on the researcher's own files, one agent per site, on loopback. */
@Command(name = "rehearse", mixinStandardHelpOptions = true,
    description = "Rehearse a study on your own files: a local coordinator and one site agent per CSV, on loopback.")
final class RehearseCommand implements Callable<Integer> {
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
    String json = Files.readString(study);
    try {
      StudySpecParser.parse(json);
    } catch (StudySpecException e) {
      System.err.println("dure rehearse: " + study + ": " + e.getMessage());
      return 2;
    }
    return new ConsortiumRun(out, sites, json, Duration.ofSeconds(timeoutSeconds), System.out).run();
  }
}
