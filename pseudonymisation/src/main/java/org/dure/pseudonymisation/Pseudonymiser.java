package org.dure.pseudonymisation;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.dure.tabular.CsvTable;
import org.dure.tabular.DataException;
import org.dure.tabular.MemoryBudget;
import org.dure.tabular.RecordSource;
import org.dure.tabular.Records;
import org.dure.tabular.Table;

/**
 * Turns a hospital's extract into pseudonymised information in the sense of Korea's Personal Information
 * Protection Act (가명정보): the site agent runs it between reading the data and handing it to a study.
 *
 * <ol>
 *   <li>Check the config against the data: every declared column (and every {@code shiftDays.by}) exists,
 *       output names do not clash, every quasi-identifier is an output column.
 *   <li>Return the cached result if the same input was pseudonymised under the same config and secret.
 *   <li>Scan every undeclared column for resident registration numbers (also split over two adjacent
 *       columns), phone numbers and e-mail addresses, after normalising full-width characters and separators,
 *       for names of direct identifiers and for free text not listed in {@code freeTextColumns}; if any
 *       matches, throw {@link IdentifierFoundException} and produce nothing.
 *   <li>Delete, pseudonymise (HMAC-SHA-256 under the site secret) and generalise columns as declared; keep
 *       the rest.
 *   <li>Group records by their quasi-identifier values and suppress every record of a group smaller than k.
 *   <li>Report what was done ({@link PseudonymisationReport}) and cache the output (owner-only).
 * </ol>
 *
 * <p>Instances are thread-safe.
 *
 * <pre>{@code
 * PseudonymisationConfig config = PseudonymisationConfig.parse(agentConfig.path("pseudonymisation"), configDir);
 * Pseudonymiser p = Pseudonymiser.open(config, csv.getParent(), workDir.resolve("pseudonymised"));
 * PseudonymisedTable result = p.apply(CsvTable.read(csv));
 * System.out.print(result.report().toText());
 * }</pre>
 */
public final class Pseudonymiser {
  private final PseudonymisationConfig config;
  private final SiteSecret secret;
  private final PseudonymCache cache;
  private final Clock clock;
  private final AtomicInteger computations = new AtomicInteger();
  private volatile MemoryBudget budget = MemoryBudget.jvm();

  private Pseudonymiser(PseudonymisationConfig config, SiteSecret secret, PseudonymCache cache, Clock clock) {
    this.config = config;
    this.secret = secret;
    this.cache = cache;
    this.clock = clock;
  }

  /**
   * Loads the site secret (making it on first use) and opens the cache.
   *
   * @param dataDir the directory of the hospital's extract, or null when the data comes from a database; the secret
   *     must not lie inside it
   * @param cacheDir where results are cached (created owner-only), or null for no cache; the secret must not lie inside it
   * @throws IllegalArgumentException if the secret file lies inside the data or the cache directory
   * @throws IOException if the secret cannot be read or created, or is readable by others, or the cache
   *     directory cannot be created; the message names {@code pseudonymisation.secretFile} where it is at fault
   */
  public static Pseudonymiser open(PseudonymisationConfig config, Path dataDir, Path cacheDir) throws IOException {
    return open(config, dataDir, cacheDir, Clock.systemUTC());
  }

  static Pseudonymiser open(PseudonymisationConfig config, Path dataDir, Path cacheDir, Clock clock) throws IOException {
    Objects.requireNonNull(config, "config");
    Path secretFile = canonical(config.secretFile());
    if (dataDir != null) refuseInside(secretFile, dataDir, "data directory");
    if (cacheDir != null) refuseInside(secretFile, cacheDir, "cache directory");
    SiteSecret secret = SiteSecret.loadOrCreate(config.secretFile());
    return new Pseudonymiser(config, secret, cacheDir == null ? null : new PseudonymCache(cacheDir), clock);
  }

  /** The memory the quasi-identifier groups may take (the JVM's heap unless a test sets another). */
  Pseudonymiser withBudget(MemoryBudget budget) {
    this.budget = budget;
    return this;
  }

  /** The public fingerprint of the site secret, as in reports. */
  public String secretFingerprint() {
    return secret.fingerprint();
  }

  /** How many times this instance computed a result rather than reading it from the cache. */
  public int computations() {
    return computations.get();
  }

  /**
   * The identifier scan alone, over every column of {@code table}: for a site without a pseudonymisation section,
   * whose extract must then hold no direct identifier at all.
   *
   * @throws IdentifierFoundException naming each column that looks like it holds identifiers
   */
  public static void requireNoIdentifiers(CsvTable table) {
    try {
      requireNoIdentifiers((RecordSource) table);
    } catch (IOException | DataException e) {
      throw new IllegalStateException(e); // a table in memory neither fails to read nor is malformed
    }
  }

  /**
   * The identifier scan alone, over every column of {@code source}, read one record at a time.
   *
   * @return the source as a {@link Table}: its header and number of records are now known
   * @throws IdentifierFoundException naming each column that looks like it holds identifiers
   * @throws DataException if the source is malformed
   */
  public static Table requireNoIdentifiers(RecordSource source) throws IOException, DataException {
    List<String> header;
    int rows = 0;
    List<IdentifierFoundException.Finding> findings;
    try (Records r = source.open()) {
      header = r.header();
      List<Integer> all = new ArrayList<>();
      for (int c = 0; c < header.size(); c++) all.add(c);
      IdentifierScanner.Scan scan = new IdentifierScanner.Scan(header, all, java.util.Set.of());
      while (r.next()) {
        scan.add(r);
        rows++;
      }
      findings = scan.findings();
    }
    if (!findings.isEmpty()) throw new IdentifierFoundException(source.sourceName(), findings);
    if (source instanceof Table t) return t;
    return new Scanned(source, header, rows);
  }

  /** A source whose header and size one full read established. */
  private record Scanned(RecordSource source, List<String> header, int rowCount) implements Table {
    @Override public String sourceName() {
      return source.sourceName();
    }

    @Override public Records open() throws IOException, DataException {
      return source.open();
    }
  }

  /**
   * Pseudonymises {@code input}, a table in memory, and returns the result in memory (for small tables: a site agent
   * uses {@link #pseudonymise}, which never holds the table).
   *
   * @throws IllegalArgumentException if the config names a column the data lacks or an output name clashes
   *     with another column; the message names the config field
   * @throws IdentifierFoundException if an undeclared column holds identifiers; nothing is produced or cached
   * @throws DataException if a declared column holds a value its technique cannot read (line and column named, value not shown)
   * @throws IOException if the cache cannot be written
   */
  public PseudonymisedTable apply(CsvTable input) throws IOException, DataException {
    PseudonymisedData d = pseudonymise(input);
    return new PseudonymisedTable(CsvTable.readAll(d.table()), d.report());
  }

  /**
   * Pseudonymises {@code input}, reading it one record at a time, in memory bounded by the number of
   * quasi-identifier groups rather than by the rows: a first read hashes the content (the cache key) and runs the
   * identifier scan; on a cache miss a second read counts the quasi-identifier groups and a third writes the records
   * of groups of at least k to the cache, which the returned table then reads. Without a cache the output is kept in
   * memory.
   *
   * @throws IllegalArgumentException if the config names a column the data lacks or an output name clashes
   *     with another column; the message names the config field
   * @throws IdentifierFoundException if an undeclared column holds identifiers; nothing is produced or cached
   * @throws DataException if a declared column holds a value its technique cannot read (line and column named, value
   *     not shown), if the input is malformed, or if its quasi-identifier groups would not fit in memory
   * @throws IOException if the input cannot be read, changed while it was read, or the cache cannot be written
   */
  public PseudonymisedData pseudonymise(RecordSource input) throws IOException, DataException {
    String source = input.sourceName();
    Plan plan;
    String inputHash;
    int rowsIn = 0;
    List<IdentifierFoundException.Finding> findings;
    List<String> inputHeader;
    try (Records r = input.open()) {
      inputHeader = r.header();
      plan = plan(inputHeader, source);
      ContentHash hash = new ContentHash(inputHeader);
      IdentifierScanner.Scan scan = new IdentifierScanner.Scan(inputHeader, plan.scanned,
          java.util.Set.copyOf(config.freeTextColumns()));
      while (r.next()) {
        hash.add(r);
        scan.add(r);
        rowsIn++;
      }
      inputHash = hash.finish(rowsIn);
      findings = scan.findings();
    }
    // the scan's version is part of the key: a result cached before the scan learnt more is scanned again
    String key = PseudonymCache.key(source, inputHash, config.hash() + "/scan-" + IdentifierScanner.VERSION,
        secret.fingerprint());
    if (cache != null) {
      Optional<PseudonymisedData> cached = cache.get(key);
      if (cached.isPresent()) return cached.get();
    }
    if (!findings.isEmpty()) throw new IdentifierFoundException(source, findings);

    computations.incrementAndGet();
    SiteSecret.Keyed keys = secret.keyed();
    int width = plan.sources.size();
    int[] shiftKeyColumn = new int[width];
    for (int c = 0; c < width; c++) {
      Technique t = plan.techniques.get(c);
      shiftKeyColumn[c] = t instanceof Technique.ShiftDays sd ? inputHeader.indexOf(sd.by()) : -1;
    }
    boolean[] quasi = new boolean[width];
    for (int q : plan.quasiIdentifiers) quasi[q] = true;

    // second read: the size of every quasi-identifier group (only the quasi-identifier columns are transformed)
    Map<String, int[]> groupSizes = new HashMap<>();
    String[] out = new String[width];
    try (Records r = input.open()) {
      checkSameHeader(r, inputHeader);
      while (r.next()) {
        for (int c = 0; c < width; c++) if (quasi[c]) out[c] = transform(r, plan, c, keys, shiftKeyColumn[c]);
        int[] n = groupSizes.get(groupKey(out, plan.quasiIdentifiers));
        if (n == null) {
          if (groupSizes.size() % GROUP_CHECK == 0) {
            budget.require(source, "counting the records of each combination of the quasi-identifiers "
                + plan.quasiIdentifierNames + " (" + groupSizes.size() + " distinct combinations so far, of "
                + rowsIn + " records)", GROUP_CHECK * BYTES_PER_GROUP, "choose coarser quasi-identifiers in "
                + PseudonymisationConfig.SECTION + ".columns (e.g. age bands rather than ages): groups this many leave"
                + " most records below k");
          }
          groupSizes.put(groupKey(out, plan.quasiIdentifiers), new int[] {1});
        } else {
          n[0]++;
        }
      }
    }

    // third read: transform every column and keep the records of groups of at least k
    int[] unrecognised = new int[width];
    int kept = 0;
    Map<String, int[]> recount = new HashMap<>();
    PseudonymCache.EntryWriter writer = cache == null ? null : cache.writer(key, source, plan.header);
    List<String[]> inMemory = cache == null ? new ArrayList<>() : null;
    List<Integer> inMemoryLines = cache == null ? new ArrayList<>() : null;
    try {
      int rowsAgain = 0;
      ContentHash hash = new ContentHash(inputHeader);
      try (Records r = input.open()) {
        checkSameHeader(r, inputHeader);
        while (r.next()) {
          hash.add(r);
          rowsAgain++;
          for (int c = 0; c < width; c++) {
            out[c] = transform(r, plan, c, keys, shiftKeyColumn[c]);
            if (plan.techniques.get(c) instanceof Technique.Region && KoreanProvinces.UNRECOGNISED.equals(out[c]))
              unrecognised[c]++;
          }
          String group = groupKey(out, plan.quasiIdentifiers);
          int[] size = groupSizes.get(group);
          int[] again = recount.computeIfAbsent(group, g -> new int[1]);
          again[0]++;
          if (size == null || again[0] > size[0]) throw changed(source);
          if (size[0] < config.k()) continue;
          kept++;
          if (writer != null) {
            writer.write(r.line(), out);
          } else {
            inMemory.add(out.clone());
            inMemoryLines.add(r.line());
          }
        }
      }
      if (!hash.finish(rowsAgain).equals(inputHash) || recount.size() != groupSizes.size()) throw changed(source);

      int achieved = groupSizes.values().stream().mapToInt(n -> n[0]).filter(n -> n >= config.k()).min().orElse(0);
      int groups = (int) groupSizes.values().stream().filter(n -> n[0] >= config.k()).count();
      List<PseudonymisationReport.Generalisation> generalised = new ArrayList<>();
      for (int c = 0; c < width; c++) {
        Technique t = plan.techniques.get(c);
        if (t != null && t.kind() == Technique.Kind.GENERALISED) {
          generalised.add(new PseudonymisationReport.Generalisation(inputHeader.get(plan.sources.get(c)),
              plan.header.get(c), t.describe(), unrecognised[c] == 0 ? "" : String.format(Locale.ROOT,
                  "addresses not recognised as a 시/도: %d (written as %s)", unrecognised[c], KoreanProvinces.UNRECOGNISED)));
        }
      }
      PseudonymisationReport report = new PseudonymisationReport(source, inputHash, config.hash(),
          secret.fingerprint(), clock.instant(), false, plan.removed, plan.pseudonymised, generalised, plan.kept,
          plan.reviewed, plan.quasiIdentifierNames, config.k(), achieved, groups, rowsIn, rowsIn - kept);
      if (writer != null) return writer.commit(report);
      return new PseudonymisedData(CsvTable.of(source, plan.header, inMemory,
          inMemoryLines.stream().mapToInt(Integer::intValue).toArray()), report);
    } finally {
      if (writer != null) writer.close();
    }
  }

  /** Distinct quasi-identifier combinations between two checks of the memory they take. */
  private static final int GROUP_CHECK = 1 << 16;
  /** What one group's count takes on the heap, about: the map entry, the key string and the counter. */
  private static final long BYTES_PER_GROUP = 160;

  private static String transform(Records r, Plan plan, int c, SiteSecret.Keyed keys, int shiftKeyColumn)
      throws DataException {
    int src = plan.sources.get(c);
    String value = r.value(src);
    Technique t = plan.techniques.get(c);
    if (t == null) return value;
    String rowKey = shiftKeyColumn >= 0 ? r.value(shiftKeyColumn) : null;
    try {
      return t.apply(value, keys, rowKey);
    } catch (Technique.BadValue e) {
      String column = r.header().get(src);
      throw new DataException(r.sourceName(), r.line(), column, "the value " + e.getMessage()
          + "; fix the extract, or change pseudonymisation.columns." + column);
    }
  }

  private static void checkSameHeader(Records r, List<String> header) throws IOException {
    if (!r.header().equals(header)) throw changed(r.sourceName());
  }

  private static IOException changed(String source) {
    return new IOException(source + " changed while it was being pseudonymised (it is read more than once); run again"
        + " once nothing writes to it");
  }

  @Override
  public String toString() {
    return "Pseudonymiser[" + config + ", " + secret + "]";
  }

  /** Which input column feeds each output column, with what technique (null: kept as is). */
  private static final class Plan {
    final List<String> header = new ArrayList<>();
    final List<Integer> sources = new ArrayList<>();
    final List<Technique> techniques = new ArrayList<>();
    final List<Integer> scanned = new ArrayList<>();
    final List<String> removed = new ArrayList<>();
    final List<String> pseudonymised = new ArrayList<>();
    final List<String> kept = new ArrayList<>();
    final List<String> reviewed = new ArrayList<>();
    List<String> quasiIdentifierNames;
    int[] quasiIdentifiers;
  }

  private Plan plan(List<String> inputHeader, String fileName) {
    String field = PseudonymisationConfig.SECTION + ".columns.";
    Map<String, Technique> techniques = config.techniques();
    for (Map.Entry<String, Technique> e : techniques.entrySet()) {
      if (inputHeader.indexOf(e.getKey()) < 0)
        throw new IllegalArgumentException(field + e.getKey() + ": " + fileName + " has no column \"" + e.getKey()
            + "\"; its columns are " + inputHeader + ". Fix the name or remove the entry");
      if (e.getValue() instanceof Technique.ShiftDays s && inputHeader.indexOf(s.by()) < 0)
        throw new IllegalArgumentException(field + e.getKey() + ".shiftDays.by: " + fileName + " has no column \""
            + s.by() + "\"; its columns are " + inputHeader);
    }
    for (String f : config.freeTextColumns()) {
      if (inputHeader.indexOf(f) < 0)
        throw new IllegalArgumentException(PseudonymisationConfig.SECTION + ".freeTextColumns: " + fileName
            + " has no column \"" + f + "\"; its columns are " + inputHeader + ". Fix the name or remove it");
    }
    Plan plan = new Plan();
    Map<String, String> producedBy = new LinkedHashMap<>();
    for (int c = 0; c < inputHeader.size(); c++) {
      String name = inputHeader.get(c);
      Technique t = techniques.get(name);
      if (t == null) {
        plan.scanned.add(c);
        plan.kept.add(name);
      } else {
        switch (t.kind()) {
          case REMOVED -> plan.removed.add(name);
          case PSEUDONYMISED -> plan.pseudonymised.add(name);
          case KEPT -> plan.reviewed.add(name);
          case GENERALISED -> { }
        }
      }
      String out = t == null ? name : t.outputName(name);
      if (out == null) continue;
      String other = producedBy.putIfAbsent(out, name);
      if (other != null) {
        String declared = techniques.containsKey(name) ? name : other;
        String clash = declared.equals(name) ? other : name;
        throw new IllegalArgumentException(field + declared + ": its output column \"" + out + "\" clashes with column \""
            + clash + "\" of " + fileName + "; name the output otherwise with \"as\", or delete \"" + clash + "\"");
      }
      plan.header.add(out);
      plan.sources.add(c);
      plan.techniques.add(t == null || t.kind() == Technique.Kind.KEPT ? null : t);
    }

    List<String> qis;
    if (config.quasiIdentifiers().isPresent()) {
      qis = config.quasiIdentifiers().get();
      for (String q : qis) {
        if (!plan.header.contains(q))
          throw new IllegalArgumentException(PseudonymisationConfig.SECTION + ".quasiIdentifiers: \"" + q
              + "\" is not a column of the output, whose columns are " + plan.header);
      }
    } else {
      qis = new ArrayList<>();
      for (int c = 0; c < plan.header.size(); c++) {
        Technique t = plan.techniques.get(c);
        String name = plan.header.get(c);
        boolean generalised = t != null && t.kind() == Technique.Kind.GENERALISED;
        boolean sex = name.equalsIgnoreCase("sex") || name.equalsIgnoreCase("gender");
        if (generalised || sex) qis.add(name);
      }
    }
    plan.quasiIdentifierNames = List.copyOf(qis);
    plan.quasiIdentifiers = qis.stream().mapToInt(plan.header::indexOf).toArray();
    return plan;
  }

  /** The trimmed quasi-identifier values, each prefixed by its length, so that no two combinations share a key. */
  private static String groupKey(String[] row, int[] columns) {
    StringBuilder key = new StringBuilder();
    for (int c : columns) {
      String v = row[c].trim();
      key.append(v.length()).append(':').append(v);
    }
    return key.toString();
  }

  /** SHA-256 over the header and every record, each field length-prefixed so that no two tables collide. */
  static String contentHash(CsvTable table) {
    ContentHash h = new ContentHash(table.header());
    try (Records r = table.open()) {
      while (r.next()) h.add(r);
    } catch (IOException | DataException e) {
      throw new IllegalStateException(e);
    }
    return h.finish(table.rowCount());
  }

  /**
   * SHA-256 over the header, every record and the number of records, each field length-prefixed (its UTF-8 length),
   * computed one record at a time.
   */
  private static final class ContentHash {
    private final MessageDigest md;
    private final ByteBuffer len = ByteBuffer.allocate(8);
    private final int width;

    ContentHash(List<String> header) {
      try {
        md = MessageDigest.getInstance("SHA-256");
      } catch (NoSuchAlgorithmException e) {
        throw new IllegalStateException(e);
      }
      width = header.size();
      update(header.size(), null);
      for (String h : header) update(-1, h);
    }

    void add(Records r) {
      for (int c = 0; c < width; c++) update(-1, r.value(c));
    }

    String finish(int rows) {
      update(rows, null);
      return HexFormat.of().formatHex(md.digest());
    }

    private void update(long number, String text) {
      byte[] bytes = text == null ? new byte[0] : text.getBytes(StandardCharsets.UTF_8);
      len.clear();
      len.putLong(text == null ? number : bytes.length);
      md.update(len.array());
      md.update(bytes);
    }
  }

  private static void refuseInside(Path secretFile, Path dir, String what) throws IOException {
    Path d = canonical(dir);
    if (secretFile.startsWith(d))
      throw new IllegalArgumentException(PseudonymisationConfig.SECTION + ".secretFile " + secretFile + " lies inside the "
          + what + " " + d + "; keep the site secret apart from the data it protects and from the pseudonymised cache,"
          + " e.g. in a \"secret\" directory beside the agent config");
  }

  /** The absolute path with symbolic links resolved as far as the path exists. */
  private static Path canonical(Path p) throws IOException {
    Path abs = p.toAbsolutePath().normalize();
    Path existing = abs;
    while (existing != null && !Files.exists(existing)) existing = existing.getParent();
    if (existing == null) return abs;
    return existing.toRealPath().resolve(existing.relativize(abs)).normalize();
  }
}
