package org.dure.agent.data;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.UserPrincipal;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;

/**
 * A throwaway PostgreSQL server for tests: {@code initdb} into a fresh temporary directory, {@code pg_ctl start} on a
 * free ephemeral port bound to 127.0.0.1 (its unix socket in the same directory, password authentication for every
 * connection), and {@link #close()} stops it and deletes everything.
 *
 * <p>The server binaries are looked up in {@code /usr/lib/postgresql/<version>/bin} (Debian's {@code postgresql}
 * package), or in the directory named by the system property {@code dure.postgresBin}. When they are absent the
 * calling test is <em>skipped</em> with a loud reason, unless the system property {@code dure.requirePostgres=true}
 * or the environment variable {@code DURE_REQUIRE_POSTGRES=1} is set (CI sets it), in which case it fails.
 * PostgreSQL refuses to run as root; when the tests do, the server runs as the {@code postgres} user through
 * {@code runuser}.
 */
final class TestPostgres implements AutoCloseable {
  private final Path bin;
  private final Path dir;
  private final Path data;
  private final boolean asPostgresUser;
  private final int port;
  private final String superPassword;
  private Thread shutdownHook;
  private boolean running;

  private TestPostgres(Path bin, Path dir, boolean asPostgresUser, int port, String superPassword) {
    this.bin = bin;
    this.dir = dir;
    this.data = dir.resolve("data");
    this.asPostgresUser = asPostgresUser;
    this.port = port;
    this.superPassword = superPassword;
  }

  /** Starts a server, or skips (or fails, when PostgreSQL is required) the calling test if it cannot. */
  static TestPostgres start() throws IOException, InterruptedException {
    Path bin = findBinaries();
    if (bin == null) {
      String reason = "PostgreSQL server binaries (initdb, pg_ctl) not found in /usr/lib/postgresql/*/bin; "
          + "install them with `apt-get install postgresql` (or set -Ddure.postgresBin=DIR)";
      if (required()) fail(reason + ". This run requires PostgreSQL (dure.requirePostgres / DURE_REQUIRE_POSTGRES).");
      System.err.println("**** SKIPPED: " + reason + " ****");
      Assumptions.abort(reason);
    }
    boolean root = "0".equals(run(List.of("id", "-u")).trim());
    if (root && !Files.isExecutable(Path.of("/usr/sbin/runuser")) && !Files.isExecutable(Path.of("/sbin/runuser")))
      fail("tests run as root, PostgreSQL refuses to, and runuser is not available to run it as user postgres");
    Path dir = Files.createTempDirectory("dure-pg");
    String password = HexFormat.of().formatHex(new SecureRandom().generateSeed(16));
    TestPostgres pg = new TestPostgres(bin, dir, root, freePort(), password);
    try {
      pg.initAndStart();
    } catch (IOException | RuntimeException | InterruptedException | Error e) {
      pg.close();
      throw e;
    }
    return pg;
  }

  static boolean required() {
    return Boolean.getBoolean("dure.requirePostgres") || "1".equals(System.getenv("DURE_REQUIRE_POSTGRES"))
        || "true".equalsIgnoreCase(System.getenv("DURE_REQUIRE_POSTGRES"));
  }

  private static Path findBinaries() throws IOException {
    String configured = System.getProperty("dure.postgresBin");
    if (configured != null) return Files.isExecutable(Path.of(configured, "initdb")) ? Path.of(configured) : null;
    Path root = Path.of("/usr/lib/postgresql");
    if (!Files.isDirectory(root)) return null;
    try (Stream<Path> versions = Files.list(root)) {
      return versions.map(v -> v.resolve("bin"))
          .filter(b -> Files.isExecutable(b.resolve("initdb")) && Files.isExecutable(b.resolve("pg_ctl")))
          .max(Comparator.comparing(b -> version(b.getParent().getFileName().toString())))
          .orElse(null);
    }
  }

  private static Integer version(String name) {
    try {
      return Integer.parseInt(name.replaceAll("\\..*", ""));
    } catch (NumberFormatException e) {
      return 0;
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  private void initAndStart() throws IOException, InterruptedException {
    Path pwfile = dir.resolve("superuser.pass");
    Files.writeString(pwfile, superPassword + "\n");
    if (asPostgresUser) {
      UserPrincipal postgres = dir.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("postgres");
      Files.setOwner(dir, postgres);
      Files.setOwner(pwfile, postgres);
    }
    pg(List.of(bin.resolve("initdb").toString(), "-D", data.toString(), "-U", "postgres", "--pwfile=" + pwfile,
        "--auth=scram-sha-256", "-E", "UTF8", "--locale=C", "--no-sync", "--no-instructions"));
    Files.delete(pwfile);
    Files.writeString(data.resolve("postgresql.conf"), String.join("\n",
        "", "# added by TestPostgres",
        "listen_addresses = '127.0.0.1'",
        "port = " + port,
        "unix_socket_directories = '" + dir + "'",
        "fsync = off", "synchronous_commit = off", "full_page_writes = off",
        "shared_buffers = 16MB", "max_connections = 20", "log_min_messages = warning", ""),
        StandardOpenOption.APPEND);
    shutdownHook = new Thread(this::stopQuietly, "dure-test-postgres-stop");
    Runtime.getRuntime().addShutdownHook(shutdownHook);
    running = true;
    pg(List.of(bin.resolve("pg_ctl").toString(), "-D", data.toString(), "-l", dir.resolve("server.log").toString(),
        "-w", "-t", "60", "start"));
  }

  /** The JDBC URL of {@code database} on this server. */
  String url(String database) {
    return "jdbc:postgresql://127.0.0.1:" + port + "/" + database;
  }

  /** A connection as the superuser {@code postgres}. */
  Connection superuser(String database) throws SQLException {
    return DriverManager.getConnection(url(database), "postgres", superPassword);
  }

  int port() {
    return port;
  }

  /** The superuser's password (random per server). */
  String superPassword() {
    return superPassword;
  }

  @Override public void close() {
    stopQuietly();
    if (shutdownHook != null) {
      try {
        Runtime.getRuntime().removeShutdownHook(shutdownHook);
      } catch (IllegalStateException e) {
        // already shutting down
      }
    }
    try (Stream<Path> all = Files.walk(dir)) {
      all.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      System.err.println("could not delete " + dir + ": " + e);
    }
  }

  private synchronized void stopQuietly() {
    if (!running) return;
    running = false;
    try {
      pg(List.of(bin.resolve("pg_ctl").toString(), "-D", data.toString(), "-m", "fast", "-w", "-t", "30", "stop"));
    } catch (IOException | InterruptedException e) {
      System.err.println("stopping the test PostgreSQL server failed: " + e.getMessage());
    }
  }

  /** Runs a server command (as user postgres when the tests run as root); fails with its output and the server log. */
  private void pg(List<String> command) throws IOException, InterruptedException {
    List<String> full = new ArrayList<>();
    if (asPostgresUser) full.addAll(List.of("runuser", "-u", "postgres", "--"));
    full.addAll(command);
    Path out = Files.createTempFile("dure-pg-cmd", ".log");
    try {
      ProcessBuilder pb = new ProcessBuilder(full).directory(dir.toFile()).redirectErrorStream(true)
          .redirectOutput(out.toFile());
      pb.environment().put("LC_ALL", "C");
      Process p = pb.start();
      if (!p.waitFor(120, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IOException(String.join(" ", full) + " did not finish in 120 s");
      }
      if (p.exitValue() != 0) {
        Path log = dir.resolve("server.log");
        throw new IOException(String.join(" ", full) + " failed with exit code " + p.exitValue() + ":\n"
            + Files.readString(out) + (Files.exists(log) ? "\nserver.log:\n" + Files.readString(log) : ""));
      }
    } finally {
      Files.deleteIfExists(out);
    }
  }

  private static String run(List<String> command) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    p.waitFor();
    return text;
  }
}
