package org.dure.agent.study;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.dure.agent.identity.SiteIdentity;
import org.dure.agent.ledger.ReceiptChecker;
import org.dure.crypto.Digests;
import org.dure.crypto.sign.SiteSignatures.Purpose;
import org.dure.learning.data.CsvTable;
import org.dure.learning.data.DataException;
import org.dure.learning.data.StudyData;
import org.dure.learning.train.TrainOutcome;
import org.dure.protocol.metrics.Evaluation;
import org.dure.protocol.study.StudySpec;
import org.dure.protocol.study.StudySpecException;
import org.dure.protocol.study.StudySpecParser;
import org.dure.protocol.wire.AgentMessage;
import org.dure.protocol.wire.CoordinatorMessage;
import org.dure.protocol.wire.Frames;
import org.dure.protocol.wire.SecAggWire;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Everything the agent does for studies, on one dedicated training thread (never the event loop):
 * deciding whether it can take part, preparing data, computing statistics, evaluating and training.
 * Replies go out through {@link Outbox}; a reply that cannot be sent because the connection is down is
 * dropped, and the coordinator's protocol recovers (re-offer on reconnect, next round).
 */
public final class StudyWork implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(StudyWork.class);

  /** Where replies go. */
  public interface Outbox {
    boolean send(AgentMessage message);

    boolean sendBinary(byte[] frame);
  }

  private final String siteId;
  private final SiteIdentity identity;
  private final Path csv;
  private final Outbox out;
  private final ReceiptChecker receipts;
  private final java.util.function.Supplier<java.security.PublicKey> coordinatorKey;
  private final ExecutorService worker = Executors.newSingleThreadExecutor(r -> {
    Thread t = new Thread(r, "dure-training");
    t.setDaemon(true);
    return t;
  });
  private final ExecutorService ledgerWorker = Executors.newSingleThreadExecutor(r -> {
    Thread t = new Thread(r, "dure-ledger-receipts");
    t.setDaemon(true);
    return t;
  });
  private final Map<UUID, StudyParticipation> studies = new HashMap<>();
  /** The current secure-aggregation attempt per study (at most one). */
  private final Map<UUID, SecureContribution> secure = new HashMap<>();

  public StudyWork(SiteIdentity identity, Path csv, ReceiptChecker receipts,
                   java.util.function.Supplier<java.security.PublicKey> coordinatorKey, Outbox out) {
    this.receipts = receipts;
    this.coordinatorKey = coordinatorKey;
    this.identity = identity;
    this.siteId = identity.siteId();
    this.csv = csv;
    this.out = out;
  }

  public void handle(CoordinatorMessage m) {
    if (m instanceof CoordinatorMessage.LedgerReceipt r) {
      // Off the training thread: checking a receipt (signatures, proofs, an fsync'ed head file) must not delay a round.
      ledgerWorker.execute(() -> receipts.check(r, coordinatorKey.get()));
      return;
    }
    worker.execute(() -> {
      try {
        dispatch(m);
      } catch (RuntimeException e) {
        log.error("failed to handle {}: {}", m.getClass().getSimpleName(), e.toString(), e);
      }
    });
  }

  public void handle(Frames.ModelFrame f) {
    worker.execute(() -> {
      try {
        round(f);
      } catch (RuntimeException e) {
        log.error("failed on model frame for round {}: {}", f.round(), e.toString(), e);
        out.send(new AgentMessage.RoundFailed(f.studyId().toString(), f.round(), e.getClass().getSimpleName() + ": " + e.getMessage()));
      }
    });
  }

  private void dispatch(CoordinatorMessage m) {
    if (m instanceof CoordinatorMessage.StudyOffer o) offer(o);
    else if (m instanceof CoordinatorMessage.StatisticsRequest r) statistics(r);
    else if (m instanceof CoordinatorMessage.TrainingSetup s) setUp(s);
    else if (m instanceof CoordinatorMessage.StudyEnded e) ended(e);
    else if (m instanceof SecAggWire.Addressed a) secureAggregation(a);
  }

  // ---------------------------------------------------------------------------------------------- secure aggregation

  private void secureAggregation(SecAggWire.Addressed m) {
    UUID id = UUID.fromString(m.studyId());
    if (m instanceof CoordinatorMessage.SecAggStart start) {
      secure.remove(id);
      StudyParticipation p = studies.get(id);
      if (p == null || !p.ready()) {
        out.send(new AgentMessage.RoundFailed(m.studyId(), m.round(), siteId + " is not set up for this study"));
        return;
      }
      SecureContribution c;
      try {
        c = SecureContribution.accept(id, p.spec, p.trainRows(), identity, start);
      } catch (IllegalArgumentException e) {
        log.warn("study {}: sitting out secure round {}: {}", id, m.round(), e.getMessage());
        out.send(new AgentMessage.RoundFailed(m.studyId(), m.round(), "secure round refused by " + siteId + ": " + e.getMessage()));
        return;
      }
      secure.put(id, c);
      out.send(c.keys());
      return;
    }
    SecureContribution c = secure.get(id);
    if (c == null || !c.isFor(m)) {
      log.debug("study {}: ignoring {} for round {} attempt {} (not the current attempt)", id, m.getClass().getSimpleName(),
          m.round(), m.attempt());
      return;
    }
    try {
      if (m instanceof CoordinatorMessage.SecAggPeers peers) {
        out.send(c.shares(peers));
      } else if (m instanceof CoordinatorMessage.SecAggInbox inbox) {
        if (!c.hasInput()) {
          log.warn("study {}: round {}: no trained update to mask; this site drops out of the round", id, m.round());
          secure.remove(id);
          return;
        }
        if (c.clippedElements() > 0) {
          log.warn("study {}: round {}: {} model-change elements exceeded the study's clip and were clipped", id,
              m.round(), c.clippedElements());
        }
        byte[] frame = c.maskedFrame(inbox);
        receipts.sent(m.studyId(), m.round(), c.signature());
        out.sendBinary(frame);
      } else if (m instanceof CoordinatorMessage.SecAggUnmask request) {
        out.send(c.reveal(request));
        secure.remove(id);
      } else if (m instanceof CoordinatorMessage.SecAggAbort abort) {
        log.warn("study {}: secure round {} attempt {} aborted: {}", id, abort.round(), abort.attempt(), abort.reason());
        secure.remove(id);
      }
    } catch (RuntimeException e) {
      log.error("study {}: secure round {} attempt {}: {}", id, m.round(), m.attempt(), e.getMessage());
      secure.remove(id);
      out.send(new AgentMessage.RoundFailed(m.studyId(), m.round(), "secure aggregation refused by " + siteId + ": " + e.getMessage()));
    }
  }

  private void offer(CoordinatorMessage.StudyOffer o) {
    UUID id;
    StudySpec spec;
    try {
      id = UUID.fromString(o.studyId());
      spec = StudySpecParser.parse(o.spec());
    } catch (IllegalArgumentException | StudySpecException e) {
      out.send(new AgentMessage.StudyDeclined(o.studyId(), "the study definition is invalid: " + e.getMessage()));
      return;
    }
    if (spec.privacy().differentialPrivacy().enabled()) {
      // Fail closed until DP-SGD training is wired in: never train a DP study without its noise.
      out.send(new AgentMessage.StudyDeclined(o.studyId(), siteId + " cannot yet train with differential privacy (DP-SGD)"));
      return;
    }
    StudyParticipation existing = studies.get(id);
    if (existing != null && existing.spec.equals(spec)) {
      out.send(accepted(o, existing.usableRows()));
      return;
    }
    try {
      CsvTable table = CsvTable.read(csv);
      List<String> missing = StudyData.missingColumns(table, spec);
      if (!missing.isEmpty()) {
        out.send(new AgentMessage.StudyDeclined(o.studyId(), describeMissing(missing, spec)));
        return;
      }
      StudyData data = StudyData.load(table, spec);
      StudyParticipation p = new StudyParticipation(id, spec, data, siteId);
      studies.put(id, p);
      log.info("study {} ({}): accepted with {} rows", id, spec.name(), p.usableRows());
      out.send(accepted(o, p.usableRows()));
    } catch (DataException e) {
      log.warn("study {}: declining: {}", id, e.getMessage());
      out.send(new AgentMessage.StudyDeclined(o.studyId(), e.getMessage()));
    } catch (IOException e) {
      log.warn("study {}: cannot read {}: {}", id, csv, e.toString());
      out.send(new AgentMessage.StudyDeclined(o.studyId(), "site " + siteId + " cannot read its data: " + e.getMessage()));
    }
  }

  /** The approval, signed over the exact study definition this site was offered. */
  private AgentMessage.StudyAccepted accepted(CoordinatorMessage.StudyOffer o, long rows) {
    byte[] specSha256 = Digests.sha256(o.spec().getBytes(StandardCharsets.UTF_8));
    byte[] signature = identity.sign(Purpose.STUDY_APPROVAL, o.studyId(), 0, specSha256);
    return new AgentMessage.StudyAccepted(o.studyId(), rows, Base64.getEncoder().encodeToString(signature));
  }

  private String describeMissing(List<String> missing, StudySpec spec) {
    List<String> features = spec.features().stream().map(f -> f.name()).toList();
    String file = csv.getFileName().toString();
    if (missing.containsAll(features))
      return "none of the study's feature columns " + features + " are in " + siteId + "'s data (" + file + ")";
    return siteId + "'s data (" + file + ") lacks the columns " + missing;
  }

  private void statistics(CoordinatorMessage.StatisticsRequest r) {
    StudyParticipation p = studies.get(UUID.fromString(r.studyId()));
    if (p != null) out.send(new AgentMessage.Statistics(r.studyId(), p.data.statistics()));
  }

  private void setUp(CoordinatorMessage.TrainingSetup s) {
    StudyParticipation p = studies.get(UUID.fromString(s.studyId()));
    if (p == null) return;
    p.setUp(s.scaling());
    log.info("study {}: ready to train on {} rows", s.studyId(), p.trainRows());
  }

  private void ended(CoordinatorMessage.StudyEnded e) {
    secure.remove(UUID.fromString(e.studyId()));
    StudyParticipation p = studies.remove(UUID.fromString(e.studyId()));
    if (p != null) {
      p.close();
      log.info("study {} ended: {} ({})", e.studyId(), e.status(), e.reason());
    }
  }

  private void round(Frames.ModelFrame f) {
    StudyParticipation p = studies.get(f.studyId());
    if (p == null || !p.ready()) {
      out.send(new AgentMessage.RoundFailed(f.studyId().toString(), f.round(), siteId + " is not set up for this study"));
      return;
    }
    float[] global = f.valuesUnsafe();
    long t0 = System.nanoTime();
    Evaluation eval = p.evaluate(global);
    out.send(new AgentMessage.EvaluationReport(f.studyId().toString(), f.modelVersion(), eval));
    if (f.kind() != Frames.Kind.GLOBAL_TRAIN) return;
    SecureContribution c = null;
    if (p.spec.privacy().secureAggregation().enabled()) {
      c = secure.get(f.studyId());
      if (c == null || !c.isFor(f.round())) {
        // Fail closed: an approved secure study never sends a plain update.
        out.send(new AgentMessage.RoundFailed(f.studyId().toString(), f.round(), siteId + " sends updates for this"
            + " study only through secure aggregation, and no secure round " + f.round() + " was announced"));
        return;
      }
    }
    TrainOutcome o = p.train(global, f.round());
    if (c != null) {
      c.trained(global, o.parameters(), o.meanLoss());
      log.info("study {}: round {} trained on {} rows in {} ms (loss {}); waiting to mask it", f.studyId(), f.round(),
          p.trainRows(), (System.nanoTime() - t0) / 1_000_000, String.format("%.4f", o.meanLoss()));
      return;
    }
    byte[] update = Frames.encode(Frames.Kind.SITE_UPDATE, f.studyId(), f.round(), f.modelVersion(),
        o.examplesSeen() > 0 ? p.trainRows() : 0, (float) o.meanLoss(), o.parameters());
    byte[] signature = identity.sign(Purpose.CONTRIBUTION, f.studyId().toString(), f.round(), Frames.signedDigest(update));
    receipts.sent(f.studyId().toString(), f.round(), signature);
    out.sendBinary(Frames.withSignature(update, signature));
    log.info("study {}: round {} trained on {} rows in {} ms (loss {})", f.studyId(), f.round(), p.trainRows(),
        (System.nanoTime() - t0) / 1_000_000, String.format("%.4f", o.meanLoss()));
  }

  @Override public void close() {
    if (worker.isShutdown()) return; // closing twice is harmless
    ledgerWorker.shutdown();
    worker.execute(() -> {
      studies.values().forEach(StudyParticipation::close);
      studies.clear();
    });
    worker.shutdown();
    try {
      worker.awaitTermination(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
