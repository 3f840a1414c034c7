package org.dure.launcher;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real HTTP proxy for tests: Debian's {@code tinyproxy} ({@code apt-get install tinyproxy}), started in the
 * foreground on a free loopback port with a generated configuration (open, refusing CONNECT, or requiring basic
 * authentication), as a hospital's outbound proxy would be. Without the binary the test is skipped with the reason,
 * unless {@code DURE_REQUIRE_PROXY=1} (set by {@code .ci/run}), which makes its absence a failure.
 */
final class TestTinyproxy implements AutoCloseable {
  static final Path BINARY = Path.of("/usr/bin/tinyproxy");

  final int port;
  final Path log;
  private final Process process;

  private TestTinyproxy(int port, Path log, Process process) {
    this.port = port;
    this.log = log;
    this.process = process;
  }

  /** Skips the calling test (or fails it under DURE_REQUIRE_PROXY=1) when tinyproxy is not installed. */
  static void requireInstalled() {
    if (Files.isExecutable(BINARY)) return;
    String why = BINARY + " is not installed (apt-get install tinyproxy)";
    if (required()) fail(why + "; DURE_REQUIRE_PROXY=1 makes its absence a failure");
    assumeTrue(false, why + "; the proxy tests are skipped");
  }

  static boolean required() {
    return "1".equals(System.getenv("DURE_REQUIRE_PROXY")) || Boolean.getBoolean("dure.requireProxy");
  }

  /** An open proxy: CONNECT to any port, no authentication. */
  static TestTinyproxy open(Path dir) throws Exception {
    return start(dir, List.of());
  }

  /** A proxy whose rules allow CONNECT to port 1 only: CONNECT to the coordinator is refused (403). */
  static TestTinyproxy refusingConnect(Path dir) throws Exception {
    return start(dir, List.of("ConnectPort 1"));
  }

  /** A proxy that requires basic authentication (407 without it). */
  static TestTinyproxy requiringAuth(Path dir, String user, String password) throws Exception {
    return start(dir, List.of("BasicAuth " + user + " " + password));
  }

  static TestTinyproxy start(Path dir, List<String> extra) throws Exception {
    requireInstalled();
    Files.createDirectories(dir);
    IOException last = null;
    for (int attempt = 0; attempt < 5; attempt++) {
      int port;
      try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
        port = s.getLocalPort();
      }
      List<String> conf = new ArrayList<>(List.of("Port " + port, "Listen 127.0.0.1", "Timeout 60", "MaxClients 50",
          "LogLevel Info", "DisableViaHeader Yes"));
      conf.addAll(extra);
      Path file = Files.write(dir.resolve("tinyproxy-" + port + ".conf"), conf);
      Path log = dir.resolve("tinyproxy-" + port + ".log");
      Process p = new ProcessBuilder(BINARY.toString(), "-d", "-c", file.toString()).redirectErrorStream(true)
          .redirectOutput(log.toFile()).start();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (System.nanoTime() < deadline && p.isAlive()) {
        try (Socket s = new Socket()) {
          s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 200);
          return new TestTinyproxy(port, log, p);
        } catch (IOException e) {
          last = e;
          Thread.sleep(50);
        }
      }
      p.destroyForcibly();
      last = new IOException("tinyproxy did not listen on port " + port + ": " + (Files.exists(log) ? Files.readString(log) : ""));
    }
    throw last;
  }

  String url() {
    return "http://127.0.0.1:" + port;
  }

  String logText() throws IOException {
    return Files.exists(log) ? Files.readString(log) : "";
  }

  @Override public void close() {
    process.destroy();
    try {
      if (!process.waitFor(5, TimeUnit.SECONDS)) process.destroyForcibly();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      process.destroyForcibly();
    }
  }
}
