package org.dure.coordinator.study;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.dure.coordinator.ledger.ParticipationLedger;
import org.dure.coordinator.sites.SiteEvents;
import org.dure.coordinator.sites.SiteRegistry;
import org.dure.coordinator.sites.SiteSession;
import org.dure.protocol.study.StudySpec;
import org.dure.protocol.study.StudySpecParser;
import org.dure.protocol.wire.AgentMessage;
import org.dure.protocol.wire.CoordinatorMessage;
import org.dure.protocol.wire.Frames;
import org.dure.protocol.wire.SecAggWire;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * All studies of this coordinator and the routing of site events to them. Runs on the coordinator's
 * event loop. At start it reloads stored studies and resumes the ones that were running.
 */
public final class StudyDirectory implements SiteEvents {
  private static final Logger log = LoggerFactory.getLogger(StudyDirectory.class);
  private final Vertx vertx;
  private final SiteRegistry sites;
  private final StudyStore store;
  private final Path dataDir;
  private final Map<String, StudyRunner> runners = new LinkedHashMap<>();
  private final ParticipationLedger ledger;

  public StudyDirectory(Vertx vertx, SiteRegistry sites, StudyStore store, Path dataDir, ParticipationLedger ledger) {
    this.ledger = ledger;
    this.vertx = vertx;
    this.sites = sites;
    this.store = store;
    this.dataDir = dataDir;
    sites.listener(this);
  }

  /**
   * Loads stored studies; those that were running resume from their latest checkpoint (read, like the initial model,
   * on a worker thread when the study resumes). A stored study whose definition no longer validates (one submitted
   * before a limit such as {@link org.dure.protocol.study.ModelSpec#MAX_PARAMETERS} existed) is not rebuilt: it stays
   * listed, marked FAILED with the reason if it had not ended.
   */
  public void restore() {
    for (StudyView v : store.all()) {
      StudySpec spec;
      try {
        spec = StudySpecParser.parse(v.spec().toString());
      } catch (org.dure.protocol.study.StudySpecException e) {
        log.error("study {} is not restored: its stored definition is no longer valid: {}", v.id(), e.getMessage());
        if (!v.status().terminal()) {
          store.put(new StudyView(v.id(), v.name(), v.owner(), v.ownerId(), StudyStatus.FAILED, "not restored after a coordinator"
              + " restart: its definition is no longer valid: " + e.getMessage(), v.createdAt(), v.startedAt(),
              v.endedAt() == null ? Instant.now() : v.endedAt(), v.rounds(), v.completedRounds(), v.currentRound(), v.sites(),
              v.scaling(), v.modelDir(), v.spec()));
        }
        continue;
      }
      StudyRunner r = StudyRunner.restore(vertx, sites, store, ledger, dataDir, v, spec, store.rounds(v.id()));
      runners.put(v.id(), r);
      if (v.status().active()) {
        log.info("resuming study {} after {} completed rounds", v.id(), v.completedRounds());
        r.start();
      }
    }
  }

  /**
   * Registers a new study owned by the credential of researcher {@code owner}; completes once the submission is in
   * the participation ledger (on disk).
   */
  public Future<StudyView> submit(StudySpec spec, org.dure.coordinator.security.Caller owner) {
    String id = UUID.randomUUID().toString();
    StudyRunner r = new StudyRunner(vertx, sites, store, ledger, dataDir, id, spec, Instant.now(), owner.name(), owner.id());
    runners.put(id, r);
    store.put(r.view());
    log.info("study {} submitted by {} (credential {}): {}", id, owner.name(), owner.id(), spec.name());
    com.fasterxml.jackson.databind.node.ObjectNode privacy = (com.fasterxml.jackson.databind.node.ObjectNode)
        r.view().spec().path("privacy").deepCopy();
    return ledger.studySubmitted(id, owner.name(), owner.id(), spec.name(), r.specSha256Hex(), privacy).map(index -> r.view());
  }

  public ParticipationLedger ledger() {
    return ledger;
  }

  public Optional<StudyRunner> runner(String id) {
    return Optional.ofNullable(runners.get(id));
  }

  /** Starts a submitted study. */
  public StudyView start(String id) {
    StudyRunner r = runners.get(id);
    if (r.status() != StudyStatus.SUBMITTED)
      throw new IllegalStateException("study " + id + " is " + r.status() + "; only a SUBMITTED study can be started");
    r.start();
    return r.view();
  }

  /** Stops a study that has not ended; {@code by} (a user name) is recorded in the ledger as who stopped it. */
  public StudyView stop(String id, String reason, String by) {
    StudyRunner r = runners.get(id);
    if (r.status().terminal()) throw new IllegalStateException("study " + id + " already ended: " + r.status());
    r.stop(reason, by);
    return r.view();
  }

  /**
   * Stops every study of credential {@code credentialId} (user {@code name}, issued at {@code issuedAt}) that has not
   * ended — submitted, waiting or running — when that credential is revoked. Returns the ids of the studies stopped.
   */
  public java.util.List<String> stopOwnedBy(String credentialId, String name, Instant issuedAt, String reason, String by) {
    java.util.List<String> stopped = new java.util.ArrayList<>();
    for (StudyRunner r : java.util.List.copyOf(runners.values())) {
      if (!r.status().terminal() && r.ownedBy(credentialId, name, issuedAt)) {
        r.stop(reason, by);
        stopped.add(r.id());
      }
    }
    if (!stopped.isEmpty()) log.info("stopped {} studies of revoked credential {} ({}): {}", stopped.size(), credentialId, name, stopped);
    return stopped;
  }

  /**
   * Largest binary frame a site may legitimately send now: a model frame of the largest study that is not over
   * (header, one value per parameter plus two for a masked input, a signature); 0 when no study is.
   */
  public long largestModelFrame() {
    return runners.values().stream().filter(r -> !r.status().terminal())
        .mapToLong(r -> Frames.HEADER_BYTES + 4L * (r.parameterCount() + 2L) + Frames.MAX_SIGNATURE).max().orElse(0);
  }

  /** Studies by status (for the metrics; on the event loop). */
  public Map<StudyStatus, Long> countByStatus() {
    Map<StudyStatus, Long> counts = new java.util.EnumMap<>(StudyStatus.class);
    for (StudyRunner r : runners.values()) counts.merge(r.status(), 1L, Long::sum);
    return counts;
  }

  public StudyStore store() {
    return store;
  }

  @Override public void connected(SiteSession session) {
    runners.values().forEach(r -> r.siteConnected(session));
  }

  @Override public void disconnected(SiteSession session) {
    runners.values().forEach(r -> r.siteDisconnected(session));
  }

  @Override public void message(SiteSession session, AgentMessage message) {
    String studyId = AgentMessage.studyIdOf(message);
    StudyRunner r = studyId == null ? null : runners.get(studyId);
    if (r == null) {
      session.send(new CoordinatorMessage.Refused("unknown study " + studyId));
      return;
    }
    Integer round = message instanceof SecAggWire.Addressed a ? a.round() : null;
    try (var fields = org.dure.protocol.logging.LogFields.scope(studyId, round, session.siteId())) {
      r.message(session, message);
    }
  }

  @Override public void frame(SiteSession session, Frames.Frame frame) {
    StudyRunner r = runners.get(frame.studyId().toString());
    if (r == null) {
      session.send(new CoordinatorMessage.Refused("model frame for unknown study " + frame.studyId()));
      return;
    }
    try (var fields = org.dure.protocol.logging.LogFields.scope(frame.studyId().toString(), frame.round(), session.siteId())) {
      r.frame(session, frame);
    }
  }
}
