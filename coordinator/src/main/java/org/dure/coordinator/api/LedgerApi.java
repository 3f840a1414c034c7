package org.dure.coordinator.api;

import static org.dure.coordinator.api.Access.allow;
import static org.dure.coordinator.api.StudyApi.json;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vertx.core.Vertx;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.Callable;
import org.dure.coordinator.ledger.LedgerJson;
import org.dure.coordinator.ledger.ParticipationLedger;
import org.dure.coordinator.ledger.ParticipationReport;
import org.dure.coordinator.security.Role;
import org.dure.coordinator.study.StudyStore;
import org.dure.ledger.EventType;
import org.dure.ledger.LedgerEntry;
import org.dure.ledger.LogVerifier;

/**
 * The participation ledger for administrators and auditors.
 *
 * <pre>
 * GET /api/ledger/entries?study=&amp;site=&amp;type=&amp;from=&amp;to=   entries, filtered (ISO-8601 times)
 * GET /api/ledger/entries/{index}          one entry, its inclusion proof and the signed tree head it is proven in
 * GET /api/ledger/tree-head                 a freshly signed tree head (size, root, time, signature)
 * GET /api/ledger/consistency?from=&amp;to=     consistency proof between two tree sizes
 * GET /api/ledger/report?study=|site=[&amp;format=csv]   participation report
 * GET /api/ledger/verify                    recompute the tree, check every signature and tree head
 * </pre>
 */
final class LedgerApi {
  private final Vertx vertx;
  private final ParticipationLedger ledger;

  LedgerApi(Vertx vertx, ParticipationLedger ledger) {
    this.vertx = vertx;
    this.ledger = ledger;
  }

  void register(Router r) {
    r.get("/api/ledger/entries").handler(allow(Role.ADMIN, Role.AUDITOR)).handler(rc -> {
      LedgerEntryQuery q = query(rc);
      blocking(rc, () -> {
        ArrayNode out = StudyStore.JSON.createArrayNode();
        for (LedgerEntry e : filtered(q)) out.add(LedgerJson.entry(e));
        return out;
      });
    });
    r.get("/api/ledger/entries/:index").handler(allow(Role.ADMIN, Role.AUDITOR)).handler(rc -> {
      long index = number(rc.pathParam("index"), "index");
      blocking(rc, () -> {
        if (index < 0 || index >= ledger.log().size()) throw new ApiError(404, "no ledger entry " + index
            + "; the ledger holds " + ledger.log().size() + " entries");
        var head = ledger.log().signedTreeHead();
        ObjectNode out = StudyStore.JSON.createObjectNode();
        out.set("entry", LedgerJson.entry(ledger.log().entry(index)));
        out.set("inclusionProof", LedgerJson.hashes(ledger.log().inclusionProof(index, head.size())));
        out.set("treeHead", LedgerJson.treeHead(head));
        return out;
      });
    });
    r.get("/api/ledger/tree-head").handler(allow(Role.ADMIN, Role.AUDITOR))
        .handler(rc -> blocking(rc, () -> LedgerJson.treeHead(ledger.log().signedTreeHead())));
    r.get("/api/ledger/consistency").handler(allow(Role.ADMIN, Role.AUDITOR)).handler(rc -> {
      long from = number(rc.request().getParam("from"), "from"), to = number(rc.request().getParam("to"), "to");
      blocking(rc, () -> {
        if (from < 1 || from > to || to > ledger.log().size()) {
          throw new ApiError(400, "need 1 <= from <= to <= " + ledger.log().size() + " (the tree size), got from=" + from
              + " to=" + to, "from");
        }
        ObjectNode out = StudyStore.JSON.createObjectNode().put("from", from).put("to", to);
        out.set("proof", LedgerJson.hashes(ledger.log().consistencyProof(from, to)));
        return out;
      });
    });
    r.get("/api/ledger/report").handler(allow(Role.ADMIN, Role.AUDITOR)).handler(rc -> {
      LedgerEntryQuery q = query(rc);
      boolean csv = "csv".equalsIgnoreCase(rc.request().getParam("format"));
      vertx.executeBlocking(() -> ParticipationReport.of(filtered(new LedgerEntryQuery(q.study(), null, null, null, null))
          .stream().filter(e -> q.site() == null || q.site().equals(e.siteId()) || e.type() == EventType.ROUND_STARTED
              || e.type() == EventType.AGGREGATE_COMMITTED).toList()), false)
          .onSuccess(report -> {
            List<ParticipationReport.Row> rows = q.site() == null ? report.rows()
                : report.rows().stream().filter(x -> x.siteId().equals(q.site())).toList();
            ParticipationReport shown = new ParticipationReport(rows);
            if (csv) {
              rc.response().putHeader("Content-Type", "text/csv; charset=utf-8").end(shown.csv());
            } else {
              json(rc, 200, shown);
            }
          }).onFailure(rc::fail);
    });
    r.get("/api/ledger/verify").handler(allow(Role.ADMIN, Role.AUDITOR)).handler(rc ->
        blocking(rc, () -> StudyStore.JSON.valueToTree(LogVerifier.verify(ledger.directory(), ledger.publicKey()))));
  }

  /** Filters from the query string, each optional. */
  record LedgerEntryQuery(String study, String site, EventType type, Instant from, Instant to) {}

  private static LedgerEntryQuery query(RoutingContext rc) {
    String type = rc.request().getParam("type");
    EventType t = null;
    if (type != null) {
      try {
        t = EventType.valueOf(type.toUpperCase(java.util.Locale.ROOT));
      } catch (IllegalArgumentException e) {
        throw new ApiError(400, "unknown event type '" + type + "'; expected one of " + List.of(EventType.values()), "type");
      }
    }
    return new LedgerEntryQuery(rc.request().getParam("study"), rc.request().getParam("site"), t,
        time(rc.request().getParam("from"), "from"), time(rc.request().getParam("to"), "to"));
  }

  private List<LedgerEntry> filtered(LedgerEntryQuery q) {
    return ledger.log().entries(new org.dure.ledger.EntryFilter(q.study(), q.site(), q.type(), q.from(), q.to()));
  }

  private static Instant time(String v, String field) {
    if (v == null) return null;
    try {
      return Instant.parse(v);
    } catch (DateTimeParseException e) {
      throw new ApiError(400, field + " must be an ISO-8601 instant such as 2026-11-22T09:00:00Z, was '" + v + "'", field);
    }
  }

  private static long number(String v, String field) {
    try {
      return Long.parseLong(v);
    } catch (NumberFormatException | NullPointerException e) {
      throw new ApiError(400, field + " must be an integer, was '" + v + "'", field);
    }
  }

  private void blocking(RoutingContext rc, Callable<Object> work) {
    vertx.executeBlocking(work, false).onSuccess(body -> json(rc, 200, body)).onFailure(rc::fail);
  }

  static String b64(byte[] b) {
    return Base64.getEncoder().encodeToString(b);
  }
}
