package org.dure.agent.data;

import java.io.IOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.time.Duration;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import org.dure.tabular.CsvTable;
import org.dure.tabular.MemoryBudget;
import org.dure.tabular.RecordSource;
import org.dure.tabular.DataException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A read-only query against the hospital's PostgreSQL database (for example an OMOP CDM), read into memory as
 * a table: one column per result column (named by its label, so alias expressions with {@code AS}), one record
 * per row, rows numbered from 1 in messages.
 *
 * <p>Values: SQL {@code NULL} becomes the empty string (a missing value to studies); numbers are written as
 * plain decimals ({@code numeric} without trailing zeros, never in exponent form); {@code boolean} as
 * {@code true}/{@code false}; dates and times in ISO-8601 ({@code 2024-03-01}, {@code 2024-03-01T08:30},
 * with offset for {@code timestamptz}); everything else as PostgreSQL's text form.
 *
 * <p>The connection is opened for each read and closed after it. It is read-only (a write in the query fails
 * with {@code cannot execute ... in a read-only transaction}), rows are fetched {@code fetchSize} at a time
 * through a cursor, and the query is cancelled after {@code queryTimeout}. Only the PostgreSQL driver is
 * bundled, so only {@code jdbc:postgresql:} URLs are accepted. The password is read from {@code passwordFile},
 * which must be owner-only, at each read; it is never logged and may not appear in the URL.
 *
 * @param url e.g. {@code jdbc:postgresql://localhost:5432/cdm?currentSchema=cdm}
 * @param user the database role; grant it {@code SELECT} on what the query reads and nothing else
 * @param passwordFile a file holding the password on its first line, or null when the server needs none
 *     (e.g. certificate authentication configured in the URL)
 * @param query the SQL text, or null when {@code queryFile} is given
 * @param queryFile a file holding the SQL text, read at each read, or null when {@code query} is given
 * @param fetchSize rows per round trip
 * @param queryTimeout how long the query may run
 * @param columns study-to-local column names
 */
public record JdbcSource(String url, String user, Path passwordFile, String query, Path queryFile, int fetchSize,
                         Duration queryTimeout, ColumnMapping columns) implements DataSource {
  private static final Logger log = LoggerFactory.getLogger(JdbcSource.class);
  public static final String SCHEME = "jdbc:postgresql:";
  public static final int DEFAULT_FETCH_SIZE = 1000;
  public static final Duration DEFAULT_QUERY_TIMEOUT = Duration.ofMinutes(10);
  private static final int CONNECT_TIMEOUT_SECONDS = 30;

  public JdbcSource {
    Objects.requireNonNull(url, "url");
    if (!url.startsWith(SCHEME))
      throw new IllegalArgumentException("\"url\" must be a PostgreSQL JDBC URL such as jdbc:postgresql://localhost:5432/cdm,"
          + " was a " + scheme(url) + " URL; the agent bundles only the PostgreSQL driver. For another database, export"
          + " the cohort to CSV and use \"data\": {\"csv\": \"extract.csv\"}");
    if (url.toLowerCase(Locale.ROOT).contains("password="))
      throw new IllegalArgumentException("\"url\" contains a password; remove it from the URL (it would end up in"
          + " logs) and put it in the file named by \"passwordFile\" (owner-only, chmod 600)");
    if (user == null || user.isBlank())
      throw new IllegalArgumentException("\"user\" is required: the database role the agent connects as, e.g. \"dure_reader\"");
    if ((query == null) == (queryFile == null))
      throw new IllegalArgumentException("give exactly one of \"query\" (the SQL text) and \"queryFile\" (a file holding it)"
          + (query == null ? ", found neither" : ", found both"));
    if (query != null && query.isBlank()) throw new IllegalArgumentException("\"query\" is empty");
    if (fetchSize < 1) throw new IllegalArgumentException("\"fetchSize\" must be >= 1, was " + fetchSize);
    Objects.requireNonNull(queryTimeout, "queryTimeout");
    if (queryTimeout.isNegative() || queryTimeout.toSeconds() < 1 || queryTimeout.toSeconds() > Integer.MAX_VALUE)
      throw new IllegalArgumentException("\"queryTimeoutSeconds\" must be >= 1, was " + queryTimeout.toSeconds());
    if (columns == null) columns = ColumnMapping.none();
  }

  /** A source with the default fetch size (1000) and query timeout (10 minutes) and no column mapping. */
  public JdbcSource(String url, String user, Path passwordFile, String query, Path queryFile) {
    this(url, user, passwordFile, query, queryFile, DEFAULT_FETCH_SIZE, DEFAULT_QUERY_TIMEOUT, ColumnMapping.none());
  }

  /** The same source with another column mapping. */
  public JdbcSource withColumns(ColumnMapping mapping) {
    return new JdbcSource(url, user, passwordFile, query, queryFile, fetchSize, queryTimeout, mapping);
  }

  @Override public CsvTable read() throws IOException, DataException {
    String sql = query != null ? query : readQueryFile();
    Properties props = new Properties();
    props.setProperty("user", user);
    if (passwordFile != null) props.setProperty("password", PasswordFile.read(passwordFile));
    props.setProperty("ApplicationName", "dure-site-agent");
    props.setProperty("readOnly", "true");
    props.setProperty("readOnlyMode", "always");
    props.setProperty("connectTimeout", Integer.toString(CONNECT_TIMEOUT_SECONDS));
    props.setProperty("loginTimeout", Integer.toString(CONNECT_TIMEOUT_SECONDS));
    long t0 = System.nanoTime();
    CsvTable table;
    try (Connection conn = connect(props)) {
      conn.setReadOnly(true);
      conn.setAutoCommit(false); // a transaction, so that rows come through a cursor fetchSize at a time
      try (Statement st = conn.createStatement(ResultSet.TYPE_FORWARD_ONLY, ResultSet.CONCUR_READ_ONLY)) {
        st.setFetchSize(fetchSize);
        st.setQueryTimeout((int) queryTimeout.toSeconds());
        table = execute(st, sql);
      }
    } catch (SQLException e) {
      throw new IOException(describe() + " failed: " + e.getMessage() + hint(e.getSQLState()), e);
    }
    log.info("{}: {} rows, {} columns in {} ms", describe(), table.rowCount(), table.header().size(),
        (System.nanoTime() - t0) / 1_000_000);
    return columns.apply(table);
  }

  @Override public RecordSource records() throws IOException, DataException {
    return read();
  }

  @Override public String describe() {
    int params = url.indexOf('?');
    String where = params < 0 ? url : url.substring(0, params);
    return sourceName() + " on " + where;
  }

  private String sourceName() {
    return queryFile == null ? "query" : "query " + queryFile.getFileName();
  }

  private String readQueryFile() throws IOException {
    if (!Files.isReadable(queryFile))
      throw new IOException("cannot read the query file " + queryFile + "; check \"queryFile\" in \"data\": {\"jdbc\": ...}");
    String sql = Files.readString(queryFile, StandardCharsets.UTF_8);
    if (sql.isBlank()) throw new IOException("the query file " + queryFile + " is empty");
    return sql;
  }

  private Connection connect(Properties props) throws SQLException, IOException {
    Connection conn = new org.postgresql.Driver().connect(url, props);
    if (conn == null) throw new IOException("the PostgreSQL driver does not accept the URL " + describe());
    return conn;
  }

  /** Runs {@code sql}, which may hold statements such as {@code SET} before the one query that returns rows. */
  private CsvTable execute(Statement st, String sql) throws SQLException, DataException, IOException {
    CsvTable table = null;
    boolean isResultSet = st.execute(sql);
    while (true) {
      if (isResultSet) {
        if (table != null)
          throw new IOException(describe() + " returns more than one result; end the SQL with one SELECT");
        try (ResultSet rs = st.getResultSet()) {
          table = table(rs);
        }
      } else if (st.getUpdateCount() == -1) {
        break;
      }
      isResultSet = st.getMoreResults();
    }
    if (table == null) throw new IOException(describe() + " returns no rows table; it must end with a SELECT");
    return table;
  }

  private CsvTable table(ResultSet rs) throws SQLException, DataException {
    ResultSetMetaData meta = rs.getMetaData();
    int width = meta.getColumnCount();
    List<String> header = new ArrayList<>(width);
    Map<String, Integer> seen = new HashMap<>();
    int[] types = new int[width];
    String[] typeNames = new String[width];
    for (int c = 0; c < width; c++) {
      String label = meta.getColumnLabel(c + 1);
      Integer prev = seen.putIfAbsent(label, c);
      if (prev != null)
        throw new DataException(sourceName(), 0, label, "the query returns two columns named \"" + label + "\" (columns "
            + (prev + 1) + " and " + (c + 1) + "); give one another name with AS");
      header.add(label);
      types[c] = meta.getColumnType(c + 1);
      typeNames[c] = meta.getColumnTypeName(c + 1);
    }
    List<String[]> records = new ArrayList<>();
    List<Integer> rows = new ArrayList<>();
    int row = 0;
    long bytes = 0;
    long checked = 0;
    MemoryBudget budget = MemoryBudget.jvm();
    while (rs.next()) {
      String[] record = new String[width];
      for (int c = 0; c < width; c++) {
        record[c] = text(rs, c + 1, types[c], typeNames[c]);
        bytes += 48 + record[c].length(); // a String and its bytes, about
      }
      bytes += 40 + 8L * width;
      records.add(record);
      rows.add(++row);
      if (bytes - checked > (64L << 20)) {
        // the result is held as text: refuse before the heap runs out, not after
        budget.require(sourceName(), String.format(java.util.Locale.ROOT, "holding the query's result (%,d rows so far)",
            row), 2 * (bytes - checked), "export the cohort to a CSV extract (\"data\": {\"csv\": ...}), which the agent"
            + " reads one record at a time");
        checked = bytes;
      }
    }
    return CsvTable.of(sourceName(), header, records, rows.stream().mapToInt(Integer::intValue).toArray());
  }

  private static String text(ResultSet rs, int column, int type, String typeName) throws SQLException {
    switch (type) {
      case Types.NUMERIC, Types.DECIMAL -> {
        String s = rs.getString(column);
        if (s == null) return "";
        try {
          return new BigDecimal(s).stripTrailingZeros().toPlainString();
        } catch (NumberFormatException e) {
          return s; // NaN
        }
      }
      case Types.BIT, Types.BOOLEAN -> {
        boolean b = rs.getBoolean(column);
        return rs.wasNull() ? "" : Boolean.toString(b);
      }
      case Types.DATE -> {
        return iso(rs.getObject(column, LocalDate.class));
      }
      case Types.TIME -> {
        return iso(rs.getObject(column, LocalTime.class));
      }
      case Types.TIMESTAMP, Types.TIMESTAMP_WITH_TIMEZONE -> {
        return "timestamptz".equals(typeName) || type == Types.TIMESTAMP_WITH_TIMEZONE
            ? iso(rs.getObject(column, OffsetDateTime.class))
            : iso(rs.getObject(column, LocalDateTime.class));
      }
      default -> {
        String s = rs.getString(column);
        return s == null ? "" : s;
      }
    }
  }

  private static String iso(Object temporal) {
    return temporal == null ? "" : temporal.toString();
  }

  private String hint(String sqlState) {
    if (sqlState == null) return "";
    return switch (sqlState) {
      case "28P01", "28000" -> "; check \"user\" and the password in \"passwordFile\", and the server's pg_hba.conf";
      case "08001", "08004", "08006" -> "; check that the database server in \"url\" is running and reachable from the agent's host";
      case "57014" -> "; the query ran longer than \"queryTimeoutSeconds\" (" + queryTimeout.toSeconds()
          + "); raise it or make the query faster (e.g. an index on person_id and the concept id columns)";
      case "25006" -> "; the agent only reads: the query must not write";
      case "42P01", "3F000" -> "; check the table and schema names (e.g. ?currentSchema=cdm in \"url\") and that \""
          + user + "\" may read them";
      case "42501" -> "; grant \"" + user + "\" SELECT on the tables the query reads";
      default -> " (SQLState " + sqlState + ")";
    };
  }

  private static String scheme(String url) {
    int first = url.indexOf(':');
    int second = first < 0 ? -1 : url.indexOf(':', first + 1);
    return second < 0 ? "non-JDBC" : url.substring(0, second);
  }
}
