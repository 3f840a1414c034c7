package org.dure.agent.study;

import java.io.IOException;
import java.util.UUID;
import org.dure.agent.chain.PrivacyChain;
import org.dure.agent.identity.SiteIdentity;
import org.dure.agent.ledger.ReceiptChecker;
import org.dure.protocol.wire.AgentMessage;
import org.dure.protocol.wire.CoordinatorMessage;
import org.dure.protocol.wire.SecAggWire;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This site's side of secure-aggregation rounds: it checks each announced attempt against the approved study and
 * its policy, runs the attempt's stages through its {@link SecureContribution}, and reveals nothing before the
 * masked input is provably in the coordinator's ledger.
 */
final class SecureRounds {
  private static final Logger log = LoggerFactory.getLogger(SecureRounds.class);
  private final StudyContext ctx;
  private final String siteId;
  private final SiteIdentity identity;
  private final PrivacyChain out;
  private final ContributionJournal journal;
  private final ReceiptChecker receipts;
  private final java.util.Map<UUID, StudyParticipation> studies;
  private final java.util.Map<UUID, SecureContribution> secure;

  SecureRounds(StudyContext c) {
    this.ctx = c;
    this.siteId = c.siteId;
    this.identity = c.identity;
    this.out = c.out;
    this.journal = c.journal;
    this.receipts = c.receipts;
    this.studies = c.studies;
    this.secure = c.secure;
  }

  void secureAggregation(SecAggWire.Addressed m) {
    UUID id = UUID.fromString(m.studyId());
    if (m instanceof CoordinatorMessage.SecAggStart start) {
      secure.remove(id);
      StudyParticipation p = studies.get(id);
      if (p == null || !p.ready()) {
        out.send(new AgentMessage.RoundFailed(m.studyId(), m.round(), siteId + " is not set up for this study"));
        return;
      }
      String refusal = journal.refusalForRound(m.studyId(), m.round(), start.roster()).orElse(null);
      if (refusal == null) refusal = out.rosterRefusal(start.roster().size());
      if (refusal == null) refusal = p.scalingRefusal(start.totalSamples());
      if (refusal != null) {
        log.warn("study {}: sitting out secure round {} attempt {}: {}", id, m.round(), m.attempt(), refusal);
        out.send(new AgentMessage.RoundFailed(m.studyId(), m.round(), "secure round refused by " + siteId + ": " + refusal));
        return;
      }
      String overBudget = out.budgetRefusal(p.terms()); // a retried attempt trains again, with fresh noise, and spends again
      if (overBudget != null) {
        log.warn("study {}: sitting out secure round {}: {}", id, m.round(), overBudget);
        out.send(new AgentMessage.RoundFailed(m.studyId(), m.round(), overBudget));
        return;
      }
      SecureContribution c;
      try {
        String announced = out.secureRoundRefusal(p.terms(), p.trainRows(), start);
        if (announced != null) throw new IllegalArgumentException(announced);
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
        secure.remove(id);
        String tooFew = out.survivorsRefusal(request.survivors().size());
        if (tooFew != null) throw new IllegalArgumentException(tooFew);
        java.util.Optional<String> again = journal.refusalForReveal(m.studyId(), m.round(), request.survivors());
        if (again.isPresent()) throw new IllegalArgumentException(again.get());
        // The masked input must be provably in the participation ledger before this site reveals what unmasks it.
        java.util.Optional<String> missing = receipts.awaitReceipt(m.studyId(), m.round(),
            StudyContext.receiptWait(studies.get(id) == null ? null : studies.get(id).spec));
        if (missing.isPresent()) {
          stopTakingPart(m.studyId(), m.round(), missing.get());
          return;
        }
        AgentMessage.SecAggReveal reveal = c.reveal(request);
        try {
          journal.revealed(m.studyId(), m.round(), c.globalSha256(), request.survivors());
        } catch (IOException e) {
          throw new IllegalStateException("cannot record the reveal in the contribution journal (" + e.getMessage()
              + "); revealing nothing", e);
        }
        out.send(reveal);
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

  /**
   * A contribution without its ledger receipt (finding: a coordinator that used a site's update without recording
   * it): an alarm for the data officer, and this site takes no further part in the study (recorded on disk).
   */
  private void stopTakingPart(String studyId, int round, String why) {
    receipts.missing(studyId, round, why);
    try {
      journal.halt(studyId, "ledger alarm in round " + round + ": " + why);
    } catch (IOException e) {
      log.error("study {}: cannot record the halt in the contribution journal: {}", studyId, e.toString());
    }
    secure.remove(UUID.fromString(studyId));
    log.error("study {}: round {}: {}; this site takes no further part in the study (see {})", studyId, round, why,
        ReceiptChecker.ALARM_FILE);
    out.send(new AgentMessage.RoundFailed(studyId, round, siteId + " stopped taking part in the study: " + why));
  }
}
