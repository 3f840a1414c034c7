package org.dure.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.dure.cohort.CohortGenerator;
import org.dure.testing.TestConsortium;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 13, finding 14: models, checkpoints, reports and the ledger on the coordinator were world-readable. After a
 * real study with real agents, nothing under the coordinator's data directory may be readable, writable or
 * searchable by group or others.
 */
class DataDirectoryPermissionsTest {
  static final Set<PosixFilePermission> GROUP_OR_OTHERS = EnumSet.of(
      PosixFilePermission.GROUP_READ, PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_EXECUTE,
      PosixFilePermission.OTHERS_READ, PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_EXECUTE);
  @TempDir Path dir;

  @Test void afterARealStudyNoModelCheckpointReportStateOrLedgerFileIsReadableByOthers() throws Exception {
    try (TestConsortium c = new TestConsortium(dir)) {
      List<Path> csvs = TestConsortium.cohorts(dir, 2, 400, 13);
      c.agent("hospital-a", csvs.get(0));
      c.agent("hospital-b", csvs.get(1));
      c.awaitSites(2);
      ObjectNode study = (ObjectNode) TestConsortium.JSON.readTree(CohortGenerator.exampleStudyJson());
      ((ObjectNode) study.path("training")).put("rounds", 2).put("localEpochs", 1);
      study.put("minSites", 2).put("roundDeadlineSeconds", 60);
      String id = c.run(study.toString());
      JsonNode end = c.awaitEnd(id, Duration.ofMinutes(3));
      assertEquals("COMPLETED", end.path("status").asText(), end.toString());
    }
    Path data = dir.resolve("coordinator");
    List<Path> all;
    try (Stream<Path> s = Files.walk(data)) {
      all = s.toList();
    }
    for (String expected : List.of("model.json", ".npy", "report.json", "report.html", "entries.jsonl", "tree-heads.jsonl", "state"))
      assertTrue(all.stream().anyMatch(p -> p.getFileName().toString().endsWith(expected)), "the study wrote " + expected + ": " + all);
    assertTrue(all.stream().anyMatch(p -> p.toString().contains("checkpoints")), "checkpoints were written: " + all);
    List<String> exposed = all.stream().filter(p -> {
      try {
        return Files.getPosixFilePermissions(p).stream().anyMatch(GROUP_OR_OTHERS::contains);
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    }).map(p -> {
      try {
        return data.relativize(p) + " " + PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    }).toList();
    assertTrue(exposed.isEmpty(), "readable by group or others: " + exposed);
  }
}
