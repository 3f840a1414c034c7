package org.dure.pseudonymisation;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.dure.cohort.CohortGenerator;
import org.dure.cohort.SiteCohort;
import org.dure.tabular.CsvTable;

/** A generated hospital cohort (with names, RRNs, phones, MRNs and addresses) and configs for it. */
final class Fixtures {
  /** Deletes the direct identifiers, pseudonymises the patient id, bands birth dates and reduces addresses to 시/도. */
  static final String COHORT_CONFIG = """
      {
        "secretFile": "secret/pseudonym.key",
        "k": 5,
        "columns": {
          "name": "delete", "rrn": "delete", "phone": "delete", "mrn": "delete", "age": "delete", "region": "delete",
          "patient_id": "pseudonym",
          "birth_date": {"ageBand": {"width": 10, "at": "2025-01-01", "top": 80}},
          "address": "region"
        }
      }""";

  private static SiteCohort site;
  private static byte[] csv;

  private Fixtures() {}

  /** One 2000-patient site, generated once per test run. */
  static synchronized SiteCohort site() {
    if (site == null) {
      try {
        Path dir = Files.createTempDirectory("dure-cohort");
        site = CohortGenerator.builder().sites(1).patientsPerSite(2000).seed(20261129).build().writeTo(dir).get(0);
        csv = Files.readAllBytes(dir.resolve(site.fileName()));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return site;
  }

  /** The site's CSV written into {@code dataDir} and read back. */
  static CsvTable cohortTable(Path dataDir) throws Exception {
    SiteCohort s = site();
    Files.createDirectories(dataDir);
    Path file = dataDir.resolve(s.fileName());
    Files.write(file, csv);
    return CsvTable.read(file);
  }

  /** A table in memory, lines numbered from 2. */
  static CsvTable table(List<String> header, List<List<String>> rows) {
    List<String[]> records = new ArrayList<>();
    for (List<String> r : rows) records.add(r.toArray(new String[0]));
    int[] lines = new int[rows.size()];
    for (int i = 0; i < lines.length; i++) lines[i] = i + 2;
    return CsvTable.of("extract.csv", header, records, lines);
  }

  /** Every value of the table as one string per row. */
  static List<String> cells(CsvTable t) {
    List<String> out = new ArrayList<>(t.header());
    for (int r = 0; r < t.rowCount(); r++) {
      for (int c = 0; c < t.header().size(); c++) out.add(t.value(r, c));
    }
    return out;
  }
}
