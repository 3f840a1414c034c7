package org.dure.pseudonymisation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.dure.cohort.Patient;
import org.dure.tabular.CsvTable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PseudonymCacheTest {
  @TempDir Path dir;

  private Pseudonymiser open(String config) throws Exception {
    return Pseudonymiser.open(PseudonymisationConfig.parse(config, dir.resolve("agent")), dir.resolve("data"),
        dir.resolve("agent/cache"));
  }

  @Test
  void aSecondRunReadsTheCacheAndAChangedConfigOrInputIsRecomputed() throws Exception {
    CsvTable input = Fixtures.cohortTable(dir.resolve("data"));
    Pseudonymiser p = open(Fixtures.COHORT_CONFIG);

    PseudonymisedTable first = p.apply(input);
    PseudonymisedTable second = p.apply(input);
    PseudonymisedTable third = open(Fixtures.COHORT_CONFIG).apply(input);

    assertFalse(first.report().fromCache());
    assertTrue(second.report().fromCache());
    assertTrue(third.report().fromCache(), "a new instance (an agent restart) reads the same cache");
    assertEquals(1, p.computations());
    assertEquals(first.report().createdAt(), third.report().createdAt());
    assertEquals(first.table().header(), third.table().header());
    assertEquals(Fixtures.cells(first.table()), Fixtures.cells(third.table()));
    assertEquals(first.table().line(7), third.table().line(7));

    Pseudonymiser changedK = open(Fixtures.COHORT_CONFIG.replace("\"k\": 5", "\"k\": 7"));
    assertFalse(changedK.apply(input).report().fromCache(), "another config is recomputed");
    assertEquals(1, changedK.computations());

    List<String[]> rows = new ArrayList<>();
    for (int r = 1; r < input.rowCount(); r++) {
      String[] row = new String[input.header().size()];
      for (int c = 0; c < row.length; c++) row[c] = input.value(r, c);
      rows.add(row);
    }
    int[] lines = new int[rows.size()];
    for (int r = 0; r < lines.length; r++) lines[r] = input.line(r + 1);
    CsvTable fewer = CsvTable.of(input.fileName(), input.header(), rows, lines);
    PseudonymisedTable changedData = p.apply(fewer);
    assertFalse(changedData.report().fromCache(), "other data is recomputed");
    assertEquals(2, p.computations());
    assertEquals(1999, changedData.report().recordsIn());
    try (Stream<Path> s = Files.list(dir.resolve("agent/cache"))) {
      assertEquals(1, s.count(), "only the latest extract is kept");
    }
  }

  @Test
  void theCacheIsOwnerOnlyAndHoldsNoIdentifierOrSecret() throws Exception {
    CsvTable input = Fixtures.cohortTable(dir.resolve("data"));
    open(Fixtures.COHORT_CONFIG).apply(input);

    List<Path> files;
    try (Stream<Path> s = Files.list(dir.resolve("agent/cache"))) {
      files = s.toList();
    }
    assertEquals(1, files.size());
    assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("agent/cache"))));
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(files.get(0))));
    String cached = Files.readString(files.get(0), StandardCharsets.UTF_8);
    assertFalse(cached.contains(Files.readString(dir.resolve("agent/secret/pseudonym.key")).strip()));
    for (Patient patient : Fixtures.site().patients()) {
      for (String id : List.of(patient.rrn(), patient.phone(), patient.mrn(), "\"" + patient.patientId() + "\"",
          patient.address(), patient.birthDate().toString(), "\"" + patient.name() + "\"")) {
        assertFalse(cached.contains(id), "the cache holds an identifier");
      }
    }
  }

  @Test
  void aDamagedCacheEntryIsRecomputed() throws Exception {
    CsvTable input = Fixtures.cohortTable(dir.resolve("data"));
    Pseudonymiser p = open(Fixtures.COHORT_CONFIG);
    PseudonymisedTable first = p.apply(input);
    try (Stream<Path> s = Files.list(dir.resolve("agent/cache"))) {
      Files.writeString(s.findFirst().orElseThrow(), "{\"truncated");
    }

    PseudonymisedTable again = p.apply(input);

    assertFalse(again.report().fromCache());
    assertEquals(Fixtures.cells(first.table()), Fixtures.cells(again.table()));
  }
}
