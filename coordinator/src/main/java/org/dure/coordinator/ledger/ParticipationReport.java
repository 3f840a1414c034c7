package org.dure.coordinator.ledger;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.dure.ledger.EventType;
import org.dure.ledger.LedgerEntry;

/**
 * Who took part in what, computed from ledger entries only: per (study, site), the rounds the site was asked to
 * join, the contributions it made, the rounds it dropped out of, the rows it approved the study with, and the
 * privacy budget it spent.
 */
public record ParticipationReport(List<Row> rows) {
  public ParticipationReport {
    rows = List.copyOf(rows);
  }

  /** One site in one study. */
  public record Row(String studyId, String siteId, String decision, long rows, int roundsJoined, int contributions,
                    int dropped, double epsilonSpent) {}

  /** The report over {@code entries} (already filtered to a study or a site, or all). */
  public static ParticipationReport of(List<LedgerEntry> entries) {
    Map<String, Map<String, long[]>> counts = new TreeMap<>();
    Map<String, Map<String, String>> decisions = new TreeMap<>();
    Map<String, Map<String, Double>> epsilon = new TreeMap<>();
    for (LedgerEntry e : entries) {
      if (e.studyId() == null) continue;
      Map<String, long[]> study = counts.computeIfAbsent(e.studyId(), k -> new TreeMap<>());
      Map<String, String> decided = decisions.computeIfAbsent(e.studyId(), k -> new TreeMap<>());
      JsonNode d = e.details();
      if (e.type() == EventType.SITE_APPROVED) {
        decided.put(e.siteId(), "APPROVED");
        counter(study, e.siteId())[0] = d.path("rows").asLong();
      } else if (e.type() == EventType.SITE_REFUSED) {
        decided.put(e.siteId(), "REFUSED");
        counter(study, e.siteId());
      } else if (e.type() == EventType.SITE_WITHDREW) {
        decided.put(e.siteId(), "WITHDREW");
        counter(study, e.siteId());
      } else if (e.type() == EventType.ROUND_STARTED) {
        for (JsonNode p : d.path("participants")) counter(study, p.asText())[1]++;
      } else if (e.type() == EventType.CONTRIBUTION_RECEIVED) {
        counter(study, e.siteId())[2]++;
      } else if (e.type() == EventType.SITE_DROPPED) {
        counter(study, e.siteId())[3]++;
      } else if (e.type() == EventType.AGGREGATE_COMMITTED) {
        Map<String, Double> eps = epsilon.computeIfAbsent(e.studyId(), k -> new TreeMap<>());
        d.path("epsilonSpent").fields().forEachRemaining(f -> eps.merge(f.getKey(), f.getValue().asDouble(), Double::sum));
      }
    }
    List<Row> rows = new java.util.ArrayList<>();
    counts.forEach((study, bySite) -> bySite.forEach((site, c) -> rows.add(new Row(study, site,
        decisions.getOrDefault(study, Map.of()).getOrDefault(site, "-"), c[0], (int) c[1], (int) c[2], (int) c[3],
        epsilon.getOrDefault(study, Map.of()).getOrDefault(site, 0.0)))));
    return new ParticipationReport(rows);
  }

  private static long[] counter(Map<String, long[]> study, String site) {
    return study.computeIfAbsent(site, k -> new long[4]);
  }

  /** RFC 4180 CSV with a header line. */
  public String csv() {
    StringBuilder out = new StringBuilder("study_id,site_id,decision,rows,rounds_joined,contributions,dropped,epsilon_spent\r\n");
    for (Row r : rows) {
      out.append(r.studyId()).append(',').append(r.siteId()).append(',').append(r.decision()).append(',').append(r.rows())
          .append(',').append(r.roundsJoined()).append(',').append(r.contributions()).append(',').append(r.dropped())
          .append(',').append(r.epsilonSpent()).append("\r\n");
    }
    return out.toString();
  }
}
