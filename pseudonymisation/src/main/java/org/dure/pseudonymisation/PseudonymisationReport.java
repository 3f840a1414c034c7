package org.dure.pseudonymisation;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * What pseudonymisation did to one input: which columns were removed, pseudonymised, generalised (and how)
 * or kept, the quasi-identifiers, how many records were suppressed and the k actually achieved. It holds
 * column names, counts and hashes, never a data value or the secret, so it can be shown, logged and
 * archived with the study. {@link #toJson()} is the record; {@link #toText()} is the rendering for the CLI.
 *
 * @param source the input's source name (file name)
 * @param inputHash SHA-256 of the input's header and records
 * @param configHash {@link PseudonymisationConfig#hash()}
 * @param secretFingerprint a public fingerprint of the site secret (not the secret)
 * @param createdAt when the output was computed (a cached result keeps its original time)
 * @param fromCache whether this result was read from the cache rather than computed now
 * @param removed columns deleted, in input order
 * @param pseudonymised columns replaced by keyed-hash pseudonyms
 * @param generalised columns replaced by a generalised column
 * @param kept undeclared columns kept unchanged after the identifier scan found nothing in them
 * @param reviewed columns declared {@code keep}: unchanged and not scanned
 * @param quasiIdentifiers the output columns whose combinations were counted
 * @param k the k required by the config
 * @param achievedK the smallest quasi-identifier group after suppression (0 if no record is left)
 * @param groups the number of quasi-identifier groups after suppression
 * @param recordsIn records in the input
 * @param recordsSuppressed records removed because their group was smaller than k
 */
public record PseudonymisationReport(String source, String inputHash, String configHash, String secretFingerprint,
                                     Instant createdAt, boolean fromCache, List<String> removed,
                                     List<String> pseudonymised, List<Generalisation> generalised, List<String> kept,
                                     List<String> reviewed, List<String> quasiIdentifiers, int k, int achievedK,
                                     int groups, int recordsIn, int recordsSuppressed) {
  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  /**
   * One generalised column.
   *
   * @param column the input column
   * @param output the output column that replaces it
   * @param technique the technique and its options, e.g. {@code ageBand(width=10, at=2026-01-01)}
   * @param note what else the data officer should know (e.g. how many addresses were not recognised), or empty
   */
  public record Generalisation(String column, String output, String technique, String note) {}

  public PseudonymisationReport {
    removed = List.copyOf(removed);
    pseudonymised = List.copyOf(pseudonymised);
    generalised = List.copyOf(generalised);
    kept = List.copyOf(kept);
    reviewed = List.copyOf(reviewed);
    quasiIdentifiers = List.copyOf(quasiIdentifiers);
  }

  /** Records in the output. */
  public int recordsOut() {
    return recordsIn - recordsSuppressed;
  }

  PseudonymisationReport fromCache(boolean cached) {
    return new PseudonymisationReport(source, inputHash, configHash, secretFingerprint, createdAt, cached, removed,
        pseudonymised, generalised, kept, reviewed, quasiIdentifiers, k, achievedK, groups, recordsIn, recordsSuppressed);
  }

  /** The report as an indented JSON object. */
  public String toJson() {
    ObjectNode o = JSON.createObjectNode();
    o.put("source", source);
    o.put("createdAt", createdAt.toString());
    o.put("fromCache", fromCache);
    o.put("inputHash", inputHash);
    o.put("configHash", configHash);
    o.put("secretFingerprint", secretFingerprint);
    strings(o.putArray("removed"), removed);
    strings(o.putArray("pseudonymised"), pseudonymised);
    ArrayNode g = o.putArray("generalised");
    for (Generalisation x : generalised) {
      g.addObject().put("column", x.column()).put("output", x.output()).put("technique", x.technique()).put("note", x.note());
    }
    strings(o.putArray("kept"), kept);
    strings(o.putArray("reviewed"), reviewed);
    strings(o.putArray("quasiIdentifiers"), quasiIdentifiers);
    o.put("k", k);
    o.put("achievedK", achievedK);
    o.put("groups", groups);
    o.put("recordsIn", recordsIn);
    o.put("recordsSuppressed", recordsSuppressed);
    o.put("recordsOut", recordsOut());
    try {
      return JSON.writeValueAsString(o);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Reads a report written by {@link #toJson()}. */
  public static PseudonymisationReport fromJson(String json) throws IOException {
    JsonNode o = JSON.readTree(json);
    if (o == null || !o.isObject() || !o.path("createdAt").isTextual())
      throw new IOException("not a pseudonymisation report");
    List<Generalisation> g = new ArrayList<>();
    for (JsonNode x : o.path("generalised")) {
      g.add(new Generalisation(x.path("column").asText(), x.path("output").asText(), x.path("technique").asText(),
          x.path("note").asText("")));
    }
    try {
      return new PseudonymisationReport(o.path("source").asText(), o.path("inputHash").asText(),
          o.path("configHash").asText(), o.path("secretFingerprint").asText(), Instant.parse(o.path("createdAt").asText()),
          o.path("fromCache").asBoolean(), strings(o.path("removed")), strings(o.path("pseudonymised")), g,
          strings(o.path("kept")), strings(o.path("reviewed")), strings(o.path("quasiIdentifiers")), o.path("k").asInt(),
          o.path("achievedK").asInt(), o.path("groups").asInt(), o.path("recordsIn").asInt(),
          o.path("recordsSuppressed").asInt());
    } catch (RuntimeException e) {
      throw new IOException("not a pseudonymisation report: " + e.getMessage(), e);
    }
  }

  /** A short plain-text rendering for the command line. */
  public String toText() {
    StringBuilder b = new StringBuilder();
    b.append(String.format(Locale.ROOT, "pseudonymised %s: %d records in, %d suppressed, %d out (%s, %s)%n", source,
        recordsIn, recordsSuppressed, recordsOut(), createdAt.truncatedTo(java.time.temporal.ChronoUnit.SECONDS),
        fromCache ? "from cache" : "computed now"));
    line(b, "removed", String.join(", ", removed));
    line(b, "pseudonymised", pseudonymised.isEmpty() ? "" : String.join(", ", pseudonymised)
        + " (HMAC-SHA-256, secret " + secretFingerprint.substring(0, Math.min(12, secretFingerprint.length())) + "…)");
    line(b, "generalised", generalised.stream()
        .map(x -> x.column() + " → " + x.output() + " by " + x.technique() + (x.note().isEmpty() ? "" : " [" + x.note() + "]"))
        .collect(Collectors.joining("\n" + " ".repeat(17))));
    line(b, "kept", String.join(", ", kept));
    line(b, "reviewed", reviewed.isEmpty() ? "" : String.join(", ", reviewed) + " (declared keep, not scanned)");
    line(b, "k-anonymity", String.format(Locale.ROOT, "k=%d required, %d achieved; %d groups of %s", k, achievedK, groups,
        quasiIdentifiers.isEmpty() ? "(no quasi-identifiers)" : String.join(", ", quasiIdentifiers)));
    line(b, "config", configHash.substring(0, Math.min(16, configHash.length())) + "…, input "
        + inputHash.substring(0, Math.min(16, inputHash.length())) + "…");
    return b.toString();
  }

  private static void line(StringBuilder b, String label, String value) {
    b.append(String.format(Locale.ROOT, "  %-15s%s%n", label, value.isEmpty() ? "-" : value));
  }

  private static void strings(ArrayNode array, List<String> values) {
    values.forEach(array::add);
  }

  private static List<String> strings(JsonNode array) {
    List<String> out = new ArrayList<>();
    array.forEach(n -> out.add(n.asText()));
    return out;
  }
}
