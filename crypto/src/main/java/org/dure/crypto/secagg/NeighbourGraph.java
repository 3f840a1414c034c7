package org.dure.crypto.secagg;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The masking graph of a round. Full: every site is every other site's neighbour. Sparse (SecAgg+): the Harary
 * graph H(k, n) — position i is joined to positions i ± 1 .. i ± k/2 (mod n) — over a random permutation of the
 * roster. The permutation is a Fisher–Yates shuffle driven by AES-256-CTR keyed with
 * HKDF(context digest, "dure-secagg graph v1"), so every participant computes the same graph from the public
 * round context. Memory O(n): neighbourhoods are computed on demand.
 */
final class NeighbourGraph {
  private final RoundContext context;
  /** Roster index (0-based) at each graph position, and the inverse; null when full. */
  private final int[] siteAt;
  private final int[] positionOf;

  private NeighbourGraph(RoundContext context, int[] siteAt, int[] positionOf) {
    this.context = context;
    this.siteAt = siteAt;
    this.positionOf = positionOf;
  }

  static NeighbourGraph of(RoundContext ctx) {
    if (!ctx.sparse()) return new NeighbourGraph(ctx, null, null);
    int n = ctx.size();
    byte[] key = Masks.derive(ctx.digest(), new byte[0], new Canonical("dure-secagg graph v1").toByteArray());
    ByteBuffer random = ByteBuffer.wrap(Masks.keystream(key, 8 * n));
    int[] siteAt = new int[n];
    for (int i = 0; i < n; i++) siteAt[i] = i;
    for (int i = n - 1; i > 0; i--) {
      int j = (int) Long.remainderUnsigned(random.getLong(), i + 1);
      int tmp = siteAt[i];
      siteAt[i] = siteAt[j];
      siteAt[j] = tmp;
    }
    int[] positionOf = new int[n];
    for (int p = 0; p < n; p++) positionOf[siteAt[p]] = p;
    return new NeighbourGraph(ctx, siteAt, positionOf);
  }

  /** The site's neighbours (without itself), in roster order. */
  List<String> neighboursOf(String site) {
    List<String> roster = context.roster();
    int index = context.indexOf(site) - 1;
    List<String> list = new ArrayList<>();
    if (siteAt == null) {
      for (int i = 0; i < roster.size(); i++) if (i != index) list.add(roster.get(i));
      return list;
    }
    int n = roster.size(), p = positionOf[index];
    for (int d = 1; d <= context.neighbours() / 2; d++) {
      list.add(roster.get(siteAt[Math.floorMod(p + d, n)]));
      list.add(roster.get(siteAt[Math.floorMod(p - d, n)]));
    }
    list.sort(Comparator.naturalOrder());
    return list;
  }

  boolean adjacent(String a, String b) {
    if (!context.contains(a) || !context.contains(b) || a.equals(b)) return false;
    if (siteAt == null) return true;
    int n = context.size();
    int distance = Math.floorMod(positionOf[context.indexOf(a) - 1] - positionOf[context.indexOf(b) - 1], n);
    return Math.min(distance, n - distance) <= context.neighbours() / 2;
  }
}
