package org.dure.agent.outbound;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.dure.protocol.wire.Frames;

/**
 * The site's outbound ledger: one JSON line per message that leaves the hospital, written and synced to disk
 * <em>before</em> the message is sent, in {@code <workDir>/outbound.log} (owner-only).
 *
 * <pre>{@code
 * {"seq":7,"time":"2026-11-29T16:40:02.113Z","study":"75c6c45a-...","round":3,"kind":"masked-input",
 *  "bytes":3322,"sha256":"<hex of the exact bytes sent>",
 *  "filters":["approval","budget","clip-noise","secure-aggregation"],"prev":"<hash of line 6>","hash":"<hash of this line>"}
 * }</pre>
 *
 * <p>{@code filters} names, in order, the site's privacy filters the message went through before it was recorded
 * ({@code org.dure.agent.chain.PrivacyChain}); it is optional: absent on a message that passed none (hello) and on
 * every line written before entries recorded it, which still read and verify as they did (the hash covers the
 * line's bytes as written, whichever fields it has).
 *
 * <p>A line's {@code hash} is the SHA-256 of the line as it reads without its {@code ,"hash":"..."} field (that is,
 * of the JSON object of the other fields, exactly as written), and {@code prev} is the previous line's {@code hash}
 * (64 zeros on line 1; for a line that is not a well-formed entry, the SHA-256 of its raw bytes). So a changed byte
 * is named by its own line, and a line inserted, deleted or moved breaks {@code prev} or {@code seq} where it happened
 * ({@link OutboundReader#read}). Lines removed from the <em>end</em> leave a shorter chain that is still intact: to
 * catch that, compare the head that {@code dure agent outbound} prints with one noted earlier.
 *
 * <p>Several processes may append (the agent, and {@code dure agent doctor} for its hello): every append holds an
 * exclusive file lock and chains to the last line actually in the file.
 */
public final class OutboundLedger implements OutboundRecorder {
  public static final String FILE = "outbound.log";
  static final String GENESIS = "0".repeat(64);
  static final ObjectMapper JSON = new ObjectMapper();
  /** One lock per file in this JVM: file locks are per process, so threads (and two ledgers on one file) meet here. */
  private static final Map<Path, Object> LOCKS = new ConcurrentHashMap<>();

  private final Path file;
  private final Clock clock;
  private final Object lock;
  /** The file as this ledger last left it (size and tail), so an append need not re-read the file; guarded by lock. */
  private long knownSize = -1;
  private Tail known;

  private OutboundLedger(Path file, Clock clock) {
    this.file = file;
    this.clock = clock;
    this.lock = LOCKS.computeIfAbsent(file, f -> new Object());
  }

  /** Opens (creating if needed, owner-only) the ledger in {@code workDir}. */
  public static OutboundLedger open(Path workDir) throws IOException {
    return open(workDir, Clock.systemUTC());
  }

  static OutboundLedger open(Path workDir, Clock clock) throws IOException {
    org.dure.crypto.SecureFiles.createOwnerOnlyDirectories(workDir); // never world-readable, not even for a moment
    Path file = workDir.resolve(FILE).toAbsolutePath().normalize();
    boolean posix = file.getFileSystem().supportedFileAttributeViews().contains("posix");
    if (!Files.exists(file)) {
      if (posix) Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
      else Files.createFile(file);
    } else if (posix) {
      Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
    }
    if (!Files.isWritable(file)) throw new IOException("the outbound ledger " + file + " is not writable by this user");
    return new OutboundLedger(file, clock);
  }

  public Path file() {
    return file;
  }

  /** Describes {@code payload} (study, round, kind), appends its line and syncs it to disk. */
  @Override public void record(boolean binary, byte[] payload) throws IOException {
    record(binary, payload, java.util.List.of());
  }

  /** Describes {@code payload}, appends its line with the filters it went through (none: no field) and syncs it. */
  @Override public void record(boolean binary, byte[] payload, java.util.List<String> filters) throws IOException {
    Described d = binary ? describeFrame(payload) : describeJson(payload);
    synchronized (lock) {
      try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
           FileLock held = ch.lock()) {
        assert held.isValid();
        Tail tail = ch.size() == knownSize ? known : tail(ch);
        ObjectNode line = JSON.createObjectNode();
        line.put("seq", tail.lines + 1);
        line.put("time", clock.instant().toString());
        if (d.study == null) line.putNull("study"); else line.put("study", d.study);
        if (d.round == null) line.putNull("round"); else line.put("round", d.round);
        line.put("kind", d.kind);
        line.put("bytes", payload.length);
        line.put("sha256", hex(sha256(payload, 0, payload.length)));
        if (!filters.isEmpty()) filters.forEach(line.putArray("filters")::add);
        line.put("prev", tail.lastLineHash);
        byte[] body = JSON.writeValueAsBytes(line);
        String hash = hex(sha256(body, 0, body.length));
        byte[] text = seal(body, hash);
        ByteBuffer out = ByteBuffer.allocate(text.length + 2);
        if (tail.unterminated) out.put((byte) '\n'); // a line cut short by a crash stays a (broken) line of its own
        out.put(text).put((byte) '\n').flip();
        long at = ch.size();
        while (out.hasRemaining()) at += ch.write(out, at);
        ch.force(false);
        knownSize = at;
        known = new Tail(tail.lines + 1, hash, false);
      }
    }
  }

  private record Described(String study, Integer round, String kind) {}

  private record Tail(long lines, String lastLineHash, boolean unterminated) {}

  /** The number of lines and the hash of the last one, found by reading the file (it may have grown in another process). */
  private static Tail tail(FileChannel ch) throws IOException {
    long size = ch.size();
    if (size == 0) return new Tail(0, GENESIS, false);
    byte[] all = new byte[Math.toIntExact(size)];
    ByteBuffer b = ByteBuffer.wrap(all);
    while (b.hasRemaining() && ch.read(b, b.position()) >= 0) {
      // read until full
    }
    boolean unterminated = all[all.length - 1] != '\n';
    int end = unterminated ? all.length : all.length - 1;
    int start = end;
    long lines = 0;
    for (int i = 0; i < end; i++) if (all[i] == '\n') lines++;
    lines++; // the last line
    while (start > 0 && all[start - 1] != '\n') start--;
    return new Tail(lines, chainHash(all, start, end), unterminated);
  }

  private static final byte[] HASH_FIELD = ",\"hash\":\"".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
  /** {@code ,"hash":"} + 64 hex digits + {@code "}}. */
  static final int SEAL_BYTES = HASH_FIELD.length + 64 + 2;

  /** The line for {@code body} (a JSON object): the object with {@code ,"hash":"<hash>"} added as its last field. */
  static byte[] seal(byte[] body, String hash) {
    ByteBuffer b = ByteBuffer.allocate(body.length - 1 + SEAL_BYTES);
    b.put(body, 0, body.length - 1).put(HASH_FIELD).put(hash.getBytes(java.nio.charset.StandardCharsets.US_ASCII))
        .put((byte) '"').put((byte) '}');
    return b.array();
  }

  /**
   * The body a sealed line {@code all[start, end)} was made from, or null when the line does not end in a
   * well-formed {@code ,"hash":"..."}} field.
   */
  static byte[] body(byte[] all, int start, int end) {
    int at = end - SEAL_BYTES;
    if (at <= start || all[end - 1] != '}' || all[end - 2] != '"') return null;
    for (int i = 0; i < HASH_FIELD.length; i++) if (all[at + i] != HASH_FIELD[i]) return null;
    byte[] body = new byte[at - start + 1];
    System.arraycopy(all, start, body, 0, at - start);
    body[body.length - 1] = '}';
    return body;
  }

  /** The hash field stored in a sealed line (null when not sealed). */
  static String storedHash(byte[] all, int start, int end) {
    if (body(all, start, end) == null) return null;
    return new String(all, end - 66, 64, java.nio.charset.StandardCharsets.US_ASCII);
  }

  /** What the next line's {@code prev} must be: the stored hash of a sealed line, else the SHA-256 of its raw bytes. */
  static String chainHash(byte[] all, int start, int end) {
    String stored = storedHash(all, start, end);
    return stored != null ? stored : hex(sha256(all, start, end - start));
  }

  static Described describeFrame(byte[] frame) {
    try {
      Frames.Header h = Frames.readHeader(frame);
      return new Described(h.studyId().toString(), h.round(), h.kind().name().toLowerCase(Locale.ROOT).replace('_', '-'));
    } catch (Frames.FrameException e) {
      return new Described(null, null, "binary");
    }
  }

  static Described describeJson(byte[] json) {
    try {
      JsonNode n = JSON.readTree(json);
      String kind = n.path("type").isTextual() ? n.path("type").asText() : "text";
      String study = n.path("studyId").isTextual() ? n.path("studyId").asText() : null;
      Integer round = n.path("round").canConvertToInt() && n.path("round").isIntegralNumber() ? n.path("round").asInt() : null;
      return new Described(study, round, kind);
    } catch (IOException e) {
      return new Described(null, null, "text");
    }
  }

  static byte[] sha256(byte[] bytes, int offset, int length) {
    try {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      md.update(bytes, offset, length);
      return md.digest();
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 missing from the JDK", e);
    }
  }

  static String hex(byte[] bytes) {
    return HexFormat.of().formatHex(bytes);
  }

  /** Lower-case hex SHA-256 of {@code bytes}: what a ledger line records for them. */
  public static String sha256Hex(byte[] bytes) {
    return hex(sha256(bytes, 0, bytes.length));
  }

  @Override public String toString() {
    return "OutboundLedger(" + file + ")";
  }

}
