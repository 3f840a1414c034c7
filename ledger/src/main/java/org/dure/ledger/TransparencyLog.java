package org.dure.ledger;

import static java.nio.file.StandardOpenOption.CREATE;
import static java.nio.file.StandardOpenOption.READ;
import static java.nio.file.StandardOpenOption.WRITE;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
import org.dure.ledger.merkle.MerkleTree;
import org.dure.crypto.pki.SiteKeys;
import org.dure.ledger.LedgerException.Reason;

/**
 * The coordinator's append-only participation ledger, in the style of Certificate Transparency: every event is
 * one signed {@link LedgerEntry}, the entries are the leaves of an RFC 6962 Merkle tree, and the coordinator
 * signs tree heads ({@link SignedTreeHead}) so that sites and auditors can prove any later view of the log
 * extends an earlier one ({@link #consistencyProof}) and that an entry is in it ({@link #inclusionProof}).
 *
 * <p>On disk, a directory holds {@value #ENTRIES_FILE} (one entry's canonical JSON per line, the line's bytes
 * being the Merkle leaf) and {@value #TREE_HEADS_FILE} (every tree head handed out, one per line). Opening a
 * log rebuilds the tree from the entries and checks the published heads against it; a log that was damaged is
 * refused with the offset of the damage (see {@link #repairTornTail} for the one repair done automatically on
 * request: an incomplete last line left by a crash).
 *
 * <p>Durability and throughput: {@link #append} hands the event to one writer thread and returns a future that
 * completes only after the entry's bytes are written and synced ({@code FileChannel.force}). The writer drains
 * everything queued, signs the batch (on {@link Options#signingThreads()} threads), writes it with one write and
 * one sync, then completes every future of the batch (group commit), so concurrent appenders share syncs. The
 * futures complete on the writer thread: dependent stages must not block (use the {@code *Async} variants or
 * Vert.x's {@code Future.fromCompletionStage(f, context)}), and must never wait on this log.
 *
 * <p>Instances are thread-safe; one directory may be open by one instance at a time (a file lock enforces it).
 */
public final class TransparencyLog implements AutoCloseable {
  public static final String ENTRIES_FILE = "entries.jsonl";
  public static final String TREE_HEADS_FILE = "tree-heads.jsonl";

  /**
   * How a log runs.
   *
   * @param clock the source of entry and tree head timestamps (made non-decreasing by the log)
   * @param maxBatch most requests written per sync; 1 syncs every entry on its own
   * @param signingThreads threads signing a batch, the writer thread included
   */
  public record Options(Clock clock, int maxBatch, int signingThreads) {
    public Options {
      Objects.requireNonNull(clock, "clock");
      if (maxBatch < 1) throw new IllegalArgumentException("maxBatch must be >= 1, was " + maxBatch);
      if (signingThreads < 1) throw new IllegalArgumentException("signingThreads must be >= 1, was " + signingThreads);
    }

    /** The system UTC clock, batches of up to 1024 requests, one signing thread per core. */
    public static Options defaults() {
      return new Options(Clock.systemUTC(), 1024, Runtime.getRuntime().availableProcessors());
    }

    public Options withClock(Clock clock) {
      return new Options(clock, maxBatch, signingThreads);
    }

    public Options withMaxBatch(int maxBatch) {
      return new Options(clock, maxBatch, signingThreads);
    }

    public Options withSigningThreads(int signingThreads) {
      return new Options(clock, maxBatch, signingThreads);
    }
  }

  private final Path dir;
  private final PrivateKey signingKey;
  private final Options options;
  private final FileChannel entriesChannel;
  private final FileChannel headsChannel;
  private final MerkleTree tree;
  private final LineIndex index;
  private final LinkedBlockingQueue<Request> queue = new LinkedBlockingQueue<>();
  private final Object admission = new Object();
  private final Thread writer;
  private final ExecutorService signers;
  private boolean closed;                       // guarded by admission
  private volatile SignedTreeHead latestHead;
  private volatile LedgerException failure;
  // Owned by the writer thread after construction.
  private long entriesEnd;
  private long headsEnd;
  private Instant lastTimestamp;

  private TransparencyLog(Path dir, PrivateKey signingKey, Options options, FileChannel entriesChannel,
      FileChannel headsChannel, Loaded loaded) {
    this.dir = dir;
    this.signingKey = signingKey;
    this.options = options;
    this.entriesChannel = entriesChannel;
    this.headsChannel = headsChannel;
    this.tree = loaded.tree;
    this.index = loaded.index;
    this.latestHead = loaded.latestHead;
    this.entriesEnd = loaded.index.end();
    this.headsEnd = loaded.headsEnd;
    this.lastTimestamp = loaded.lastTimestamp;
    int extraSigners = Math.min(options.signingThreads(), options.maxBatch()) - 1;
    this.signers = extraSigners < 1 ? null : Executors.newFixedThreadPool(extraSigners, daemonThreads("dure-ledger-signer-"));
    this.writer = new Thread(this::runWriter, "dure-ledger-writer");
    writer.setDaemon(true);
    writer.start();
  }

  /** Opens (creating if needed) the log in {@code dir} with default {@link Options}; see {@link #open(Path, PrivateKey, PublicKey, Options)}. */
  public static TransparencyLog open(Path dir, PrivateKey signingKey, PublicKey publicKey) throws IOException {
    return open(dir, signingKey, publicKey, Options.defaults());
  }

  /**
   * Opens the log in {@code dir}, creating the directory and its files if missing, and rebuilds its Merkle tree
   * from {@value #ENTRIES_FILE}. The key pair is the coordinator's ledger key (EC P-256).
   *
   * @throws IllegalArgumentException if the keys are not an EC key pair
   * @throws LedgerException {@link Reason#TORN_TAIL} if a file ends with an incomplete line (see
   *     {@link #repairTornTail}), {@link Reason#CORRUPT_LOG} if a line is not a valid entry or tree head, entries
   *     are out of order, or a published tree head does not match the entries, {@link Reason#WRONG_KEY} if the log
   *     was signed with another key, {@link Reason#LOCKED} if another instance has the directory open
   */
  public static TransparencyLog open(Path dir, PrivateKey signingKey, PublicKey publicKey, Options options)
      throws IOException {
    Objects.requireNonNull(dir, "dir");
    Objects.requireNonNull(signingKey, "signingKey");
    Objects.requireNonNull(publicKey, "publicKey");
    Objects.requireNonNull(options, "options");
    if (!SiteKeys.matches(signingKey, publicKey)) {
      throw new IllegalArgumentException("signingKey is not the private key of publicKey, or they are not EC keys;"
          + " open the log with the coordinator's ledger key pair (EC P-256)");
    }
    org.dure.crypto.SecureFiles.createOwnerOnlyDirectories(dir);
    Path entries = dir.resolve(ENTRIES_FILE);
    Path heads = dir.resolve(TREE_HEADS_FILE);
    boolean creating = !Files.exists(entries) || !Files.exists(heads);
    // Owner-only from creation: the entries name sites and studies.
    FileChannel entriesChannel = FileChannel.open(entries, java.util.EnumSet.of(CREATE, READ, WRITE),
        org.dure.crypto.SecureFiles.ownerOnlyFile(entries));
    FileChannel headsChannel = null;
    try {
      lockOrThrow(entriesChannel, dir);
      headsChannel = FileChannel.open(heads, java.util.EnumSet.of(CREATE, READ, WRITE),
          org.dure.crypto.SecureFiles.ownerOnlyFile(heads));
      if (creating) syncDirectory(dir);
      Loaded loaded = load(dir, publicKey);
      return new TransparencyLog(dir, signingKey, options, entriesChannel, headsChannel, loaded);
    } catch (IOException | RuntimeException | Error e) {
      entriesChannel.close();
      if (headsChannel != null) headsChannel.close();
      throw e;
    }
  }

  /**
   * Logs an event. The log assigns the index and timestamp and signs the entry; the future completes once the
   * entry is synced to disk, or fails with a {@link LedgerException} ({@link Reason#WRITE_FAILED},
   * {@link Reason#CLOSED}).
   *
   * @param type what happened
   * @param studyId the study concerned, or null
   * @param siteId the site concerned, or null (required with a site signature)
   * @param actor who caused it, or null
   * @param details event-specific fields (copied; at most {@link LedgerEntry#MAX_DETAILS_BYTES} encoded)
   * @param siteSignature the site's own signature in base64 when the event is site-signed, or null
   * @throws IllegalArgumentException or NullPointerException at once if a field is invalid
   */
  public CompletableFuture<Appended> append(EventType type, String studyId, String siteId, String actor,
      ObjectNode details, String siteSignature) {
    Objects.requireNonNull(type, "type");
    ObjectNode normal = LedgerEntry.checkEvent(studyId, siteId, actor, details, siteSignature);
    AppendRequest request = new AppendRequest(type, studyId, siteId, actor, normal, siteSignature);
    submit(request, request.future);
    return request.future;
  }

  /** {@link #append} and wait until the entry is on disk; do not call on an event loop. */
  public Appended appendAndWait(EventType type, String studyId, String siteId, String actor, ObjectNode details,
      String siteSignature) {
    refuseOnWriterThread("appendAndWait");
    return await(append(type, studyId, siteId, actor, details, siteSignature));
  }

  /**
   * Signs a tree head over every entry appended before this call, appends it to {@value #TREE_HEADS_FILE} and
   * syncs it; when no entry was added since the last head, completes with that head instead of writing another.
   * Every head the coordinator hands out must come from here, so that an audit sees it.
   */
  public CompletableFuture<SignedTreeHead> publishTreeHead() {
    HeadRequest request = new HeadRequest();
    submit(request, request.future);
    return request.future;
  }

  /** {@link #publishTreeHead()} and wait for the head; do not call on an event loop. */
  public SignedTreeHead signedTreeHead() {
    refuseOnWriterThread("signedTreeHead");
    return await(publishTreeHead());
  }

  /** The last tree head published, if any. */
  public Optional<SignedTreeHead> latestTreeHead() {
    return Optional.ofNullable(latestHead);
  }

  /** Whether the log accepts appends: not closed, its writer thread running, and no write has failed. */
  public boolean writable() {
    synchronized (admission) {
      return !closed && failure == null && writer.isAlive();
    }
  }

  /** The number of entries on disk (appended and synced). */
  public long size() {
    return index.size();
  }

  /**
   * The inclusion proof of entry {@code index} in the tree of the first {@code treeSize} entries (the size of a
   * published tree head), ordered from the leaf up; verify with
   * {@link org.dure.ledger.merkle.MerkleProofs#verifyInclusion} or {@link TreeHeadMonitor#checkInclusion}.
   */
  public List<byte[]> inclusionProof(long index, long treeSize) {
    long n = size();
    if (treeSize < 1 || treeSize > n) {
      throw new IllegalArgumentException("treeSize must be in [1, " + n + "] (entries on disk), was " + treeSize);
    }
    if (index < 0 || index >= treeSize) {
      throw new IllegalArgumentException("index must be in [0, " + treeSize + "), was " + index);
    }
    return tree.inclusionProof(index, treeSize);
  }

  /**
   * The proof that the tree of the first {@code size1} entries is a prefix of the tree of the first {@code size2},
   * 0 < size1 <= size2 <= {@link #size()}; empty when the sizes are equal.
   */
  public List<byte[]> consistencyProof(long size1, long size2) {
    long n = size();
    if (size2 < 1 || size2 > n) {
      throw new IllegalArgumentException("size2 must be in [1, " + n + "] (entries on disk), was " + size2);
    }
    if (size1 < 1 || size1 > size2) {
      throw new IllegalArgumentException("size1 must be in [1, " + size2 + "], was " + size1
          + "; a site that has no tree head yet needs no consistency proof");
    }
    return tree.consistencyProof(size1, size2);
  }

  /** The entry at {@code index}, 0 <= index < {@link #size()}. */
  public LedgerEntry entry(long index) {
    long n = size();
    if (index < 0 || index >= n) throw new IllegalArgumentException("index must be in [0, " + n + "), was " + index);
    return read(index, index + 1, EntryFilter.all()).get(0);
  }

  /** The entries on disk that pass {@code filter}, in log order. */
  public List<LedgerEntry> entries(EntryFilter filter) {
    Objects.requireNonNull(filter, "filter");
    long n = size();
    long from = filter.from() == null ? 0 : index.firstAtOrAfter(saturatedMillis(filter.from()), n);
    long to = filter.to() == null ? n : index.firstAtOrAfter(saturatedMillis(filter.to()) + 1, n);
    return read(from, to, filter);
  }

  /**
   * Stops accepting appends, waits until everything already accepted is on disk, and closes the files. Appends
   * after this fail with {@link Reason#CLOSED}.
   */
  @Override public void close() throws IOException {
    refuseOnWriterThread("close");
    synchronized (admission) {
      if (closed) return;
      closed = true;
      queue.add(Stop.INSTANCE);
    }
    boolean interrupted = false;
    while (writer.isAlive()) {
      try {
        writer.join();
      } catch (InterruptedException e) {
        interrupted = true;
      }
    }
    if (signers != null) signers.shutdown();
    try {
      entriesChannel.close();
    } finally {
      headsChannel.close();
    }
    if (interrupted) Thread.currentThread().interrupt();
  }

  /**
   * Removes an incomplete last line, and nothing else, from {@value #ENTRIES_FILE} and {@value #TREE_HEADS_FILE}
   * in {@code dir}: what a crash in the middle of a write leaves. Such a line was never acknowledged, since an
   * append completes only after its whole line is synced. Call it when {@link #open} refuses with
   * {@link Reason#TORN_TAIL}, with the log closed.
   *
   * @return the number of bytes removed (0 if both files end with a complete line)
   * @throws LedgerException {@link Reason#LOCKED} if the log is open
   */
  public static long repairTornTail(Path dir) throws IOException {
    Objects.requireNonNull(dir, "dir");
    Path entries = dir.resolve(ENTRIES_FILE);
    if (!Files.exists(entries)) return 0;
    long removed = 0;
    try (FileChannel guard = FileChannel.open(entries, READ, WRITE)) {
      lockOrThrow(guard, dir);
      removed += truncateIncompleteLine(guard);
      Path heads = dir.resolve(TREE_HEADS_FILE);
      if (Files.exists(heads)) {
        try (FileChannel ch = FileChannel.open(heads, READ, WRITE)) {
          removed += truncateIncompleteLine(ch);
        }
      }
    }
    return removed;
  }

  // ---------------------------------------------------------------------------------------------------------
  // Writer thread

  private void runWriter() {
    List<Request> batch = new ArrayList<>();
    while (true) {
      batch.clear();
      try {
        batch.add(queue.take());
      } catch (InterruptedException e) {
        continue;
      }
      queue.drainTo(batch, options.maxBatch() - 1);
      List<AppendRequest> appends = new ArrayList<>(batch.size());
      List<HeadRequest> heads = new ArrayList<>(1);
      boolean stop = false;
      for (Request r : batch) {
        if (r instanceof AppendRequest) appends.add((AppendRequest) r);
        else if (r instanceof HeadRequest) heads.add((HeadRequest) r);
        else stop = true;
      }
      try {
        if (!appends.isEmpty()) commit(appends);
        if (!heads.isEmpty()) publish(heads);
      } catch (RuntimeException | Error e) {
        LedgerException f = fail(new LedgerException(Reason.WRITE_FAILED, "the ledger writer failed unexpectedly ("
            + e + "); the log accepts no more appends: restart the coordinator to reopen it", e));
        appends.forEach(a -> a.future.completeExceptionally(f));
        heads.forEach(h -> h.future.completeExceptionally(f));
      }
      if (stop) return;
    }
  }

  private void commit(List<AppendRequest> appends) {
    if (failure != null) {
      appends.forEach(a -> a.future.completeExceptionally(failure));
      return;
    }
    Instant timestamp = nextTimestamp();
    List<AppendRequest> pending = appends;
    Signed[] signed;
    while (true) {
      signed = signAll(pending, index.size(), timestamp);
      List<AppendRequest> ok = new ArrayList<>(pending.size());
      for (int i = 0; i < signed.length; i++) {
        if (signed[i].error == null) ok.add(pending.get(i));
        else pending.get(i).future.completeExceptionally(signed[i].error);
      }
      if (ok.size() == pending.size()) break;
      if (ok.isEmpty()) return;
      pending = ok;   // indices were assigned to entries that failed: sign the rest again with their real indices
    }
    int total = 0;
    for (Signed s : signed) total += s.line.length + 1;
    ByteBuffer buffer = ByteBuffer.allocate(total);
    for (Signed s : signed) buffer.put(s.line).put((byte) '\n');
    buffer.flip();
    try {
      writeFully(entriesChannel, buffer, entriesEnd);
      entriesChannel.force(false);
    } catch (IOException e) {
      LedgerException f = writeFailed(ENTRIES_FILE, e);
      undo(entriesChannel, entriesEnd);
      pending.forEach(a -> a.future.completeExceptionally(f));
      return;
    }
    long offset = entriesEnd;
    for (Signed s : signed) {
      tree.append(s.line);
      index.add(offset, offset + s.line.length + 1, s.entry.timestamp().toEpochMilli());
      offset += s.line.length + 1;
    }
    entriesEnd = offset;
    lastTimestamp = timestamp;
    for (int i = 0; i < signed.length; i++) {
      pending.get(i).future.complete(new Appended(signed[i].entry, signed[i].entry.index()));
    }
  }

  private void publish(List<HeadRequest> requests) {
    if (failure != null) {
      requests.forEach(r -> r.future.completeExceptionally(failure));
      return;
    }
    long size = index.size();
    SignedTreeHead head = latestHead;
    if (head == null || head.size() != size) {
      Instant timestamp = nextTimestamp();
      byte[] root = tree.root(size);
      byte[] signature = LedgerSignatures.sign(signingKey, LedgerSignatures.TREE_HEAD_DOMAIN,
          SignedTreeHead.signedBytes(size, root, timestamp));
      head = new SignedTreeHead(size, root, timestamp, signature);
      ByteBuffer line = ByteBuffer.wrap((head.toJson() + "\n").getBytes(StandardCharsets.UTF_8));
      try {
        writeFully(headsChannel, line, headsEnd);
        headsChannel.force(false);
      } catch (IOException e) {
        LedgerException f = writeFailed(TREE_HEADS_FILE, e);
        undo(headsChannel, headsEnd);
        requests.forEach(r -> r.future.completeExceptionally(f));
        return;
      }
      headsEnd += line.limit();
      lastTimestamp = timestamp;
      latestHead = head;
    }
    for (HeadRequest r : requests) r.future.complete(head);
  }

  private Signed[] signAll(List<AppendRequest> pending, long firstIndex, Instant timestamp) {
    int n = pending.size();
    Signed[] out = new Signed[n];
    int lanes = signers == null ? 1 : Math.min(n, options.signingThreads());
    List<Future<?>> others = new ArrayList<>(lanes);
    for (int lane = 1; lane < lanes; lane++) {
      int l = lane;
      others.add(signers.submit(() -> signLane(pending, firstIndex, timestamp, out, l, lanes)));
    }
    signLane(pending, firstIndex, timestamp, out, 0, lanes);
    boolean interrupted = false;
    for (Future<?> f : others) {
      while (true) {
        try {
          f.get();
          break;
        } catch (InterruptedException e) {
          interrupted = true;
        } catch (ExecutionException e) {
          throw new IllegalStateException("a ledger signing thread failed", e.getCause());
        }
      }
    }
    if (interrupted) Thread.currentThread().interrupt();
    return out;
  }

  private void signLane(List<AppendRequest> pending, long firstIndex, Instant timestamp, Signed[] out, int lane, int lanes) {
    for (int i = lane; i < out.length; i += lanes) {
      AppendRequest r = pending.get(i);
      try {
        long idx = firstIndex + i;
        byte[] message = LedgerEntry.signedBytes(idx, timestamp, r.type, r.studyId, r.siteId, r.actor, r.details,
            r.siteSignature);
        byte[] signature = LedgerSignatures.sign(signingKey, LedgerSignatures.ENTRY_DOMAIN, message);
        LedgerEntry entry = new LedgerEntry(idx, timestamp, r.type, r.studyId, r.siteId, r.actor, r.details,
            r.siteSignature, Base64.getEncoder().encodeToString(signature));
        out[i] = new Signed(entry, entry.canonicalBytes(), null);
      } catch (RuntimeException e) {
        out[i] = new Signed(null, null, e);
      }
    }
  }

  private Instant nextTimestamp() {
    Instant now = options.clock().instant().truncatedTo(ChronoUnit.MILLIS);
    return lastTimestamp != null && now.isBefore(lastTimestamp) ? lastTimestamp : now;
  }

  private LedgerException writeFailed(String file, IOException e) {
    return fail(new LedgerException(Reason.WRITE_FAILED, "cannot write " + dir.resolve(file) + ": " + e.getMessage()
        + "; nothing in this batch was acknowledged and the log accepts no more appends: fix the disk, then restart"
        + " the coordinator (opening the log checks it)", e));
  }

  private LedgerException fail(LedgerException e) {
    if (failure == null) failure = e;
    return e;
  }

  /** Best effort after a failed write: cut what part of the batch reached the file, so a reopen sees no torn line. */
  private static void undo(FileChannel channel, long end) {
    try {
      channel.truncate(end);
      channel.force(false);
    } catch (IOException ignored) {
      // The file keeps the partial batch; opening the log reports it as a torn tail, with the offset.
    }
  }

  // ---------------------------------------------------------------------------------------------------------
  // Reading, opening, repairing

  /**
   * Reads entries through a channel of their own: a reader interrupted mid-read closes the channel it reads with
   * ({@code ClosedByInterruptException}), which must never be the writer's.
   */
  private List<LedgerEntry> read(long from, long to, EntryFilter filter) {
    List<LedgerEntry> out = new ArrayList<>();
    Path file = dir.resolve(ENTRIES_FILE);
    try (FileChannel channel = FileChannel.open(file, READ)) {
      for (long i = from; i < to; i++) {
        long[] range = index.range(i);
        ByteBuffer buffer = ByteBuffer.allocate((int) (range[1] - range[0] - 1));
        while (buffer.hasRemaining()) {
          if (channel.read(buffer, range[0] + buffer.position()) < 0) {
            throw new IOException("end of file at byte " + (range[0] + buffer.position()) + " inside entry " + i);
          }
        }
        LedgerEntry e;
        try {
          e = LedgerEntry.parse(buffer.array());
        } catch (IllegalArgumentException x) {
          throw new LedgerException(Reason.CORRUPT_LOG, "entry " + i + " at byte offset " + range[0] + " of " + file
              + " changed on disk since it was written (" + x.getMessage() + "); stop the coordinator and run the"
              + " ledger verifier", x);
        }
        if (filter.matches(e)) out.add(e);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read entries " + from + ".." + (to - 1) + " from " + file + ": " + e, e);
    }
    return out;
  }

  private void submit(Request request, CompletableFuture<?> future) {
    synchronized (admission) {
      if (!closed) {
        queue.add(request);
        return;
      }
    }
    future.completeExceptionally(new LedgerException(Reason.CLOSED, "the ledger in " + dir + " is closed"));
  }

  private void refuseOnWriterThread(String method) {
    if (Thread.currentThread() == writer) {
      throw new IllegalStateException(method + " called on the ledger's writer thread (from a stage depending on a"
          + " ledger future) would wait for itself; use an *Async stage with an executor");
    }
  }

  private static <T> T await(CompletableFuture<T> future) {
    try {
      return future.join();
    } catch (CompletionException e) {
      if (e.getCause() instanceof RuntimeException) throw (RuntimeException) e.getCause();
      throw e;
    }
  }

  private static final class Loaded {
    final MerkleTree tree = new MerkleTree();
    final LineIndex index = new LineIndex();
    SignedTreeHead latestHead;
    long headsEnd;
    Instant lastTimestamp;
  }

  private static Loaded load(Path dir, PublicKey publicKey) throws IOException {
    Loaded loaded = new Loaded();
    Path entries = dir.resolve(ENTRIES_FILE);
    LedgerEntry last = null;
    try (LineScanner scanner = new LineScanner(entries, LedgerEntry.MAX_LINE_BYTES)) {
      for (LineScanner.Line line; (line = scanner.next()) != null; ) {
        if (!line.terminated()) throw tornTail(dir, entries, line);
        if (line.tooLong()) {
          throw corrupt(entries, line, "is " + line.length() + " bytes long, more than any entry can be");
        }
        LedgerEntry e;
        try {
          e = LedgerEntry.parse(line.bytes());
        } catch (IllegalArgumentException x) {
          throw corrupt(entries, line, "is not a valid ledger entry: " + x.getMessage());
        }
        if (e.index() != line.number()) {
          throw corrupt(entries, line, "holds entry " + e.index() + " where entry " + line.number() + " belongs");
        }
        if (last != null && e.timestamp().isBefore(last.timestamp())) {
          throw corrupt(entries, line, "is timestamped " + e.timestamp() + ", before entry " + last.index() + " ("
              + last.timestamp() + ")");
        }
        loaded.tree.append(line.bytes());
        loaded.index.add(line.offset(), line.offset() + line.length() + 1, e.timestamp().toEpochMilli());
        last = e;
      }
    }
    if (last != null && !last.verifyCoordinatorSignature(publicKey)) {
      throw new LedgerException(Reason.WRONG_KEY, "entry " + last.index() + " (the last) of " + entries
          + " does not verify with the given public key: open the log with the key pair that wrote it; if that is"
          + " the key, the entry was altered: run the ledger verifier");
    }
    long n = loaded.index.size();
    Path heads = dir.resolve(TREE_HEADS_FILE);
    SignedTreeHead previous = null;
    try (LineScanner scanner = new LineScanner(heads, SignedTreeHead.MAX_LINE_BYTES)) {
      for (LineScanner.Line line; (line = scanner.next()) != null; ) {
        if (!line.terminated()) throw tornTail(dir, heads, line);
        SignedTreeHead head;
        try {
          if (line.tooLong()) throw new IllegalArgumentException("the line is " + line.length() + " bytes long");
          head = SignedTreeHead.parse(new String(line.bytes(), StandardCharsets.UTF_8));
        } catch (IllegalArgumentException x) {
          throw corrupt(heads, line, "is not a valid tree head: " + x.getMessage());
        }
        if (head.size() > n) {
          throw corrupt(heads, line, "covers " + head.size() + " entries but " + entries + " holds only " + n
              + ": entries " + n + ".." + (head.size() - 1) + " were lost (file truncated or restored from an older"
              + " copy); run the ledger verifier and restore " + ENTRIES_FILE + " from a backup");
        }
        if (!Arrays.equals(head.rootHash(), loaded.tree.root(head.size()))) {
          throw corrupt(heads, line, "(size " + head.size() + ") does not match the root recomputed from the first "
              + head.size() + " entries: the entries were rewritten; run the ledger verifier");
        }
        if (previous != null && head.size() < previous.size()) {
          throw corrupt(heads, line, "has size " + head.size() + ", smaller than the head before it ("
              + previous.size() + ")");
        }
        previous = head;
        loaded.headsEnd = line.offset() + line.length() + 1;
      }
    }
    if (previous != null && !previous.verifySignature(publicKey)) {
      throw new LedgerException(Reason.WRONG_KEY, "the last tree head in " + heads + " does not verify with the given"
          + " public key: open the log with the key pair that wrote it; if that is the key, the head was altered:"
          + " run the ledger verifier");
    }
    loaded.latestHead = previous;
    Instant lastEntry = last == null ? null : last.timestamp();
    Instant lastHead = previous == null ? null : previous.timestamp();
    loaded.lastTimestamp = lastEntry == null ? lastHead
        : lastHead == null || lastHead.isBefore(lastEntry) ? lastEntry : lastHead;
    return loaded;
  }

  private static LedgerException tornTail(Path dir, Path file, LineScanner.Line line) {
    return new LedgerException(Reason.TORN_TAIL, file + " ends with an incomplete line " + (line.number() + 1)
        + " at byte offset " + line.offset() + " (" + line.length() + " bytes without a newline): a crash interrupted"
        + " a write, which was therefore never acknowledged. Run TransparencyLog.repairTornTail(" + dir
        + ") to remove only that line, then open the log again");
  }

  private static LedgerException corrupt(Path file, LineScanner.Line line, String what) {
    return new LedgerException(Reason.CORRUPT_LOG, "line " + (line.number() + 1) + " (byte offset " + line.offset()
        + ") of " + file + " " + what + "; the log refuses to open rather than extend a damaged history");
  }

  private static void lockOrThrow(FileChannel channel, Path dir) throws IOException {
    FileLock lock;
    try {
      lock = channel.tryLock();
    } catch (OverlappingFileLockException e) {
      lock = null;
    }
    if (lock == null) {
      throw new LedgerException(Reason.LOCKED, "the ledger in " + dir + " is open in another TransparencyLog (this or"
          + " another process); close it, or stop the coordinator that holds it, first");
    }
  }

  private static long truncateIncompleteLine(FileChannel channel) throws IOException {
    long size = channel.size();
    long keep = size;
    ByteBuffer chunk = ByteBuffer.allocate(1 << 16);
    boolean found = false;
    while (keep > 0 && !found) {
      long from = Math.max(0, keep - chunk.capacity());
      chunk.clear().limit((int) (keep - from));
      while (chunk.hasRemaining()) {
        if (channel.read(chunk, from + chunk.position()) < 0) throw new IOException("file shrank while reading");
      }
      for (int i = chunk.limit() - 1; i >= 0; i--) {
        if (chunk.get(i) == '\n') {
          keep = from + i + 1;
          found = true;
          break;
        }
      }
      if (!found) keep = from;
    }
    if (keep == size) return 0;
    channel.truncate(keep);
    channel.force(true);
    return size - keep;
  }

  private static void writeFully(FileChannel channel, ByteBuffer buffer, long position) throws IOException {
    long at = position;
    while (buffer.hasRemaining()) at += channel.write(buffer, at);
  }

  /** Makes a newly created file's directory entry durable; not possible (and not needed) on every platform. */
  private static void syncDirectory(Path dir) {
    try (FileChannel channel = FileChannel.open(dir, READ)) {
      channel.force(true);
    } catch (IOException | UnsupportedOperationException e) {
      // Windows cannot open a directory as a channel; its file system journals directory entries itself.
    }
  }

  private static long saturatedMillis(Instant t) {
    try {
      return t.toEpochMilli();
    } catch (ArithmeticException e) {
      return t.isBefore(Instant.EPOCH) ? Long.MIN_VALUE : Long.MAX_VALUE - 1;
    }
  }

  private static ThreadFactory daemonThreads(String prefix) {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, prefix + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }

  // ---------------------------------------------------------------------------------------------------------

  private interface Request {}

  private static final class AppendRequest implements Request {
    final EventType type;
    final String studyId;
    final String siteId;
    final String actor;
    final ObjectNode details;
    final String siteSignature;
    final CompletableFuture<Appended> future = new CompletableFuture<>();

    AppendRequest(EventType type, String studyId, String siteId, String actor, ObjectNode details, String siteSignature) {
      this.type = type;
      this.studyId = studyId;
      this.siteId = siteId;
      this.actor = actor;
      this.details = details;
      this.siteSignature = siteSignature;
    }
  }

  private static final class HeadRequest implements Request {
    final CompletableFuture<SignedTreeHead> future = new CompletableFuture<>();
  }

  private enum Stop implements Request { INSTANCE }

  private record Signed(LedgerEntry entry, byte[] line, RuntimeException error) {}

  /** Byte ranges and timestamps of the entries on disk. */
  private static final class LineIndex {
    private long[] starts = new long[1024];
    private long[] millis = new long[1024];
    private int size;
    private long end;

    synchronized void add(long start, long lineEnd, long timestampMillis) {
      if (size == starts.length) {
        int grown = (int) Math.min((long) size * 2, Integer.MAX_VALUE - 8);
        if (grown == size) throw new IllegalStateException("the ledger holds " + size + " entries, as many as it can");
        starts = Arrays.copyOf(starts, grown);
        millis = Arrays.copyOf(millis, grown);
      }
      starts[size] = start;
      millis[size] = timestampMillis;
      size++;
      end = lineEnd;
    }

    synchronized long size() {
      return size;
    }

    synchronized long end() {
      return end;
    }

    /** {start, end} of line i, newline included in end. */
    synchronized long[] range(long i) {
      int k = Math.toIntExact(i);
      return new long[] {starts[k], k + 1 < size ? starts[k + 1] : end};
    }

    /** The first index below {@code limit} whose timestamp is at or after {@code t}, or {@code limit}. */
    synchronized long firstAtOrAfter(long t, long limit) {
      int lo = 0;
      int hi = (int) Math.min(limit, size);
      while (lo < hi) {
        int mid = (lo + hi) >>> 1;
        if (millis[mid] < t) lo = mid + 1;
        else hi = mid;
      }
      return lo;
    }
  }
}
