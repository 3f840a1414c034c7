package org.dure.agent.outbound;

import java.util.Collection;
import java.util.Map;
import java.util.TreeMap;

/** What left the hospital, per study: messages and bytes in all and per kind. */
public final class OutboundTotals {
  /** The study key for messages that name no study (hello). */
  public static final String NO_STUDY = "-";

  /** Messages and bytes. */
  public static final class Count {
    long messages;
    long bytes;

    public long messages() {
      return messages;
    }

    public long bytes() {
      return bytes;
    }

    void add(long size) {
      messages++;
      bytes += size;
    }
  }

  /** One study's totals. */
  public static final class Study {
    final Count all = new Count();
    final Map<String, Count> byKind = new TreeMap<>();

    public Count all() {
      return all;
    }

    public Map<String, Count> byKind() {
      return byKind;
    }
  }

  private final Map<String, Study> studies = new TreeMap<>();

  private OutboundTotals() {}

  public static OutboundTotals of(Collection<OutboundEntry> entries) {
    OutboundTotals t = new OutboundTotals();
    for (OutboundEntry e : entries) {
      Study s = t.studies.computeIfAbsent(e.study() == null ? NO_STUDY : e.study(), k -> new Study());
      s.all.add(e.bytes());
      s.byKind.computeIfAbsent(e.kind(), k -> new Count()).add(e.bytes());
    }
    return t;
  }

  /** Per study id (or {@link #NO_STUDY}), sorted. */
  public Map<String, Study> studies() {
    return studies;
  }
}
