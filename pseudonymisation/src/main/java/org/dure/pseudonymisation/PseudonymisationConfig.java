package org.dure.pseudonymisation;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.LocalDate;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.dure.json.JsonFields;

/**
 * The {@code "pseudonymisation"} section of a site agent's config: how each column of the hospital's
 * extract is treated before any study sees it, and the k of k-anonymity. Relative paths are resolved
 * against the config file's directory.
 *
 * <pre>{@code
 * "pseudonymisation": {
 *   "secretFile": "secret/pseudonym.key",
 *   "k": 5,
 *   "columns": {
 *     "name": "delete", "rrn": "delete", "phone": "delete", "mrn": "delete",
 *     "patient_id": "pseudonym",
 *     "birth_date": {"ageBand": {"width": 10, "at": "2026-01-01", "top": 90}},
 *     "visit_date": {"shiftDays": {"max": 30, "by": "patient_id"}},
 *     "address": "region",
 *     "ward": "keep"
 *   },
 *   "quasiIdentifiers": ["age_band", "sex", "region"],
 *   "freeTextColumns": ["nursing_note"]
 * }
 * }</pre>
 *
 * <ul>
 *   <li>{@code secretFile} (required): the site secret behind pseudonyms and date shifts, made on first use
 *       (32 random bytes, owner-only). It must lie outside the data and cache directories.
 *   <li>{@code k} (default 5, at least 2): records whose quasi-identifier combination occurs fewer than k
 *       times are suppressed.
 *   <li>{@code columns} (required): a technique per column, either a name ({@code "delete"}) or an object
 *       with one field, the technique, whose value holds its options ({@code {"ageBand": {"width": 10, ...}}};
 *       {@code true} or {@code {}} when there are none). Techniques and options:
 *       <table>
 *         <caption>Techniques</caption>
 *         <tr><th>technique</th><th>options</th><th>output</th></tr>
 *         <tr><td>{@code delete}</td><td>—</td><td>column removed</td></tr>
 *         <tr><td>{@code keep}</td><td>—</td><td>kept unchanged and not scanned for identifiers (the data officer has reviewed it)</td></tr>
 *         <tr><td>{@code pseudonym}</td><td>—</td><td>same column: HMAC-SHA-256 of the trimmed value under the site secret, 32 hex digits</td></tr>
 *         <tr><td>{@code age}</td><td>{@code at} (date, required), {@code top}, {@code as} (default {@code age})</td><td>completed years on {@code at}; {@code 90+} from {@code top} on</td></tr>
 *         <tr><td>{@code ageBand}</td><td>{@code width} (required), {@code at} (required), {@code top} (a multiple of width), {@code as} (default {@code age_band})</td><td>{@code 40-49}, {@code 90+}</td></tr>
 *         <tr><td>{@code band}</td><td>{@code width} (required), {@code top}, {@code as} (default: same column)</td><td>a whole-number column in bands, {@code 40-49}</td></tr>
 *         <tr><td>{@code month} / {@code year}</td><td>{@code as} (default: same column)</td><td>{@code 2024-03} / {@code 2024}</td></tr>
 *         <tr><td>{@code shiftDays}</td><td>{@code max} (1..3650, required), {@code by} (default: the only pseudonym column), {@code as}</td><td>the date moved by ±1..max days, the same amount for every row with the same {@code by} value</td></tr>
 *         <tr><td>{@code region}</td><td>{@code as} (default {@code region})</td><td>the address's 시/도, {@code 서울}, {@code 경기}, ...; {@code 기타} if unrecognised</td></tr>
 *       </table>
 *       Columns not named here are kept unchanged, after a scan for resident registration numbers, phone
 *       numbers and e-mail addresses (also split over two columns, or written with full-width digits or other
 *       separators), for names of direct identifiers, and for free text, that refuses to start if it finds one.
 *   <li>{@code quasiIdentifiers} (optional): output columns whose combinations must occur at least k times;
 *       default: every generalised output column plus any column named {@code sex} or {@code gender}.
 *   <li>{@code freeTextColumns} (optional): columns not named in {@code columns} that the data officer has
 *       reviewed and that hold free text (notes, comments). They are kept and still scanned for resident
 *       registration numbers, phone numbers and e-mail addresses; undeclared free text is refused, since names
 *       and addresses in it cannot be recognised. A column may not be named both here and in {@code columns}.
 * </ul>
 *
 * <p>Every error names the field, e.g. {@code pseudonymisation.columns.birth_date.ageBand.width}.
 */
public final class PseudonymisationConfig {
  /** The name of the section in the agent config. */
  public static final String SECTION = "pseudonymisation";
  /** The default k. */
  public static final int DEFAULT_K = 5;

  private static final ObjectMapper JSON = com.fasterxml.jackson.databind.json.JsonMapper.builder() // a key twice, or text after the document, is an error
      .enable(com.fasterxml.jackson.core.StreamReadFeature.STRICT_DUPLICATE_DETECTION)
      .enable(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_TRAILING_TOKENS).build();
  private static final List<String> TECHNIQUES = List.of("delete", "keep", "pseudonym", "age", "ageBand", "band",
      "month", "year", "shiftDays", "region");

  private final Path secretFile;
  private final int k;
  private final Map<String, Technique> columns;
  private final List<String> quasiIdentifiers;
  private final List<String> freeTextColumns;
  private final String hash;

  private PseudonymisationConfig(Path secretFile, int k, Map<String, Technique> columns, List<String> quasiIdentifiers,
                                 List<String> freeTextColumns, String hash) {
    this.secretFile = secretFile;
    this.k = k;
    this.columns = Collections.unmodifiableMap(columns);
    this.quasiIdentifiers = quasiIdentifiers == null ? null : List.copyOf(quasiIdentifiers);
    this.freeTextColumns = List.copyOf(freeTextColumns);
    this.hash = hash;
  }

  /**
   * Parses the section's JSON text (the object itself, without the {@code "pseudonymisation":} key).
   *
   * @throws IllegalArgumentException naming the field, if the section is invalid
   */
  public static PseudonymisationConfig parse(String sectionJson, Path baseDir) {
    JsonNode node;
    try {
      node = JSON.readTree(sectionJson);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException(SECTION + " is not valid JSON: " + e.getOriginalMessage(), e);
    }
    return parse(node, baseDir);
  }

  /**
   * Parses the section.
   *
   * @param section the value of {@code "pseudonymisation"} in the agent config
   * @param baseDir the agent config's directory, against which {@code secretFile} is resolved
   * @throws IllegalArgumentException naming the field, if the section is invalid
   */
  public static PseudonymisationConfig parse(JsonNode section, Path baseDir) {
    if (section == null || !section.isObject())
      throw new IllegalArgumentException(SECTION + " must be an object like {\"secretFile\": \"secret/pseudonym.key\", "
          + "\"k\": 5, \"columns\": {\"rrn\": \"delete\"}}");
    allowOnly(section, SECTION, List.of("secretFile", "k", "columns", "quasiIdentifiers", "freeTextColumns"));

    JsonNode secret = section.path("secretFile");
    if (!secret.isTextual() || secret.asText().isBlank())
      throw new IllegalArgumentException(SECTION + ".secretFile is required: the file that holds (or will hold) the site"
          + " secret, e.g. \"secret/pseudonym.key\", outside the data and cache directories");
    Path secretFile = baseDir.toAbsolutePath().resolve(secret.asText()).normalize();

    int k = DEFAULT_K;
    if (section.has("k")) {
      JsonNode kn = section.get("k");
      if (!kn.canConvertToInt() || !kn.isIntegralNumber() || kn.asInt() < 2)
        throw new IllegalArgumentException(SECTION + ".k must be a whole number ≥ 2 (records in smaller groups are"
            + " suppressed), was " + kn);
      k = kn.asInt();
    }

    JsonNode cols = section.path("columns");
    if (!cols.isObject())
      throw new IllegalArgumentException(SECTION + ".columns is required: an object naming each identifying column's"
          + " technique, e.g. {\"rrn\": \"delete\", \"patient_id\": \"pseudonym\"}");
    List<String> pseudonymColumns = new ArrayList<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = cols.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      if (techniqueName(e.getValue(), SECTION + ".columns." + e.getKey()).equals("pseudonym")) pseudonymColumns.add(e.getKey());
    }
    Map<String, Technique> columns = new LinkedHashMap<>();
    Map<String, String> outputs = new HashMap<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = cols.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      String field = SECTION + ".columns." + e.getKey();
      if (e.getKey().isBlank()) throw new IllegalArgumentException(SECTION + ".columns: a column name is empty");
      Technique t = technique(e.getKey(), e.getValue(), field, pseudonymColumns);
      String out = t.outputName(e.getKey());
      if (out != null) {
        String other = outputs.putIfAbsent(out, e.getKey());
        if (other != null)
          throw new IllegalArgumentException(field + ": output column \"" + out + "\" is also the output of column \""
              + other + "\"; give one of them another name with \"as\"");
      }
      columns.put(e.getKey(), t);
    }

    List<String> qis = null;
    if (section.has("quasiIdentifiers")) {
      JsonNode q = section.get("quasiIdentifiers");
      String field = SECTION + ".quasiIdentifiers";
      if (!q.isArray() || q.isEmpty())
        throw new IllegalArgumentException(field + " must be a non-empty list of output column names, e.g. [\"age_band\", \"sex\", \"region\"]"
            + " (leave it out for the default: every generalised column plus sex/gender)");
      qis = new ArrayList<>();
      for (JsonNode n : q) {
        if (!n.isTextual()) throw new IllegalArgumentException(field + " must list column names as strings, found " + n);
        if (qis.contains(n.asText())) throw new IllegalArgumentException(field + " names \"" + n.asText() + "\" twice");
        qis.add(n.asText());
      }
    }

    List<String> freeText = new ArrayList<>();
    if (section.has("freeTextColumns")) {
      JsonNode ft = section.get("freeTextColumns");
      String field = SECTION + ".freeTextColumns";
      if (!ft.isArray())
        throw new IllegalArgumentException(field + " must be a list of the names of columns that hold reviewed free text,"
            + " e.g. [\"note\"]");
      for (JsonNode n : ft) {
        if (!n.isTextual() || n.asText().isBlank())
          throw new IllegalArgumentException(field + " must list column names as strings, found " + n);
        String name = n.asText();
        if (freeText.contains(name)) throw new IllegalArgumentException(field + " names \"" + name + "\" twice");
        if (columns.containsKey(name))
          throw new IllegalArgumentException(field + ": \"" + name + "\" is also declared in " + SECTION + ".columns as \""
              + columns.get(name).describe() + "\", which decides what happens to it; list it in one place only");
        freeText.add(name);
      }
    }
    return new PseudonymisationConfig(secretFile, k, columns, qis, freeText, hash(section));
  }

  /** The file holding the site secret (absolute). */
  public Path secretFile() {
    return secretFile;
  }

  /** Smallest allowed size of a quasi-identifier group. */
  public int k() {
    return k;
  }

  /** The declared columns, in config order. */
  public Set<String> declaredColumns() {
    return columns.keySet();
  }

  /**
   * The column that keys patients after pseudonymisation: the one {@code pseudonym} column (it keeps its name), or
   * empty when there is none or more than one. Differential privacy uses it to protect patients, not rows.
   */
  public Optional<String> patientKeyColumn() {
    List<String> p = columns.entrySet().stream().filter(e -> e.getValue() instanceof Technique.Pseudonym)
        .map(Map.Entry::getKey).toList();
    return p.size() == 1 ? Optional.of(p.get(0)) : Optional.empty();
  }

  /**
   * The columns declared free text: kept unchanged and still scanned for resident registration numbers, phone numbers
   * and e-mail addresses, but not refused for being free text. In config order; none by default.
   */
  public List<String> freeTextColumns() {
    return freeTextColumns;
  }

  /** The configured quasi-identifiers, or empty for the default (generalised columns plus sex/gender). */
  public Optional<List<String>> quasiIdentifiers() {
    return Optional.ofNullable(quasiIdentifiers);
  }

  /**
   * SHA-256 (hex) of the section in canonical form (object keys sorted, no whitespace) without
   * {@code secretFile}: which secret was used is told by its fingerprint, so moving the file changes nothing.
   */
  public String hash() {
    return hash;
  }

  Map<String, Technique> techniques() {
    return columns;
  }

  @Override
  public String toString() {
    return "PseudonymisationConfig[k=" + k + ", columns=" + columns.keySet()
        + (freeTextColumns.isEmpty() ? "" : ", freeTextColumns=" + freeTextColumns) + ", hash=" + hash + "]";
  }

  private static String techniqueName(JsonNode spec, String field) {
    String name;
    if (spec.isTextual()) {
      name = spec.asText();
    } else if (spec.isObject() && spec.size() == 1) {
      name = spec.fieldNames().next();
    } else {
      throw new IllegalArgumentException(field + " must be a technique name such as \"delete\" or an object with one"
          + " technique such as {\"ageBand\": {\"width\": 10, \"at\": \"2026-01-01\"}}, was " + spec);
    }
    if (!TECHNIQUES.contains(name))
      throw new IllegalArgumentException(field + ": unknown technique \"" + name + "\"; use one of " + TECHNIQUES);
    return name;
  }

  private static Technique technique(String column, JsonNode spec, String field, List<String> pseudonymColumns) {
    String name = techniqueName(spec, field);
    JsonNode opts = spec.isObject() ? spec.get(name) : JSON.createObjectNode();
    String f = field + "." + name;
    if (opts.isBoolean() && opts.asBoolean()) opts = JSON.createObjectNode();
    if (!opts.isObject())
      throw new IllegalArgumentException(f + " must be an object of options (or true), was " + opts);
    return switch (name) {
      case "delete" -> {
        allowOnly(opts, f, List.of());
        yield new Technique.Delete();
      }
      case "keep" -> {
        allowOnly(opts, f, List.of());
        yield new Technique.Keep();
      }
      case "pseudonym" -> {
        allowOnly(opts, f, List.of());
        yield new Technique.Pseudonym();
      }
      case "age" -> {
        allowOnly(opts, f, List.of("at", "top", "as"));
        yield new Technique.Age(date(opts, f + ".at"), optionalInt(opts, f + ".top", 1, 150), as(opts, f, "age"));
      }
      case "ageBand" -> {
        allowOnly(opts, f, List.of("width", "at", "top", "as"));
        int width = requiredInt(opts, f + ".width", 1, 100);
        Integer top = optionalInt(opts, f + ".top", 1, 150);
        checkTop(top, width, f);
        yield new Technique.AgeBand(width, date(opts, f + ".at"), top, as(opts, f, "age_band"));
      }
      case "band" -> {
        allowOnly(opts, f, List.of("width", "top", "as"));
        int width = requiredInt(opts, f + ".width", 1, 1_000_000);
        Integer top = optionalInt(opts, f + ".top", Integer.MIN_VALUE, Integer.MAX_VALUE);
        checkTop(top, width, f);
        yield new Technique.Band(width, top, as(opts, f, column));
      }
      case "month" -> {
        allowOnly(opts, f, List.of("as"));
        yield new Technique.Month(as(opts, f, column));
      }
      case "year" -> {
        allowOnly(opts, f, List.of("as"));
        yield new Technique.Year(as(opts, f, column));
      }
      case "shiftDays" -> {
        allowOnly(opts, f, List.of("max", "by", "as"));
        int max = requiredInt(opts, f + ".max", 1, 3650);
        String by;
        if (opts.has("by")) {
          if (!opts.get("by").isTextual() || opts.get("by").asText().isBlank())
            throw new IllegalArgumentException(f + ".by must name the column that identifies the patient, e.g. \"patient_id\"");
          by = opts.get("by").asText();
        } else if (pseudonymColumns.size() == 1) {
          by = pseudonymColumns.get(0);
        } else {
          throw new IllegalArgumentException(f + ".by is required: name the column that identifies the patient (there is "
              + (pseudonymColumns.isEmpty() ? "no" : "more than one") + " \"pseudonym\" column to default to)");
        }
        yield new Technique.ShiftDays(max, by, as(opts, f, column));
      }
      case "region" -> {
        allowOnly(opts, f, List.of("as"));
        yield new Technique.Region(as(opts, f, "region"));
      }
      default -> throw new AssertionError(name);
    };
  }

  private static void checkTop(Integer top, int width, String f) {
    if (top != null && Math.floorMod(top, width) != 0)
      throw new IllegalArgumentException(f + ".top must be a multiple of width " + width + " so that bands do not overlap,"
          + " was " + top);
  }

  private static LocalDate date(JsonNode opts, String field) {
    String name = field.substring(field.lastIndexOf('.') + 1);
    JsonNode n = opts.path(name);
    if (!n.isTextual())
      throw new IllegalArgumentException(field + " is required: the date on which ages are computed, e.g. \"2026-01-01\"");
    try {
      return LocalDate.parse(n.asText());
    } catch (DateTimeParseException e) {
      throw new IllegalArgumentException(field + " must be a date like \"2026-01-01\", was \"" + n.asText() + "\"");
    }
  }

  private static int requiredInt(JsonNode opts, String field, int min, int max) {
    Integer v = optionalInt(opts, field, min, max);
    if (v == null) throw new IllegalArgumentException(field + " is required (a whole number " + min + ".." + max + ")");
    return v;
  }

  private static Integer optionalInt(JsonNode opts, String field, int min, int max) {
    JsonNode n = opts.get(field.substring(field.lastIndexOf('.') + 1));
    if (n == null) return null;
    if (!n.isIntegralNumber() || !n.canConvertToInt() || n.asInt() < min || n.asInt() > max)
      throw new IllegalArgumentException(field + " must be a whole number" + (min == Integer.MIN_VALUE ? "" : " " + min + ".." + max)
          + ", was " + n);
    return n.asInt();
  }

  private static String as(JsonNode opts, String field, String defaultName) {
    if (!opts.has("as")) return defaultName;
    JsonNode n = opts.get("as");
    if (!n.isTextual() || n.asText().isBlank())
      throw new IllegalArgumentException(field + ".as must be the output column's name, was " + n);
    return n.asText();
  }

  private static void allowOnly(JsonNode node, String field, List<String> allowed) {
    if (allowed.isEmpty() && node.fieldNames().hasNext())
      throw new IllegalArgumentException(field + "." + node.fieldNames().next() + ": unknown setting; this technique takes no options");
    JsonFields.of(node, field, "setting", (path, problem) -> new IllegalArgumentException(path + ": " + problem)).allowOnly(allowed);
  }

  private static String hash(JsonNode section) {
    ObjectNode copy = ((ObjectNode) section).deepCopy();
    copy.remove("secretFile");
    try {
      byte[] canonical = ("dure-pseudonymisation-v1\n" + JSON.writeValueAsString(canonical(copy)))
          .getBytes(StandardCharsets.UTF_8);
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(canonical));
    } catch (JsonProcessingException | NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static JsonNode canonical(JsonNode node) {
    if (node.isObject()) {
      ObjectNode sorted = JSON.createObjectNode();
      for (String name : new TreeSet<>(iterable(node.fieldNames()))) sorted.set(name, canonical(node.get(name)));
      return sorted;
    }
    if (node.isArray()) {
      var array = JSON.createArrayNode();
      node.forEach(n -> array.add(canonical(n)));
      return array;
    }
    return node;
  }

  private static List<String> iterable(Iterator<String> it) {
    List<String> out = new ArrayList<>();
    it.forEachRemaining(out::add);
    return out;
  }
}
