package org.dure.agent.data;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.dure.crypto.SecureFiles;
import org.dure.tabular.DataException;
import org.dure.tabular.RecordSource;
import org.dure.tabular.Table;
import org.dure.pseudonymisation.IdentifierFoundException;
import org.dure.pseudonymisation.PseudonymisationConfig;
import org.dure.pseudonymisation.PseudonymisationReport;
import org.dure.pseudonymisation.PseudonymisedData;
import org.dure.pseudonymisation.Pseudonymiser;

/**
 * The site's data as studies see it: read from its {@link DataSource}, then — before anything else touches it —
 * pseudonymised as the data officer configured (identifiers deleted, patient ids keyed, quasi-identifiers
 * generalised, small groups suppressed), with the result cached in the work directory. Without a pseudonymisation
 * section every column is still scanned, and data that looks like it holds direct identifiers is refused.
 *
 * <p>A CSV extract is never held in memory: it is read one record at a time (scanned, then pseudonymised into the
 * cache), and studies read the cache the same way, keeping only the columns they need.
 *
 * <p>Each read writes the pseudonymisation report to {@value #REPORT_JSON} and {@value #REPORT_TEXT} in the work
 * directory, for the data officer ({@code dure agent pseudonymise} prints it).
 */
public final class LocalData {
  public static final String REPORT_JSON = "pseudonymisation-report.json";
  public static final String REPORT_TEXT = "pseudonymisation-report.txt";

  private final DataSource source;
  private final Pseudonymiser pseudonymiser;
  private final String patientColumn;
  private final Path workDir;
  private volatile PseudonymisationReport lastReport;

  private LocalData(DataSource source, Pseudonymiser pseudonymiser, String patientColumn, Path workDir) {
    this.source = source;
    this.pseudonymiser = pseudonymiser;
    this.patientColumn = patientColumn;
    this.workDir = workDir;
  }

  /**
   * Opens the site's data; with {@code config} null there is no pseudonymisation, only the identifier scan.
   *
   * @throws IOException if the site secret cannot be read or made, or lies inside the data or cache directory
   */
  public static LocalData open(DataSource source, PseudonymisationConfig config, Path workDir) throws IOException {
    if (config == null) return new LocalData(source, null, null, workDir);
    Path dataDir = source instanceof CsvSource csv ? csv.file().toAbsolutePath().getParent() : null;
    Pseudonymiser p = Pseudonymiser.open(config, dataDir, workDir.resolve("pseudonymised"));
    return new LocalData(source, p, config.patientKeyColumn().orElse(null), workDir);
  }

  /**
   * The pseudonymised table (with pseudonymisation configured, the cached result on disk, read one record at a time).
   *
   * @throws IdentifierFoundException if a column the configuration does not declare looks like it holds direct
   *     identifiers (the message names the columns, never a value)
   * @throws DataException if the data is malformed, or a declared column holds a value its technique cannot read
   * @throws IOException if the data cannot be read
   */
  public Table read() throws IOException, DataException {
    RecordSource raw = source.records();
    if (pseudonymiser == null) return Pseudonymiser.requireNoIdentifiers(raw);
    PseudonymisedData t = pseudonymiser.pseudonymise(raw);
    PseudonymisationReport r = t.report();
    writeReport(r);
    lastReport = r;
    if (t.table().rowCount() == 0 && r.recordsIn() > 0) {
      throw new DataException(raw.sourceName(), 0, null, "all " + r.recordsIn() + " records were suppressed by"
          + " pseudonymisation: no group of quasi-identifiers " + r.quasiIdentifiers() + " reached k = " + r.k()
          + " (see " + REPORT_TEXT + " in the agent's work directory)");
    }
    return t.table();
  }

  /** The pseudonymisation report of the last {@link #read}, or null (none yet, or no pseudonymisation configured). */
  public PseudonymisationReport lastReport() {
    return lastReport;
  }

  private void writeReport(PseudonymisationReport report) throws IOException {
    SecureFiles.createOwnerOnlyDirectories(workDir);
    SecureFiles.writeAtomically(workDir.resolve(REPORT_JSON), report.toJson(), true);
    SecureFiles.writeAtomically(workDir.resolve(REPORT_TEXT), report.toText(), true);
  }

  /** The pseudonymised column that keys patients (for patient-level differential privacy), or null. */
  public String patientColumn() {
    return patientColumn;
  }

  public boolean pseudonymised() {
    return pseudonymiser != null;
  }

  /** The source, for messages. */
  public String describe() {
    return source.describe();
  }
}
