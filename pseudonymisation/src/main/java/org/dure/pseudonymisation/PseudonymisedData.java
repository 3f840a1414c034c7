package org.dure.pseudonymisation;

import java.util.Objects;
import org.dure.tabular.Table;

/**
 * The result of {@link Pseudonymiser#pseudonymise}: the table a study may read — with a cache, the file in the
 * cache, read one record at a time — and the report of what was done.
 *
 * @param table the pseudonymised records; their source name and line numbers are the input's, so later data
 *     errors still point the data officer at the right line of the original extract
 * @param report what was removed, pseudonymised, generalised and suppressed
 */
public record PseudonymisedData(Table table, PseudonymisationReport report) {
  public PseudonymisedData {
    Objects.requireNonNull(table, "table");
    Objects.requireNonNull(report, "report");
  }
}
