package org.dure.coordinator.api;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vertx.core.Vertx;
import io.vertx.ext.web.RoutingContext;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.dure.coordinator.study.StudyStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code GET /ready}: whether this coordinator can do its work now, distinct from {@code GET /health} (the process
 * answers at all). Ready when every check passes, each answered {@code "ok"} or {@code "failed"}:
 * <ul>
 *   <li>{@code hazelcast}: the embedded member is running and has joined its (one-member) cluster;</li>
 *   <li>{@code ledger}: the participation ledger is open, its writer running, and no write has failed;</li>
 *   <li>{@code storage}: a file can be written, synced and deleted in the data directory;</li>
 *   <li>{@code pki}: the consortium CA is loaded and valid now.</li>
 * </ul>
 * 200 {@code {"status": "ready", "checks": {...}}}, or 503 with {@code "status": "not ready"}. Public like
 * {@code /health} (for load balancers and Kubernetes probes): it names no path, study, site or user; why a check
 * failed goes to the coordinator's log.
 */
public final class Readiness {
  private static final Logger log = LoggerFactory.getLogger(Readiness.class);
  private final Vertx vertx;
  private final BooleanSupplier hazelcast, ledger, pki;
  private final Path dataDir;

  public Readiness(Vertx vertx, BooleanSupplier hazelcast, BooleanSupplier ledger, BooleanSupplier pki, Path dataDir) {
    this.vertx = vertx;
    this.hazelcast = hazelcast;
    this.ledger = ledger;
    this.pki = pki;
    this.dataDir = dataDir;
  }

  void handle(RoutingContext rc) {
    Map<String, Boolean> checks = new LinkedHashMap<>();
    checks.put("hazelcast", safely("hazelcast", hazelcast));
    checks.put("ledger", safely("ledger", ledger));
    checks.put("pki", safely("pki", pki));
    vertx.executeBlocking(() -> storageWritable(dataDir), false).onComplete(ar -> {
      checks.put("storage", ar.succeeded() && ar.result());
      boolean ready = !checks.containsValue(false);
      ObjectNode out = StudyStore.JSON.createObjectNode().put("status", ready ? "ready" : "not ready");
      ObjectNode c = out.putObject("checks");
      checks.forEach((k, ok) -> c.put(k, ok ? "ok" : "failed"));
      if (!ready) log.warn("not ready: {}", checks);
      rc.response().putHeader("Cache-Control", "no-store");
      StudyApi.json(rc, ready ? 200 : 503, out);
    });
  }

  private static boolean safely(String name, BooleanSupplier check) {
    try {
      return check.getAsBoolean();
    } catch (RuntimeException e) {
      log.warn("readiness check {} failed: {}", name, e.toString());
      return false;
    }
  }

  /** Writes, syncs and deletes a small file in {@code dir}. */
  static boolean storageWritable(Path dir) {
    Path probe = dir.resolve(".ready-probe-" + ProcessHandle.current().pid() + "-" + Thread.currentThread().getId());
    try {
      try (FileChannel ch = FileChannel.open(probe, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
          StandardOpenOption.TRUNCATE_EXISTING)) {
        ch.write(ByteBuffer.wrap(new byte[] {'o', 'k', '\n'}));
        ch.force(true);
      }
      return true;
    } catch (Exception e) {
      log.warn("readiness: cannot write in the data directory {}: {}", dir.toAbsolutePath(), e.toString());
      return false;
    } finally {
      try {
        Files.deleteIfExists(probe);
      } catch (Exception e) {
        log.debug("readiness: cannot delete {}: {}", probe, e.toString());
      }
    }
  }
}
