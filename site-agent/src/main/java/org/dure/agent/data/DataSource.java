package org.dure.agent.data;

import java.io.IOException;
import org.dure.tabular.CsvTable;
import org.dure.tabular.DataException;
import org.dure.tabular.RecordSource;

/**
 * Where a site agent reads its data from: a CSV extract ({@link CsvSource}) or a read-only query against the
 * hospital's PostgreSQL database, e.g. an OMOP CDM ({@link JdbcSource}). Both give the same in-memory table,
 * with the configured {@link ColumnMapping} applied, so studies cannot tell them apart. A CSV extract is read one
 * record at a time ({@link #records()}), however large; a query's result is held in memory, within the heap.
 *
 * <p>{@link #read()} is blocking I/O: the agent calls it on its training thread when a study is offered.
 */
public sealed interface DataSource permits CsvSource, JdbcSource {
  /**
   * Reads the whole table and renames columns as {@link #columns()} says.
   *
   * @throws DataException if the data is malformed or a mapped column is missing (the message names the source,
   *     and the row and column where known; the agent declines the study with it)
   * @throws IOException if the file or database cannot be read (the message says what to check)
   */
  CsvTable read() throws IOException, DataException;

  /**
   * The records, renamed as {@link #columns()} says, to read as often as needed: for a CSV file one record at a time
   * from the file at each read (what the agent uses); for a query its result read once into memory now.
   *
   * @throws DataException if the query's result is malformed or would not fit in memory
   * @throws IOException if the database cannot be read
   */
  RecordSource records() throws IOException, DataException;

  /** How the study's column names map to this source's column names. */
  ColumnMapping columns();

  /**
   * A short name for messages and logs that reveals no directory layout and no secret, e.g.
   * {@code extract.csv} or {@code query cohort.sql on jdbc:postgresql://db.local:5432/cdm}.
   */
  String describe();
}
