package org.dure.agent.data;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.dure.json.JsonFields;

/**
 * Reads the {@code "data"} section of the agent configuration. Exactly one of {@code csv} and {@code jdbc};
 * {@code columns} is optional. Relative paths are resolved against the configuration file's directory.
 *
 * <pre>{@code
 * "data": { "csv": "extract.csv", "columns": { "age": "age_years" } }
 *
 * "data": {
 *   "jdbc": {
 *     "url": "jdbc:postgresql://localhost:5432/cdm?currentSchema=cdm",
 *     "user": "dure_reader",
 *     "passwordFile": "secret/db.pass",
 *     "queryFile": "omop-cohort.sql",          // or "query": "SELECT ..."
 *     "fetchSize": 1000,                       // optional
 *     "queryTimeoutSeconds": 600               // optional
 *   },
 *   "columns": { "hba1c": "measurement_hba1c" }
 * }
 * }</pre>
 */
public final class DataSourceConfig {
  static final String SHAPE = "\"data\": {\"csv\": \"path/to/extract.csv\"} or \"data\": {\"jdbc\": {\"url\": \"jdbc:postgresql://...\","
      + " \"user\": \"...\", \"passwordFile\": \"...\", \"query\": \"SELECT ...\"}}";

  private DataSourceConfig() {}

  /**
   * @param data the {@code "data"} node (may be missing)
   * @param base the directory relative paths are resolved against
   * @throws IOException with a message (without the file name) that says what to change
   */
  public static DataSource parse(JsonNode data, Path base) throws IOException {
    if (data == null || !data.isObject()) throw new IOException(SHAPE + " is required");
    check(data, Set.of("csv", "jdbc", "columns", "separator"), "data.");
    boolean csv = data.has("csv");
    boolean jdbc = data.has("jdbc");
    if (csv && jdbc)
      throw new IOException("\"data\" names both \"csv\" and \"jdbc\"; keep exactly one: " + SHAPE);
    if (!csv && !jdbc) throw new IOException("\"data\" names neither \"csv\" nor \"jdbc\"; expected " + SHAPE);
    ColumnMapping columns = columns(data.path("columns"));
    if (csv) {
      if (!data.path("csv").isTextual() || data.path("csv").asText().isBlank())
        throw new IOException("\"data.csv\" must be the path of the extract, e.g. \"extract.csv\"");
      return new CsvSource(base.resolve(data.path("csv").asText()).normalize(), columns, separator(data.get("separator")));
    }
    if (data.has("separator"))
      throw new IOException("\"data.separator\" applies to a CSV extract (\"data.csv\") only; remove it");
    return jdbc(data.path("jdbc"), base, columns);
  }

  /** {@code "separator"}: one of {@code ","} (the default), {@code ";"}, {@code "\t"} and {@code "|"}. */
  private static char separator(JsonNode node) throws IOException {
    if (node == null) return ',';
    String s = node.isTextual() ? node.asText() : "";
    if (s.equals("tab")) s = "\t";
    if (s.length() != 1 || org.dure.tabular.CsvReader.SEPARATORS.indexOf(s.charAt(0)) < 0)
      throw new IOException("\"data.separator\" must be one of \",\" (the default), \";\", \"\\t\" (tab) and \"|\", was "
          + node);
    return s.charAt(0);
  }

  private static JdbcSource jdbc(JsonNode j, Path base, ColumnMapping columns) throws IOException {
    if (!j.isObject()) throw new IOException("\"data.jdbc\" must be an object: " + SHAPE);
    check(j, Set.of("url", "user", "passwordFile", "query", "queryFile", "fetchSize", "queryTimeoutSeconds"), "data.jdbc.");
    for (String f : new String[] {"url", "user", "passwordFile", "query", "queryFile"}) {
      if (j.has(f) && !j.path(f).isTextual()) throw new IOException("\"data.jdbc." + f + "\" must be a string");
    }
    for (String f : new String[] {"fetchSize", "queryTimeoutSeconds"}) {
      if (j.has(f) && !j.path(f).canConvertToInt())
        throw new IOException("\"data.jdbc." + f + "\" must be a whole number, was " + j.path(f));
    }
    if (!j.has("url")) throw new IOException("\"data.jdbc.url\" is required, e.g. \"jdbc:postgresql://localhost:5432/cdm\"");
    Path passwordFile = j.has("passwordFile") ? base.resolve(j.path("passwordFile").asText()).normalize() : null;
    Path queryFile = j.has("queryFile") ? base.resolve(j.path("queryFile").asText()).normalize() : null;
    JdbcSource source;
    try {
      source = new JdbcSource(j.path("url").asText(), j.path("user").asText(null), passwordFile,
          j.has("query") ? j.path("query").asText() : null, queryFile,
          j.has("fetchSize") ? j.path("fetchSize").asInt() : JdbcSource.DEFAULT_FETCH_SIZE,
          j.has("queryTimeoutSeconds") ? Duration.ofSeconds(j.path("queryTimeoutSeconds").asInt())
              : JdbcSource.DEFAULT_QUERY_TIMEOUT, columns);
    } catch (IllegalArgumentException e) {
      throw new IOException("\"data.jdbc\": " + e.getMessage(), e);
    }
    // Checked now so that a misconfigured agent stops at start rather than declining its first study.
    if (passwordFile != null) PasswordFile.check(passwordFile);
    if (queryFile != null && !Files.isReadable(queryFile))
      throw new IOException("cannot read the query file " + queryFile + " (\"data.jdbc.queryFile\")");
    return source;
  }

  private static ColumnMapping columns(JsonNode node) throws IOException {
    if (node.isMissingNode()) return ColumnMapping.none();
    if (!node.isObject())
      throw new IOException("\"data.columns\" must map study column names to local ones, e.g. {\"age\": \"age_years\"}");
    Map<String, String> map = new LinkedHashMap<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      if (!e.getValue().isTextual())
        throw new IOException("\"data.columns." + e.getKey() + "\" must be the local column name (a string), was " + e.getValue());
      map.put(e.getKey(), e.getValue().asText());
    }
    try {
      return new ColumnMapping(map);
    } catch (IllegalArgumentException e) {
      throw new IOException(e.getMessage(), e);
    }
  }

  /** Refuses a key that is not one of {@code allowed}, naming its full path ({@code prefix}: "data." or "data.jdbc."). */
  private static void check(JsonNode node, Set<String> allowed, String prefix) throws IOException {
    try {
      JsonFields.of(node, prefix.substring(0, prefix.length() - 1), "setting",
          (path, problem) -> new IllegalArgumentException(path + ": " + problem)).allowOnly(allowed);
    } catch (IllegalArgumentException e) {
      throw new IOException(e.getMessage(), e);
    }
  }
}
