package org.dure.coordinator.api;

import static org.dure.coordinator.api.Access.allow;
import static org.dure.coordinator.api.StudyApi.json;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vertx.core.Vertx;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import org.dure.coordinator.ledger.ParticipationLedger;
import org.dure.coordinator.security.Credentials;
import org.dure.coordinator.security.Role;
import org.dure.coordinator.security.SiteTrust;
import org.dure.coordinator.study.StudyStore;

/**
 * The administrator's endpoints: API users (issue and revoke credentials) and the site register and
 * refused connections (also readable by auditors).
 *
 * <pre>
 * GET    /api/users            credentials: id, user, role, created/revoked    admin
 *                              (never tokens); revoked ones stay listed
 * POST   /api/users            {"name", "role"} → a new credential id and      admin     201
 *                              its token, shown once
 * DELETE /api/users/{name}     revoke the user's credential and stop the       admin
 *                              studies it owns that have not ended
 * GET    /api/sites/register   enrolled sites, certificate serials, status     admin, auditor
 * GET    /api/sites/refusals   recent refused site connections and why         admin, auditor
 * </pre>
 */
final class AdminApi {
  private final Vertx vertx;
  private final Credentials credentials;
  private final SiteTrust trust;
  private final ParticipationLedger ledger;
  private final org.dure.coordinator.study.StudyDirectory studies;

  AdminApi(Vertx vertx, Credentials credentials, SiteTrust trust, ParticipationLedger ledger,
           org.dure.coordinator.study.StudyDirectory studies) {
    this.studies = studies;
    this.ledger = ledger;
    this.vertx = vertx;
    this.credentials = credentials;
    this.trust = trust;
  }

  void register(Router r) {
    r.get("/api/users").handler(allow(Role.ADMIN)).handler(rc -> json(rc, 200, credentials.users()));
    r.post("/api/users").handler(allow(Role.ADMIN)).handler(this::issue);
    r.delete("/api/users/:name").handler(allow(Role.ADMIN)).handler(this::revoke);
    r.get("/api/sites/register").handler(allow(Role.ADMIN, Role.AUDITOR)).handler(rc -> json(rc, 200, trust.sites().sites()));
    r.get("/api/sites/refusals").handler(allow(Role.ADMIN, Role.AUDITOR)).handler(rc -> json(rc, 200, trust.refusals().recent()));
  }

  private void issue(RoutingContext rc) {
    JsonNode body = StudyApi.bodyJson(rc);
    for (var it = body.fieldNames(); it.hasNext(); ) {
      String f = it.next();
      if (!f.equals("name") && !f.equals("role")) throw new ApiError(400, "unknown field '" + f + "'; expected name and role", f);
    }
    if (!body.path("name").isTextual()) throw new ApiError(400, (body.hasNonNull("name") ? "name must be a string"
        : "name is required") + " (the person's user name)", "name");
    if (!body.path("role").isTextual()) throw new ApiError(400, (body.hasNonNull("role") ? "role must be a string"
        : "role is required") + ": researcher, auditor or admin", "role");
    Role role;
    try {
      role = Role.parse(body.path("role").asText());
    } catch (IllegalArgumentException e) {
      throw new ApiError(400, e.getMessage(), "role");
    }
    String name = body.path("name").asText();
    String by = Access.caller(rc).name();
    vertx.executeBlocking(() -> credentials.issue(name, role, by), false)
        .compose(issued -> ledger.credentialIssued(issued.name(), issued.id(), issued.role().label(), by).map(i -> issued))
        .onSuccess(issued -> {
      ObjectNode out = StudyStore.JSON.createObjectNode().put("id", issued.id()).put("name", issued.name())
          .put("role", issued.role().label()).put("token", issued.token())
          .put("note", "store this token now: it is shown only once and the coordinator keeps only its hash");
      if (issued.revokedBefore() > 0) {
        out.put("revokedBefore", issued.revokedBefore()).put("warning", "the user name " + issued.name() + " had "
            + issued.revokedBefore() + " revoked credential(s) before; this is a new credential (id " + issued.id()
            + ") that owns none of their studies, and their records are kept");
      }
      rc.response().putHeader("Cache-Control", "no-store");
      json(rc, 201, out);
    }).onFailure(e -> rc.fail(e instanceof IllegalArgumentException ? new ApiError(400, e.getMessage(), "name")
        : e instanceof IllegalStateException ? new ApiError(409, e.getMessage(), "name") : e));
  }

  private void revoke(RoutingContext rc) {
    String name = rc.pathParam("name");
    if (name.equals(Access.caller(rc).name())) {
      throw new ApiError(409, "you cannot revoke your own credential; ask another administrator");
    }
    String by = Access.caller(rc).name();
    vertx.executeBlocking(() -> credentials.revoke(name), false)
        .compose(u -> ledger.credentialRevoked(u.name(), u.id(), by).map(i -> u))
        .onSuccess(u -> {
          // A revoked researcher's studies do not run on without them: each one that has not ended is stopped, with
          // the reason and the administrator in the ledger.
          java.util.List<String> stopped = studies.stopOwnedBy(u.id(), u.name(), u.createdAt(),
              "stopped: the owner's credential (" + u.name() + ", id " + u.id() + ") was revoked by administrator " + by, by);
          ObjectNode out = StudyStore.JSON.valueToTree(u);
          stopped.forEach(out.putArray("stoppedStudies")::add);
          json(rc, 200, out);
        })
        .onFailure(e -> rc.fail(e instanceof IllegalArgumentException ? new ApiError(404, e.getMessage()) : e));
  }
}
