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
    List<Integer> all = new ArrayList<>();
    for (int c = 0; c < table.header().size(); c++) all.add(c);
    List<IdentifierFoundException.Finding> findings = IdentifierScanner.scan(table, all);
    if (!findings.isEmpty()) throw new IdentifierFoundException(table.fileName(), findings);
  }

  /**
   * Pseudonymises {@code input}.
   *
   * @throws IllegalArgumentException if the config names a column the data lacks or an output name clashes
   *     with another column; the message names the config field
   * @throws IdentifierFoundException if an undeclared column holds identifiers; nothing is produced or cached
   * @throws DataException if a declared column holds a value its technique cannot read (line and column named, value not shown)
   * @throws IOException if the cache cannot be written
   */
  public PseudonymisedTable apply(CsvTable input) throws IOException, DataException {
    Plan plan = plan(input);
    String inputHash = contentHash(input);
    // the scan's version is part of the key: a result cached before the scan learnt more is scanned again
    String key = PseudonymCache.key(input.fileName(), inputHash, config.hash() + "/scan-" + IdentifierScanner.VERSION,
        secret.fingerprint());
    if (cache != null) {
      Optional<PseudonymisedTable> cached = cache.get(key);
      if (cached.isPresent()) return cached.get();
    }
    List<IdentifierFoundException.Finding> findings = IdentifierScanner.scan(input, plan.scanned,
        java.util.Set.copyOf(config.freeTextColumns()));
    if (!findings.isEmpty()) throw new IdentifierFoundException(input.fileName(), findings);

    computations.incrementAndGet();
    SiteSecret.Keyed keys = secret.keyed();
    int width = plan.sources.size();
    List<String[]> transformed = new ArrayList<>(input.rowCount());
    int[] unrecognised = new int[width];
    for (int r = 0; r < input.rowCount(); r++) {
      String[] out = new String[width];
      for (int c = 0; c < width; c++) {
        int src = plan.sources.get(c);
        Technique t = plan.techniques.get(c);
        String value = input.value(r, src);
        if (t == null) {
          out[c] = value;
          continue;
        }
        String rowKey = t instanceof Technique.ShiftDays s ? input.value(r, input.columnIndex(s.by())) : null;
        try {
          out[c] = t.apply(value, keys, rowKey);
        } catch (Technique.BadValue e) {
          throw new DataException(input.fileName(), input.line(r), input.header().get(src), "the value " + e.getMessage()
              + "; fix the extract, or change pseudonymisation.columns." + input.header().get(src));
        }
        if (t instanceof Technique.Region && KoreanProvinces.UNRECOGNISED.equals(out[c])) unrecognised[c]++;
      }
      transformed.add(out);
    }

    Map<List<String>, Integer> groupSizes = new HashMap<>();
    for (String[] row : transformed) groupSizes.merge(groupKey(row, plan.quasiIdentifiers), 1, Integer::sum);
    List<String[]> kept = new ArrayList<>();
    List<Integer> keptLines = new ArrayList<>();
    for (int r = 0; r < transformed.size(); r++) {
      if (groupSizes.get(groupKey(transformed.get(r), plan.quasiIdentifiers)) >= config.k()) {
        kept.add(transformed.get(r));
        keptLines.add(input.line(r));
      }
    }
    int achieved = groupSizes.values().stream().filter(n -> n >= config.k()).mapToInt(Integer::intValue).min().orElse(0);
    int groups = (int) groupSizes.values().stream().filter(n -> n >= config.k()).count();
    CsvTable table = CsvTable.of(input.fileName(), plan.header, kept, keptLines.stream().mapToInt(Integer::intValue).toArray());

    List<PseudonymisationReport.Generalisation> generalised = new ArrayList<>();
    for (int c = 0; c < width; c++) {
      Technique t = plan.techniques.get(c);
      if (t != null && t.kind() == Technique.Kind.GENERALISED) {
        generalised.add(new PseudonymisationReport.Generalisation(input.header().get(plan.sources.get(c)), plan.header.get(c),
            t.describe(), unrecognised[c] == 0 ? "" : String.format(Locale.ROOT,
                "addresses not recognised as a 시/도: %d (written as %s)", unrecognised[c], KoreanProvinces.UNRECOGNISED)));
      }
    }
    PseudonymisationReport report = new PseudonymisationReport(input.fileName(), inputHash, config.hash(),
        secret.fingerprint(), clock.instant(), false, plan.removed, plan.pseudonymised, generalised, plan.kept,
        plan.reviewed, plan.quasiIdentifierNames, config.k(), achieved, groups, input.rowCount(),
        input.rowCount() - kept.size());
    PseudonymisedTable result = new PseudonymisedTable(table, report);
    if (cache != null) cache.put(key, result);
    return result;
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

  private Plan plan(CsvTable input) {
    String field = PseudonymisationConfig.SECTION + ".columns.";
    Map<String, Technique> techniques = config.techniques();
    for (Map.Entry<String, Technique> e : techniques.entrySet()) {
      if (input.columnIndex(e.getKey()) < 0)
        throw new IllegalArgumentException(field + e.getKey() + ": " + input.fileName() + " has no column \"" + e.getKey()
            + "\"; its columns are " + input.header() + ". Fix the name or remove the entry");
      if (e.getValue() instanceof Technique.ShiftDays s && input.columnIndex(s.by()) < 0)
        throw new IllegalArgumentException(field + e.getKey() + ".shiftDays.by: " + input.fileName() + " has no column \""
            + s.by() + "\"; its columns are " + input.header());
    }
    for (String f : config.freeTextColumns()) {
      if (input.columnIndex(f) < 0)
        throw new IllegalArgumentException(PseudonymisationConfig.SECTION + ".freeTextColumns: " + input.fileName()
            + " has no column \"" + f + "\"; its columns are " + input.header() + ". Fix the name or remove it");
    }
    Plan plan = new Plan();
    Map<String, String> producedBy = new LinkedHashMap<>();
    for (int c = 0; c < input.header().size(); c++) {
      String name = input.header().get(c);
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
            + clash + "\" of " + input.fileName() + "; name the output otherwise with \"as\", or delete \"" + clash + "\"");
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

  private static List<String> groupKey(String[] row, int[] columns) {
    List<String> key = new ArrayList<>(columns.length);
    for (int c : columns) key.add(row[c].trim());
    return key;
  }

  /** SHA-256 over the header and every record, each field length-prefixed so that no two tables collide. */
  static String contentHash(CsvTable table) {
    MessageDigest md;
    try {
      md = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    ByteBuffer len = ByteBuffer.allocate(8);
    List<String> header = table.header();
    update(md, len, header.size(), null);
    for (String h : header) update(md, len, -1, h);
    update(md, len, table.rowCount(), null);
    for (int r = 0; r < table.rowCount(); r++) {
      for (int c = 0; c < header.size(); c++) update(md, len, -1, table.value(r, c));
    }
    return HexFormat.of().formatHex(md.digest());
  }

  private static void update(MessageDigest md, ByteBuffer len, int number, String text) {
    byte[] bytes = text == null ? new byte[0] : text.getBytes(StandardCharsets.UTF_8);
    len.clear();
    len.putLong(text == null ? number : bytes.length);
    md.update(len.array());
    md.update(bytes);
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
