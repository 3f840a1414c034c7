package org.dure.pseudonymisation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.dure.tabular.CsvTable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PseudonymisationConfigTest {
  @TempDir Path dir;

  private String badConfig(String json) {
    return assertThrows(IllegalArgumentException.class, () -> PseudonymisationConfig.parse(json, dir)).getMessage();
  }

  private static String config(String columns) {
    return "{\"secretFile\": \"secret/key\", \"k\": 5, \"columns\": {" + columns + "}}";
  }

  @Test
  void unknownTechniqueIsNamedWithItsFieldAndTheChoices() {
    assertEquals("pseudonymisation.columns.visit_date: unknown technique \"shift\"; use one of [delete, keep, pseudonym,"
        + " age, ageBand, band, month, year, shiftDays, region]", badConfig(config("\"visit_date\": {\"shift\": {\"max\": 3}}")));
    assertEquals("pseudonymisation.columns.rrn: unknown technique \"remove\"; use one of [delete, keep, pseudonym,"
        + " age, ageBand, band, month, year, shiftDays, region]", badConfig(config("\"rrn\": \"remove\"")));
  }

  @Test
  void kBelowTwoIsRefused() {
    assertEquals("pseudonymisation.k must be a whole number ≥ 2 (records in smaller groups are suppressed), was 1",
        badConfig("{\"secretFile\": \"s\", \"k\": 1, \"columns\": {}}"));
    assertEquals("pseudonymisation.k must be a whole number ≥ 2 (records in smaller groups are suppressed), was 2.5",
        badConfig("{\"secretFile\": \"s\", \"k\": 2.5, \"columns\": {}}"));
  }

  @Test
  void missingOrWrongOptionsNameTheirField() {
    assertEquals("pseudonymisation.columns.birth_date.ageBand.at is required: the date on which ages are computed,"
        + " e.g. \"2026-01-01\"", badConfig(config("\"birth_date\": {\"ageBand\": {\"width\": 10}}")));
    assertEquals("pseudonymisation.columns.birth_date.ageBand.widht: unknown setting; expected one of [width, at, top, as]",
        badConfig(config("\"birth_date\": {\"ageBand\": {\"widht\": 10, \"at\": \"2026-01-01\"}}")));
    assertEquals("pseudonymisation.columns.birth_date.ageBand.top must be a multiple of width 10 so that bands do not"
        + " overlap, was 85", badConfig(config("\"birth_date\": {\"ageBand\": {\"width\": 10, \"at\": \"2026-01-01\", \"top\": 85}}")));
    assertEquals("pseudonymisation.columns.visit_date.shiftDays.by is required: name the column that identifies the"
        + " patient (there is no \"pseudonym\" column to default to)", badConfig(config("\"visit_date\": {\"shiftDays\": {\"max\": 30}}")));
    assertEquals("pseudonymisation.secretFile is required: the file that holds (or will hold) the site secret, e.g."
        + " \"secret/pseudonym.key\", outside the data and cache directories", badConfig("{\"k\": 5, \"columns\": {}}"));
    assertEquals("pseudonymisation.salt: unknown setting; expected one of [secretFile, k, columns, quasiIdentifiers,"
        + " freeTextColumns]",
        badConfig("{\"secretFile\": \"s\", \"salt\": \"x\", \"columns\": {}}"));
    assertEquals("pseudonymisation.columns.address: output column \"region\" is also the output of column \"home\"; give"
        + " one of them another name with \"as\"", badConfig(config("\"home\": \"region\", \"address\": \"region\"")));
  }

  @Test
  void aDeclaredColumnMissingFromTheDataIsNamed() throws Exception {
    Pseudonymiser p = Pseudonymiser.open(PseudonymisationConfig.parse(config("\"rrn\": \"delete\", \"phone\": \"delete\""), dir),
        dir.resolve("data"), null);
    CsvTable t = Fixtures.table(List.of("rrn", "sex"), List.of(List.of("", "F")));

    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> p.apply(t));

    assertEquals("pseudonymisation.columns.phone: extract.csv has no column \"phone\"; its columns are [rrn, sex]. Fix the"
        + " name or remove the entry", e.getMessage());
  }

  @Test
  void anOutputNameClashingWithAnUndeclaredColumnAndAnUnknownQuasiIdentifierAreNamed() throws Exception {
    CsvTable t = Fixtures.table(List.of("address", "region", "sex"), List.of(List.of("서울특별시 종로구 종로 1", "서울특별시", "F")));
    Pseudonymiser clash = Pseudonymiser.open(PseudonymisationConfig.parse(config("\"address\": \"region\""), dir),
        dir.resolve("data"), null);
    assertEquals("pseudonymisation.columns.address: its output column \"region\" clashes with column \"region\" of"
        + " extract.csv; name the output otherwise with \"as\", or delete \"region\"",
        assertThrows(IllegalArgumentException.class, () -> clash.apply(t)).getMessage());

    Pseudonymiser unknownQi = Pseudonymiser.open(PseudonymisationConfig.parse("{\"secretFile\": \"secret/key\", \"columns\":"
        + " {\"address\": \"delete\"}, \"quasiIdentifiers\": [\"age_band\"]}", dir), dir.resolve("data"), null);
    assertEquals("pseudonymisation.quasiIdentifiers: \"age_band\" is not a column of the output, whose columns are"
        + " [region, sex]", assertThrows(IllegalArgumentException.class, () -> unknownQi.apply(t)).getMessage());
  }

  @Test
  void aSecretInsideTheDataOrCacheDirectoryIsRefused() throws Exception {
    Path data = Files.createDirectories(dir.resolve("data"));
    PseudonymisationConfig inData = PseudonymisationConfig.parse("{\"secretFile\": \"data/key\", \"columns\": {}}", dir);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Pseudonymiser.open(inData, data, dir.resolve("cache")));
    assertTrue(e.getMessage().startsWith("pseudonymisation.secretFile " + data.toRealPath().resolve("key")
        + " lies inside the data directory " + data.toRealPath() + ";"), e.getMessage());

    PseudonymisationConfig inCache = PseudonymisationConfig.parse("{\"secretFile\": \"work/cache/../cache/key\", \"columns\": {}}", dir);
    e = assertThrows(IllegalArgumentException.class, () -> Pseudonymiser.open(inCache, data, dir.resolve("work/cache")));
    assertTrue(e.getMessage().contains(" lies inside the cache directory "), e.getMessage());
    assertTrue(Files.notExists(dir.resolve("data/key")) && Files.notExists(dir.resolve("work/cache/key")), "no secret was made");
  }

  @Test
  void aSecretDirectoryThatCannotBeCreatedIsNamed() throws Exception {
    Files.writeString(dir.resolve("secret"), "a file where the directory should be");
    PseudonymisationConfig c = PseudonymisationConfig.parse("{\"secretFile\": \"secret/pseudonym.key\", \"columns\": {}}", dir);

    IOException e = assertThrows(IOException.class, () -> Pseudonymiser.open(c, dir.resolve("data"), null));

    assertTrue(e.getMessage().startsWith("pseudonymisation.secretFile: cannot create the site secret "
        + dir.resolve("secret/pseudonym.key")), e.getMessage());
    assertTrue(e.getMessage().endsWith(dir.resolve("secret") + " must be a directory the agent's user can write"), e.getMessage());
  }

  @Test
  void theSecretIsMadeOwnerOnlyOnFirstUseAndRefusedWhenOthersCanReadIt() throws Exception {
    PseudonymisationConfig c = PseudonymisationConfig.parse("{\"secretFile\": \"secret/pseudonym.key\", \"columns\": {}}", dir);
    Pseudonymiser first = Pseudonymiser.open(c, dir.resolve("data"), null);
    Path key = dir.resolve("secret/pseudonym.key");

    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(key)));
    assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(key.getParent())));
    assertTrue(Files.readString(key).strip().matches("[0-9a-f]{64}"));
    assertEquals(first.secretFingerprint(), Pseudonymiser.open(c, dir.resolve("data"), null).secretFingerprint(),
        "the second open reads the same secret");
    assertTrue(!first.toString().contains(Files.readString(key).strip()), "toString never shows the secret");

    Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-r--r--"));
    IOException e = assertThrows(IOException.class, () -> Pseudonymiser.open(c, dir.resolve("data"), null));
    assertEquals("pseudonymisation.secretFile: " + key + " is accessible to group or others (rw-r--r--); the site secret"
        + " must be owner-only: chmod 600 " + key, e.getMessage());

    Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-------"));
    Files.writeString(key, "not hex");
    e = assertThrows(IOException.class, () -> Pseudonymiser.open(c, dir.resolve("data"), null));
    assertTrue(e.getMessage().startsWith("pseudonymisation.secretFile: " + key + " does not hold a site secret"), e.getMessage());
  }

  @Test
  void theConfigHashIgnoresKeyOrderAndTheSecretsPathButNotTheTechniques() {
    String a = PseudonymisationConfig.parse("{\"secretFile\": \"a\", \"k\": 5, \"columns\": {\"x\": \"delete\", \"y\": \"keep\"}}", dir).hash();
    String b = PseudonymisationConfig.parse("{\"columns\": {\"y\": \"keep\", \"x\": \"delete\"}, \"k\": 5, \"secretFile\": \"b\"}", dir).hash();
    String c = PseudonymisationConfig.parse("{\"secretFile\": \"a\", \"k\": 5, \"columns\": {\"x\": \"delete\", \"y\": \"pseudonym\"}}", dir).hash();

    assertEquals(a, b);
    assertNotEquals(a, c);
  }
}
