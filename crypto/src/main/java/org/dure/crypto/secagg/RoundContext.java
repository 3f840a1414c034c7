package org.dure.crypto.secagg;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Objects;

/**
 * Everything public about one secure-aggregation round, fixed by the coordinator before the round starts and
 * known to every participant: the study, the round number and attempt (a retried round is a new attempt, so its
 * keys, signatures and ciphertexts cannot be replayed into the other), the roster of participating sites
 * (sorted; a site's 1-based position is its Shamir x-coordinate), the threshold {@code t} and the neighbour count
 * {@code k} of the masking graph. The {@link #digest() digest} of these fields is bound into every signature,
 * derived key and ciphertext of the round.
 *
 * <p><b>Threshold.</b> At least {@code t} sites must survive every stage, or the round aborts without revealing
 * anything. {@code t} must be a strict majority of the roster (the default is {@code n/2 + 1}): with {@code t} at
 * most {@code n/2}, a coordinator could tell two disjoint halves of the sites different stories about the same
 * site and collect both of its secrets.
 *
 * <p><b>Full or sparse masking.</b> With {@code k = n - 1} every pair of sites shares a pairwise mask (Bonawitz et
 * al., CCS 2017). With an even {@code k < n - 1} the sites mask only with their {@code k} neighbours in a random
 * Harary graph (Bell et al., SecAgg+, CCS 2020) and share their secrets only with those neighbours; a site's
 * secrets then need {@link #shareThreshold()} = a strict majority of its {@code k + 1} holders (its neighbours and
 * itself). {@link #of} picks full masking up to {@value #SPARSE_ABOVE} sites and {@link #defaultNeighbours} above.
 */
public record RoundContext(String studyId, long round, int attempt, List<String> roster, int threshold,
    int neighbours) {
  /** Rosters of more sites than this use sparse (SecAgg+) masking by default. */
  public static final int SPARSE_ABOVE = 30;

  public RoundContext {
    Objects.requireNonNull(studyId, "studyId");
    Objects.requireNonNull(roster, "roster");
    if (studyId.isBlank()) throw new IllegalArgumentException("studyId must not be blank");
    if (round < 0) throw new IllegalArgumentException("round must be >= 0, was " + round);
    if (attempt < 0) throw new IllegalArgumentException("attempt must be >= 0, was " + attempt);
    List<String> sorted = new ArrayList<>(roster);
    for (String s : sorted) {
      if (s == null || s.isBlank()) throw new IllegalArgumentException("roster must not contain null or blank site ids");
    }
    Collections.sort(sorted);
    for (int i = 1; i < sorted.size(); i++) {
      if (sorted.get(i).equals(sorted.get(i - 1))) {
        throw new IllegalArgumentException("roster lists site " + sorted.get(i) + " twice");
      }
    }
    int n = sorted.size();
    if (n < 2) throw new IllegalArgumentException("secure aggregation needs at least 2 sites, roster has " + n);
    if (threshold <= n / 2 || threshold > n) {
      throw new IllegalArgumentException("threshold must be a strict majority of the " + n + " sites, in "
          + (n / 2 + 1) + ".." + n + ", was " + threshold);
    }
    if (neighbours != n - 1 && (neighbours < 2 || neighbours > n - 2 || neighbours % 2 != 0)) {
      throw new IllegalArgumentException("neighbours must be " + (n - 1) + " (full masking) or an even number in 2.."
          + (n - 2) + " (sparse masking), was " + neighbours);
    }
    roster = List.copyOf(sorted);
  }

  /** The context with the default threshold ({@link #defaultThreshold}) and neighbours ({@link #defaultNeighbours}). */
  public static RoundContext of(String studyId, long round, int attempt, Collection<String> sites) {
    int n = sites.size();
    return new RoundContext(studyId, round, attempt, List.copyOf(sites), defaultThreshold(n), defaultNeighbours(n));
  }

  public RoundContext withThreshold(int t) {
    return new RoundContext(studyId, round, attempt, roster, t, neighbours);
  }

  public RoundContext withNeighbours(int k) {
    return new RoundContext(studyId, round, attempt, roster, threshold, k);
  }

  /** {@code n/2 + 1}: the smallest strict majority. */
  public static int defaultThreshold(int n) {
    return n / 2 + 1;
  }

  /**
   * {@code n - 1} (full masking) for {@code n <=} {@value #SPARSE_ABOVE}; above, {@code k = 2 * ceil(2 * log2 n)},
   * capped at {@code n - 2} (e.g. 20 for n = 31, 28 for n = 100, 36 for n = 500).
   */
  public static int defaultNeighbours(int n) {
    if (n <= SPARSE_ABOVE) return n - 1;
    int k = 2 * (int) Math.ceil(2 * Math.log(n) / Math.log(2));
    return Math.min(k, (n - 2) & ~1);
  }

  public int size() {
    return roster.size();
  }

  /** True when sites mask only with their graph neighbours (SecAgg+). */
  public boolean sparse() {
    return neighbours < roster.size() - 1;
  }

  /** Shares needed to reconstruct one site's secret: {@code t} when full, a majority of {@code k + 1} when sparse. */
  public int shareThreshold() {
    return sparse() ? (neighbours + 1) / 2 + 1 : threshold;
  }

  /** The site's 1-based position in the sorted roster (its Shamir x-coordinate). */
  public int indexOf(String siteId) {
    int i = Collections.binarySearch(roster, siteId);
    if (i < 0) throw new IllegalArgumentException("site " + siteId + " is not in the roster of " + this.describe());
    return i + 1;
  }

  public boolean contains(String siteId) {
    return siteId != null && Collections.binarySearch(roster, siteId) >= 0;
  }

  /** The site's mask neighbours (all other sites when full), in roster order. Computed on each call: O(n). */
  public List<String> neighboursOf(String siteId) {
    return NeighbourGraph.of(this).neighboursOf(siteId);
  }

  /** SHA-256 over the canonical encoding of every field; bound into everything signed or encrypted. */
  public byte[] digest() {
    byte[] bytes = new Canonical("dure-secagg round-context v1").string(studyId).int64(round).int32(attempt)
        .int32(threshold).int32(neighbours).strings(roster).toByteArray();
    try {
      return MessageDigest.getInstance("SHA-256").digest(bytes);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("this JDK has no SHA-256", e);
    }
  }

  /** "study S round R attempt A": for messages. */
  public String describe() {
    return "study " + studyId + " round " + round + " attempt " + attempt;
  }
}
