package org.dure.pseudonymisation;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import org.dure.crypto.SecureFiles;
import org.dure.tabular.CsvTable;

/**
 * Pseudonymised results on disk, one owner-only JSON file per (input content, config, secret fingerprint),
 * named by the SHA-256 of the three. It holds only what {@link Pseudonymiser} produced: the output table and
 * its report, never an input value or the secret. An unreadable entry is treated as missing.
 */
final class PseudonymCache {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Path dir;

  PseudonymCache(Path dir) throws IOException {
    this.dir = dir.toAbsolutePath().normalize();
    if (!Files.isDirectory(this.dir)) {
      try {
        if (this.dir.getFileSystem().supportedFileAttributeViews().contains("posix")) {
          Files.createDirectories(this.dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        } else {
          Files.createDirectories(this.dir);
        }
      } catch (IOException e) {
        throw new IOException("cannot create the pseudonymisation cache directory " + this.dir + ": " + e.getMessage(), e);
      }
    }
  }

  static String key(String source, String inputHash, String configHash, String secretFingerprint) {
    return sha256(("dure-pseudonymisation-cache-v1\0" + source + "\0" + inputHash + "\0" + configHash + "\0"
        + secretFingerprint).getBytes(StandardCharsets.UTF_8));
  }

  Path file(String key) {
    return dir.resolve(key + ".json");
  }

  Optional<PseudonymisedTable> get(String key) {
    Path f = file(key);
    if (!Files.isRegularFile(f)) return Optional.empty();
    try {
      JsonNode root = JSON.readTree(f.toFile());
      if (!key.equals(root.path("key").asText())) return Optional.empty();
      PseudonymisationReport report = PseudonymisationReport.fromJson(root.path("report").toString());
      List<String> header = new ArrayList<>();
      root.path("header").forEach(h -> header.add(h.asText()));
      List<String[]> records = new ArrayList<>();
      for (JsonNode r : root.path("records")) {
        String[] fields = new String[r.size()];
        for (int i = 0; i < fields.length; i++) fields[i] = r.get(i).asText();
        records.add(fields);
      }
      JsonNode ln = root.path("lines");
      int[] lines = new int[ln.size()];
      for (int i = 0; i < lines.length; i++) lines[i] = ln.get(i).asInt();
      return Optional.of(new PseudonymisedTable(CsvTable.of(report.source(), header, records, lines), report.fromCache(true)));
    } catch (IOException | RuntimeException e) {
      return Optional.empty(); // a damaged entry is recomputed and overwritten
    }
  }

  void put(String key, PseudonymisedTable result) throws IOException {
    ObjectNode root = JSON.createObjectNode();
    root.put("key", key);
    root.set("report", JSON.readTree(result.report().toJson()));
    CsvTable t = result.table();
    ArrayNode header = root.putArray("header");
    t.header().forEach(header::add);
    ArrayNode lines = root.putArray("lines");
    ArrayNode records = root.putArray("records");
    for (int r = 0; r < t.rowCount(); r++) {
      lines.add(t.line(r));
      ArrayNode rec = records.addArray();
      for (int c = 0; c < t.header().size(); c++) rec.add(t.value(r, c));
    }
    SecureFiles.writeAtomically(file(key), JSON.writeValueAsString(root), true);
    // Only the latest result is kept: earlier extracts must not pile up on the site's disk (retention), and a site
    // pseudonymises one data source.
    try (var entries = java.nio.file.Files.list(dir)) {
      for (Path p : (Iterable<Path>) entries::iterator) {
        String name = p.getFileName().toString();
        if (name.endsWith(".json") && !p.equals(file(key))) java.nio.file.Files.deleteIfExists(p);
      }
    }
  }

  static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
