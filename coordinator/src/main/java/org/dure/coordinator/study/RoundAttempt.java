package org.dure.coordinator.study;

import java.time.Instant;
import java.util.List;
import org.dure.coordinator.sites.SiteSession;
import org.dure.protocol.wire.AgentMessage;
import org.dure.protocol.wire.Frames;

/**
 * One attempt of a training round, plain or secure: it sends the global model to its participants, takes their
 * contributions, and reports each accepted contribution and its one outcome to its {@link Listener}.
 */
sealed interface RoundAttempt permits PlainRound, SecureRound {
  /** What the study learns from an attempt as it runs; called on the event loop. */
  interface Listener {
    /** The site's contribution ({@code kind}: "plain-update" or "masked-input") is accepted into the aggregate. */
    void contributed(SiteSession site, Frames.Frame contribution, String kind);

    /** The attempt ended; called once, never after {@link #cancel}. */
    void ended(RoundOutcome outcome);
  }

  int round();

  /** The sites the attempt started with. */
  List<String> participants();

  Instant startedAt();

  /** What the attempt's round record says of its secure aggregation while it runs; null for a plain round. */
  RoundRecord.SecureAggregation secureAggregation();

  /** Sends the global model (and, for a secure round, the announcement) to every participant. */
  void start(byte[] globalFrame);

  /** Whether {@code site} is one of the attempt's participants that has not left it. */
  boolean takesPart(String site);

  /** The site disconnected, withdrew or failed its training: it is out of the attempt with {@code reason}. */
  void siteLeft(String site, String reason);

  /** A model frame or masked input from a site. */
  void frame(SiteSession site, Frames.Frame frame);

  /** A secure-aggregation message from a site (a plain round ignores it). */
  void message(SiteSession site, AgentMessage message);

  /** Stops the attempt (the study ended): its sites are told, and its listener hears nothing more. */
  void cancel(String reason);
}
