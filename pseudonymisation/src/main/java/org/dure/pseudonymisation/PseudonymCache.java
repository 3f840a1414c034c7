package org.dure.pseudonymisation;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedOutputStream;
import java.io.BufferedWriter;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import org.dure.crypto.SecureFiles;
import org.dure.tabular.CsvReader;
import org.dure.tabular.DataException;
import org.dure.tabular.Records;
import org.dure.tabular.Table;

/**
 * Pseudonymised results on disk, one owner-only file per (input content, config, secret fingerprint), named by the
 * SHA-256 of the three. It holds only what {@link Pseudonymiser} produced: the output table and its report, never an
 * input value or the secret. An unreadable or damaged entry is treated as missing.
 *
 * <p>Format: one line of JSON ({@code key}, {@code report}, {@code header}, {@code rows}, {@code bodyBytes},
 * {@code bodySha256}), then the records as CSV, each with the input line it came from as its first field. Studies
 * read it one record at a time ({@link #get} returns a {@link Table} over the file), so an extract of millions of
 * rows is never held as text.
 */
final class PseudonymCache {
  private static final ObjectMapper JSON = new ObjectMapper();
  static final String SUFFIX = ".pseudonymised";
  /** The first column of an entry's CSV: the input line each record came from. */
  private static final String LINE_COLUMN = "#input-line";

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
    return sha256(("dure-pseudonymisation-cache-v2\0" + source + "\0" + inputHash + "\0" + configHash + "\0"
        + secretFingerprint).getBytes(StandardCharsets.UTF_8));
  }

  Path file(String key) {
    return dir.resolve(key + SUFFIX);
  }

  /** The entry for {@code key}, checked whole against its recorded size and SHA-256, or empty. */
  Optional<PseudonymisedData> get(String key) {
    Path f = file(key);
    if (!Files.isRegularFile(f)) return Optional.empty();
    try (InputStream in = new java.io.BufferedInputStream(Files.newInputStream(f), 1 << 16)) {
      Meta meta = meta(in);
      if (meta == null || !key.equals(meta.json.path("key").asText())) return Optional.empty();
      MessageDigest md = digest();
      byte[] buf = new byte[1 << 16];
      long total = 0;
      for (int n; (n = in.read(buf)) > 0; ) {
        md.update(buf, 0, n);
        total += n;
      }
      if (total != meta.json.path("bodyBytes").asLong(-1)
          || !HexFormat.of().formatHex(md.digest()).equals(meta.json.path("bodySha256").asText())) return Optional.empty();
      PseudonymisationReport report = PseudonymisationReport.fromJson(meta.json.path("report").toString());
      List<String> header = new ArrayList<>();
      meta.json.path("header").forEach(h -> header.add(h.asText()));
      int rows = meta.json.path("rows").asInt(-1);
      if (rows < 0) return Optional.empty();
      return Optional.of(new PseudonymisedData(new Entry(f, report.source(), header, rows, meta.offset),
          report.fromCache(true)));
    } catch (IOException | RuntimeException e) {
      return Optional.empty(); // a damaged entry is recomputed and overwritten
    }
  }

  /** Starts writing the entry for {@code key}; nothing is visible until {@link Writer#commit}. */
  EntryWriter writer(String key, String source, List<String> header) throws IOException {
    return new EntryWriter(key, source, header);
  }

  private record Meta(JsonNode json, long offset) {}

  /** Reads the first line (the JSON metadata) of an entry; null if it is not one. */
  private static Meta meta(InputStream in) throws IOException {
    ByteArrayOutputStream line = new ByteArrayOutputStream();
    for (int b; (b = in.read()) != '\n'; ) {
      if (b < 0 || line.size() > (16 << 20)) return null;
      line.write(b);
    }
    JsonNode json = JSON.readTree(line.toByteArray());
    return json != null && json.isObject() ? new Meta(json, line.size() + 1L) : null;
  }

  /** A new entry being written: the records go to a temporary body file, then header and body become the entry. */
  final class EntryWriter implements AutoCloseable {
    private final String key;
    private final String source;
    private final List<String> header;
    private final Path body;
    private final MessageDigest md = digest();
    private final Writer out;
    private final CountingStream counting;
    private int rows;
    private boolean done;

    private EntryWriter(String key, String source, List<String> header) throws IOException {
      this.key = key;
      this.source = source;
      this.header = List.copyOf(header);
      // a name of its own: two processes of one site (the agent, `dure agent pseudonymise`) may write at once
      this.body = Files.createTempFile(dir, key + ".", ".body.tmp", SecureFiles.ownerOnlyFile(dir));
      OutputStream file = Files.newOutputStream(body, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING);
      counting = new CountingStream(new DigestOutputStream(new BufferedOutputStream(file, 1 << 16), md));
      out = new BufferedWriter(new OutputStreamWriter(counting, StandardCharsets.UTF_8), 1 << 16);
      write(-1, header.toArray(new String[0]));
    }

    /** Appends one output record that came from input line {@code line}. */
    void write(int line, String[] values) throws IOException {
      out.write(line < 0 ? LINE_COLUMN : Integer.toString(line));
      for (String v : values) {
        out.write(',');
        writeField(out, v);
      }
      out.write('\n');
      if (line >= 0) rows++;
    }

    /** Makes the entry visible (replacing any other entry: only the latest result is kept) and returns it. */
    PseudonymisedData commit(PseudonymisationReport report) throws IOException {
      out.close();
      ObjectNode meta = JSON.createObjectNode();
      meta.put("key", key);
      meta.set("report", JSON.readTree(report.toJson()));
      meta.putArray("header").addAll(header.stream().map(JSON.getNodeFactory()::textNode).toList());
      meta.put("rows", rows);
      meta.put("bodyBytes", counting.count);
      meta.put("bodySha256", HexFormat.of().formatHex(md.digest()));
      byte[] first = (JSON.writeValueAsString(meta) + "\n").getBytes(StandardCharsets.UTF_8);
      Path target = file(key);
      Path tmp = Files.createTempFile(dir, key + ".", ".entry.tmp", SecureFiles.ownerOnlyFile(dir));
      try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE);
           FileChannel from = FileChannel.open(body, StandardOpenOption.READ)) {
        ch.write(java.nio.ByteBuffer.wrap(first));
        long size = from.size();
        for (long at = 0; at < size; ) at += from.transferTo(at, size - at, ch);
        ch.force(true);
      }
      Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      Files.deleteIfExists(body);
      done = true;
      // Only the latest result is kept: earlier extracts must not pile up on the site's disk (retention), and a site
      // pseudonymises one data source.
      // (Another process's files being written are left alone unless a day old: left over from a crash.)
      long dayAgo = System.currentTimeMillis() - 86_400_000L;
      try (var entries = Files.list(dir)) {
        for (Path p : (Iterable<Path>) entries::iterator) {
          if (p.equals(target)) continue;
          boolean writing = p.getFileName().toString().endsWith(".tmp");
          if (!writing || Files.getLastModifiedTime(p).toMillis() < dayAgo) Files.deleteIfExists(p);
        }
      }
      return new PseudonymisedData(new Entry(target, source, header, rows, first.length), report);
    }

    /** Discards an entry not committed. */
    @Override public void close() throws IOException {
      if (done) return;
      try {
        out.close();
      } finally {
        Files.deleteIfExists(body);
      }
    }
  }

  /** RFC 4180: quoted when it holds a comma, a quote or a line break (or is empty, so that a record is never blank). */
  static void writeField(Writer out, String v) throws IOException {
    boolean quote = false;
    for (int i = 0; i < v.length() && !quote; i++) {
      char c = v.charAt(i);
      quote = c == ',' || c == '"' || c == '\n' || c == '\r';
    }
    if (!quote && !(v.length() > 0 && v.charAt(0) == '\uFEFF')) {
      out.write(v);
      return;
    }
    out.write('"');
    for (int i = 0; i < v.length(); i++) {
      char c = v.charAt(i);
      if (c == '"') out.write('"');
      out.write(c);
    }
    out.write('"');
  }

  /** A cached output as a {@link Table}: read one record at a time from the file. */
  static final class Entry implements Table {
    private final Path file;
    private final String source;
    private final List<String> header;
    private final int rows;
    private final long offset;

    Entry(Path file, String source, List<String> header, int rows, long offset) {
      this.file = file;
      this.source = source;
      this.header = List.copyOf(header);
      this.rows = rows;
      this.offset = offset;
    }

    @Override public String sourceName() {
      return source;
    }

    @Override public List<String> header() {
      return header;
    }

    @Override public int rowCount() {
      return rows;
    }

    @Override public Records open() throws IOException, DataException {
      InputStream in = Files.newInputStream(file);
      try {
        in.skipNBytes(offset);
      } catch (IOException e) {
        in.close();
        throw new IOException("the pseudonymised cache " + file + " changed while it was in use; restart the agent", e);
      }
      CsvReader r = CsvReader.open(file.getFileName().toString(), in, ',');
      return new Records() {
        @Override public String sourceName() {
          return source;
        }

        @Override public List<String> header() {
          return header;
        }

        @Override public boolean next() throws IOException, DataException {
          return r.next();
        }

        @Override public String value(int column) {
          return r.value(column + 1);
        }

        @Override public int line() {
          return Integer.parseInt(r.value(0));
        }

        @Override public void close() throws IOException {
          r.close();
        }
      };
    }
  }

  private static final class CountingStream extends java.io.FilterOutputStream {
    long count;

    CountingStream(OutputStream out) {
      super(out);
    }

    @Override public void write(int b) throws IOException {
      out.write(b);
      count++;
    }

    @Override public void write(byte[] b, int off, int len) throws IOException {
      out.write(b, off, len);
      count += len;
    }
  }

  private static MessageDigest digest() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  static String sha256(byte[] bytes) {
    return HexFormat.of().formatHex(digest().digest(bytes));
  }
}
