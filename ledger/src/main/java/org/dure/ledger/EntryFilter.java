package org.dure.ledger;

import java.time.Instant;

/**
 * Which entries {@link TransparencyLog#entries(EntryFilter)} returns; every field is optional (null matches
 * everything) and the conditions combine with AND.
 *
 * @param studyId only entries about this study
 * @param siteId only entries whose {@code siteId} is this site
 * @param type only entries of this type ({@link EventType#STUDY_ENDED} also matches its legacy name, STUDY_COMPLETED)
 * @param from only entries logged at or after this instant
 * @param to only entries logged strictly before this instant
 */
public record EntryFilter(String studyId, String siteId, EventType type, Instant from, Instant to) {
  private static final EntryFilter ALL = new EntryFilter(null, null, null, null, null);

  public EntryFilter {
    if (from != null && to != null && to.isBefore(from)) {
      throw new IllegalArgumentException("to must not be before from, was from=" + from + " to=" + to);
    }
  }

  /** Matches every entry. */
  public static EntryFilter all() {
    return ALL;
  }

  /** Entries about one study. */
  public static EntryFilter study(String studyId) {
    return new EntryFilter(studyId, null, null, null, null);
  }

  /** Entries about one site. */
  public static EntryFilter site(String siteId) {
    return new EntryFilter(null, siteId, null, null, null);
  }

  /** Whether {@code entry} passes this filter. */
  public boolean matches(LedgerEntry entry) {
    return (studyId == null || studyId.equals(entry.studyId()))
        && (siteId == null || siteId.equals(entry.siteId()))
        && (type == null || type.includes(entry.type()))
        && (from == null || !entry.timestamp().isBefore(from))
        && (to == null || entry.timestamp().isBefore(to));
  }
}
