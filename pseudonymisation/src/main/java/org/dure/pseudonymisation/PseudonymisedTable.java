package org.dure.pseudonymisation;

import java.util.Objects;
import org.dure.tabular.CsvTable;

/**
 * The result of {@link Pseudonymiser#apply}: the table a study may read, and the report of what was done.
 *
 * @param table the pseudonymised records; its source name and line numbers are the input's, so later data
 *     errors still point the data officer at the right line of the original extract
 * @param report what was removed, pseudonymised, generalised and suppressed
 */
public record PseudonymisedTable(CsvTable table, PseudonymisationReport report) {
  public PseudonymisedTable {
    Objects.requireNonNull(table, "table");
    Objects.requireNonNull(report, "report");
  }
}
