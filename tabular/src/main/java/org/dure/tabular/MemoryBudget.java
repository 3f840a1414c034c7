package org.dure.tabular;

import java.lang.management.ManagementFactory;
import java.util.Locale;
import java.util.function.LongSupplier;

/**
 * What the site agent may still allocate on its Java heap, and the refusal when data would not fit: a plain
 * sentence with the rows, the estimated bytes, the {@code -Xmx} in effect and what to change, thrown as a
 * {@link DataException} <em>before</em> anything is allocated, rather than an {@code OutOfMemoryError} half-way.
 *
 * <p>Available is the maximum heap, less what is in use now, less a reserve for the rest of the agent (an eighth of
 * the heap, at most 256 MiB). When an estimate does not fit, the live heap is measured once more after a garbage
 * collection before refusing, so that garbage not yet collected does not refuse data that fits.
 *
 * @param maxHeap the largest heap the JVM will use (bytes)
 * @param used the bytes in use now
 * @param xmx how messages name the heap limit, e.g. {@code -Xmx2g}
 * @param collect whether to collect garbage before refusing (the JVM's budget does; a test's fixed one does not)
 */
public record MemoryBudget(long maxHeap, LongSupplier used, String xmx, boolean collect) {
  private static final long MIB = 1L << 20;

  /** This JVM's heap. */
  public static MemoryBudget jvm() {
    Runtime rt = Runtime.getRuntime();
    return new MemoryBudget(rt.maxMemory(), () -> rt.totalMemory() - rt.freeMemory(), xmxInEffect(rt.maxMemory()), true);
  }

  /** A fixed budget (for tests): {@code maxHeap} bytes of which {@code used} are in use. */
  public static MemoryBudget fixed(long maxHeap, long used) {
    return new MemoryBudget(maxHeap, () -> used, xmx(maxHeap), false);
  }

  /** Bytes kept back for the rest of the agent. */
  public long reserve() {
    return Math.min(256 * MIB, maxHeap / 8);
  }

  /** Bytes that may still be allocated. */
  public long available() {
    return Math.max(0, maxHeap - used.getAsLong() - reserve());
  }

  /** Whether {@code bytes} more fit now (after a garbage collection, for the JVM's budget, if they do not at first). */
  public boolean fits(long bytes) {
    if (bytes <= available()) return true;
    if (!collect) return false;
    System.gc();
    return bytes <= available();
  }

  /**
   * Refuses unless {@code bytes} fit.
   *
   * @param source the source name, for the message
   * @param what what needs the memory, e.g. {@code "preparing 5,860,000 rows of 9 columns for this study"}
   * @param orElse what else the site can change, besides the heap, or null
   * @throws DataException naming the rows, the estimate, the {@code -Xmx} and what to change
   */
  public void require(String source, String what, long bytes, String orElse) throws DataException {
    if (fits(bytes)) return;
    long inUse = used.getAsLong();
    long suggest = (long) Math.ceil((bytes + inUse + reserve()) * 1.25 / (1L << 30));
    throw new DataException(source, 0, null, String.format(Locale.ROOT,
        "%s needs about %s of memory, but the agent has %s free (%s in effect, %s in use); start the agent with a"
            + " larger heap, e.g. -Xmx%dg (the java command in its systemd unit or launch script)%s",
        what, size(bytes), size(Math.max(0, maxHeap - inUse - reserve())), xmx, size(inUse), Math.max(1, suggest),
        orElse == null ? "" : ", or " + orElse));
  }

  /** {@code 1.4 GiB}, {@code 310 MiB}. */
  public static String size(long bytes) {
    if (bytes >= (1L << 30)) return String.format(Locale.ROOT, "%.1f GiB", bytes / (double) (1L << 30));
    return String.format(Locale.ROOT, "%d MiB", (bytes + MIB - 1) / MIB);
  }

  /** The {@code -Xmx} the JVM runs with, from its MaxHeapSize flag (or the maximum heap when that cannot be read). */
  static String xmxInEffect(long fallback) {
    long bytes = fallback;
    try {
      var hotspot = ManagementFactory.getPlatformMXBean(com.sun.management.HotSpotDiagnosticMXBean.class);
      if (hotspot != null) bytes = Long.parseLong(hotspot.getVMOption("MaxHeapSize").getValue());
    } catch (RuntimeException | LinkageError e) {
      // another JVM: the maximum heap it reports
    }
    return xmx(bytes);
  }

  private static String xmx(long bytes) {
    if (bytes % (1L << 30) == 0) return "-Xmx" + bytes / (1L << 30) + "g";
    return "-Xmx" + (bytes + MIB - 1) / MIB + "m";
  }
}
