package org.dure.coordinator.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BooleanSupplier;
import org.dure.coordinator.study.RoundRecord;
import org.dure.coordinator.study.StudyRunner;
import org.dure.coordinator.study.StudyStore;
import org.dure.coordinator.study.StudyView;

/**
 * A study's live progress as server-sent events ({@code text/event-stream}) for the dashboard, which reads the
 * stream with {@code fetch} so that it can send its bearer token (an {@code EventSource} cannot send headers).
 *
 * <p>Every {@value #POLL_MS} ms, on the coordinator's event loop, the study's feed serialises the study runner's view
 * and round records once, and each of the study's streams sends what changed since what its client was last sent:
 * <pre>
 * event: study   data: the study, as GET /api/studies/{id}
 * event: round   data: one round record, as an element of GET /api/studies/{id}/rounds (sent again when it changes)
 * event: end     data: {"status": ...}; the study ended and the stream closes
 *                data: {"reason": ..., "reconnect": true|false}; the stream closes for another reason
 * </pre>
 * The first tick sends the whole state. A comment line every {@value #KEEPALIVE_MS} ms keeps idle proxies from
 * closing the stream; the caller's credential is checked again every {@value #RECHECK_MS} ms and the stream closes
 * once it is revoked. While the client reads slowly (the write queue is full) ticks are skipped, not queued.
 *
 * <p>Limits: one caller may hold {@value #MAX_STREAMS_PER_CALLER} streams at once (more get 429), all callers
 * together {@value #MAX_STREAMS} (more get 503), and a stream lives at most {@value #MAX_LIFETIME_MS} ms, after which
 * it ends with {@code "reconnect": true} so that the client opens a new one.
 */
final class StudyEvents {
  static final long POLL_MS = 500;
  static final long KEEPALIVE_MS = 15_000;
  static final long RECHECK_MS = 5_000;
  /** Open streams allowed at once, over all clients; more get 503. */
  static final int MAX_STREAMS = 256;
  /** Open streams allowed at once to one caller (user name); more get 429. */
  static final int MAX_STREAMS_PER_CALLER = 4;
  /** Longest life of one stream (30 minutes); then it ends and the client reconnects. */
  static final long MAX_LIFETIME_MS = 30 * 60_000;
  static final String LIFETIME_REACHED = "stream lifetime reached; reconnect";

  private final Vertx vertx;
  private final Map<String, Integer> openByCaller = new HashMap<>();
  private final Map<StudyRunner, Feed> feeds = new IdentityHashMap<>();
  private int open;

  StudyEvents(Vertx vertx) {
    this.vertx = vertx;
  }

  /**
   * Streams {@code runner}'s progress to the caller until the study ends, the client goes away, the stream's
   * lifetime is over or {@code stillAllowed} turns false. Runs on the event loop that owns the runner.
   */
  void stream(RoutingContext rc, StudyRunner runner, BooleanSupplier stillAllowed) {
    String caller = Access.caller(rc).name();
    if (openByCaller.getOrDefault(caller, 0) >= MAX_STREAMS_PER_CALLER) {
      throw new ApiError(429, caller + " already has " + MAX_STREAMS_PER_CALLER + " event streams open, the most one"
          + " user may have; close a dashboard tab or poll GET /api/studies/" + runner.id());
    }
    if (open >= MAX_STREAMS) {
      throw new ApiError(503, MAX_STREAMS + " event streams are open; try again later or poll GET /api/studies/"
          + runner.id());
    }
    open++;
    openByCaller.merge(caller, 1, Integer::sum);
    HttpServerResponse res = rc.response();
    res.setChunked(true)
        .putHeader("Content-Type", "text/event-stream; charset=utf-8")
        .putHeader("Cache-Control", "no-store")
        .putHeader("Content-Encoding", "identity") // no compression: a compressor may hold events back
        .putHeader("X-Accel-Buffering", "no");
    Feed feed = feeds.computeIfAbsent(runner, Feed::new);
    Stream s = new Stream(res, feed, caller, stillAllowed);
    feed.streams.add(s);
    res.closeHandler(v -> s.stop());
    res.exceptionHandler(e -> s.stop());
    s.tick(feed.snapshot());
  }

  /** What a study runner shows at one tick, serialised once for all its streams. */
  private record Snapshot(boolean terminal, String statusName, String study, Map<Integer, String> rounds) {}

  /** One study's streams and the timer that ticks them. */
  private final class Feed {
    private final StudyRunner runner;
    private final Set<Stream> streams = new LinkedHashSet<>();
    private final long timer;

    Feed(StudyRunner runner) {
      this.runner = runner;
      this.timer = vertx.setPeriodic(POLL_MS, t -> tick());
    }

    Snapshot snapshot() {
      StudyView view = runner.view();
      Map<Integer, String> rounds = new LinkedHashMap<>();
      for (RoundRecord r : runner.rounds()) rounds.put(r.round(), json(r));
      return new Snapshot(view.status().terminal(), view.status().name(), json(view), rounds);
    }

    void tick() {
      Snapshot now = snapshot();
      for (Stream s : List.copyOf(streams)) s.tick(now);
    }

    void remove(Stream s) {
      streams.remove(s);
      if (streams.isEmpty()) {
        vertx.cancelTimer(timer);
        feeds.remove(runner, this);
      }
    }
  }

  /** One client's stream: what it was last sent. */
  private final class Stream {
    private final HttpServerResponse res;
    private final Feed feed;
    private final String caller;
    private final BooleanSupplier stillAllowed;
    private final Map<Integer, String> roundsSent = new HashMap<>();
    private final long opened = System.nanoTime();
    private String studySent;
    private long lastWrite = opened;
    private long lastCheck = opened;
    private boolean stopped;

    Stream(HttpServerResponse res, Feed feed, String caller, BooleanSupplier stillAllowed) {
      this.res = res;
      this.feed = feed;
      this.caller = caller;
      this.stillAllowed = stillAllowed;
    }

    void tick(Snapshot snap) {
      if (stopped) return;
      long now = System.nanoTime();
      if (now - lastCheck >= RECHECK_MS * 1_000_000) {
        lastCheck = now;
        if (!stillAllowed.getAsBoolean()) {
          finish("credential revoked", false);
          return;
        }
      }
      if (res.writeQueueFull()) {
        if (now - opened >= MAX_LIFETIME_MS * 1_000_000) {
          stop();
          res.reset(); // a client that reads nothing for the whole lifetime is cut off
        }
        return;
      }
      StringBuilder out = new StringBuilder();
      if (!snap.study().equals(studySent)) {
        event(out, "study", snap.study());
        studySent = snap.study();
      }
      snap.rounds().forEach((round, json) -> {
        if (!json.equals(roundsSent.get(round))) {
          event(out, "round", json);
          roundsSent.put(round, json);
        }
      });
      if (snap.terminal()) {
        event(out, "end", json(Map.of("status", snap.statusName())));
        res.write(out.toString());
        stop();
        res.end();
        return;
      }
      if (now - opened >= MAX_LIFETIME_MS * 1_000_000) {
        if (out.length() > 0) res.write(out.toString());
        finish(LIFETIME_REACHED, true);
        return;
      }
      if (out.length() == 0 && now - lastWrite >= KEEPALIVE_MS * 1_000_000) out.append(": keep-alive\n\n");
      if (out.length() > 0) {
        res.write(out.toString());
        lastWrite = now;
      }
    }

    private void finish(String why, boolean reconnect) {
      StringBuilder out = new StringBuilder();
      event(out, "end", json(Map.of("reason", why, "reconnect", reconnect)));
      res.write(out.toString());
      stop();
      res.end();
    }

    void stop() {
      if (stopped) return;
      stopped = true;
      open--;
      openByCaller.computeIfPresent(caller, (k, n) -> n <= 1 ? null : n - 1);
      feed.remove(this);
    }
  }

  /** One event; {@code data} is single-line JSON. */
  private static void event(StringBuilder out, String name, String data) {
    out.append("event: ").append(name).append('\n').append("data: ").append(data).append("\n\n");
  }

  private static String json(Object o) {
    try {
      return StudyStore.JSON.writeValueAsString(o);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot encode " + o.getClass().getSimpleName(), e);
    }
  }
}
