package org.dure.coordinator.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;
import java.util.HashMap;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.dure.coordinator.study.RoundRecord;
import org.dure.coordinator.study.StudyRunner;
import org.dure.coordinator.study.StudyStore;
import org.dure.coordinator.study.StudyView;

/**
 * A study's live progress as server-sent events ({@code text/event-stream}) for the dashboard, which reads the
 * stream with {@code fetch} so that it can send its bearer token (an {@code EventSource} cannot send headers).
 *
 * <p>Every {@value #POLL_MS} ms, on the coordinator's event loop, the stream compares the study runner's view and
 * round records with what this client was last sent and sends what changed:
 * <pre>
 * event: study   data: the study, as GET /api/studies/{id}
 * event: round   data: one round record, as an element of GET /api/studies/{id}/rounds (sent again when it changes)
 * event: end     data: {"status": ...}; the study ended and the stream closes
 * </pre>
 * The first tick sends the whole state. A comment line every {@value #KEEPALIVE_MS} ms keeps idle proxies from
 * closing the stream; the caller's credential is checked again every {@value #RECHECK_MS} ms and the stream closes
 * once it is revoked. While the client reads slowly (the write queue is full) ticks are skipped, not queued.
 */
final class StudyEvents {
  static final long POLL_MS = 500;
  static final long KEEPALIVE_MS = 15_000;
  static final long RECHECK_MS = 5_000;
  /** Open streams allowed at once, over all clients; more get 503. */
  static final int MAX_STREAMS = 256;

  private final Vertx vertx;
  private int open;

  StudyEvents(Vertx vertx) {
    this.vertx = vertx;
  }

  /**
   * Streams {@code runner}'s progress to the caller until the study ends, the client goes away or
   * {@code stillAllowed} turns false. Runs on the event loop that owns the runner.
   */
  void stream(RoutingContext rc, StudyRunner runner, BooleanSupplier stillAllowed) {
    if (open >= MAX_STREAMS) {
      throw new ApiError(503, MAX_STREAMS + " event streams are open; try again later or poll GET /api/studies/"
          + runner.id());
    }
    open++;
    HttpServerResponse res = rc.response();
    res.setChunked(true)
        .putHeader("Content-Type", "text/event-stream; charset=utf-8")
        .putHeader("Cache-Control", "no-store")
        .putHeader("Content-Encoding", "identity") // no compression: a compressor may hold events back
        .putHeader("X-Accel-Buffering", "no");
    Stream s = new Stream(res, runner, stillAllowed);
    res.closeHandler(v -> s.stop());
    res.exceptionHandler(e -> s.stop());
    s.timer = vertx.setPeriodic(POLL_MS, t -> s.tick());
    s.tick();
  }

  /** One client's stream: what it was last sent. */
  private final class Stream {
    private final HttpServerResponse res;
    private final StudyRunner runner;
    private final BooleanSupplier stillAllowed;
    private final Map<Integer, String> roundsSent = new HashMap<>();
    private String studySent;
    private long lastWrite = System.nanoTime();
    private long lastCheck = System.nanoTime();
    private boolean stopped;
    long timer = -1;

    Stream(HttpServerResponse res, StudyRunner runner, BooleanSupplier stillAllowed) {
      this.res = res;
      this.runner = runner;
      this.stillAllowed = stillAllowed;
    }

    void tick() {
      if (stopped) return;
      long now = System.nanoTime();
      if (now - lastCheck >= RECHECK_MS * 1_000_000) {
        lastCheck = now;
        if (!stillAllowed.getAsBoolean()) {
          finish("credential revoked");
          return;
        }
      }
      if (res.writeQueueFull()) return;
      StringBuilder out = new StringBuilder();
      StudyView view = runner.view();
      String study = json(view);
      if (!study.equals(studySent)) {
        event(out, "study", study);
        studySent = study;
      }
      for (RoundRecord r : runner.rounds()) {
        String round = json(r);
        if (!round.equals(roundsSent.get(r.round()))) {
          event(out, "round", round);
          roundsSent.put(r.round(), round);
        }
      }
      if (view.status().terminal()) {
        event(out, "end", json(Map.of("status", view.status().name())));
        res.write(out.toString());
        stop();
        res.end();
        return;
      }
      if (out.length() == 0 && now - lastWrite >= KEEPALIVE_MS * 1_000_000) out.append(": keep-alive\n\n");
      if (out.length() > 0) {
        res.write(out.toString());
        lastWrite = now;
      }
    }

    private void finish(String why) {
      StringBuilder out = new StringBuilder();
      event(out, "end", json(Map.of("reason", why)));
      res.write(out.toString());
      stop();
      res.end();
    }

    void stop() {
      if (stopped) return;
      stopped = true;
      open--;
      vertx.cancelTimer(timer);
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
