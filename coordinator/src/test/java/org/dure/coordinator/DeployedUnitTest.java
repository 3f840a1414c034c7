package org.dure.coordinator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * Issue 13, finding 4: the shipped systemd unit did not start as written ({@code --host 0.0.0.0} also moved the
 * Hazelcast member, which then found no interface). The unit's ExecStart is parsed here: its JVM flags are run by
 * a real JVM, its coordinator arguments go through the real picocli command, and a coordinator starts with them
 * (ports and paths swapped for temporary ones) with its Hazelcast member still on loopback.
 */
class DeployedUnitTest {
  static final Path UNIT = Path.of("..", "deploy", "coordinator", "dure-coordinator.service");
  @TempDir Path dir;

  record ExecStart(List<String> jvm, String classpath, String mainClass, List<String> args) {}

  static String directive(String name) throws IOException {
    return Files.readAllLines(UNIT).stream().filter(l -> l.startsWith(name + "=")).map(l -> l.substring(name.length() + 1))
        .findFirst().orElseThrow(() -> new AssertionError(UNIT + " has no " + name));
  }

  static ExecStart execStart() throws IOException {
    List<String> words = Arrays.asList(directive("ExecStart").trim().split("\\s+"));
    assertEquals("/usr/bin/java", words.get(0));
    int cp = words.indexOf("-cp");
    assertTrue(cp > 0, "ExecStart names a classpath: " + words);
    assertEquals("coordinator", words.get(cp + 3), "DureCommand's coordinator subcommand: " + words);
    return new ExecStart(words.subList(1, cp), words.get(cp + 1), words.get(cp + 2), words.subList(cp + 4, words.size()));
  }

  /** The unit's coordinator arguments with ports and paths replaced. */
  static List<String> swapped(List<String> args, Path pki, Path data) {
    List<String> out = new ArrayList<>(args);
    for (int i = 0; i + 1 < out.size(); i++) {
      switch (out.get(i)) {
        case "--api-port", "--agent-port" -> out.set(i + 1, "0");
        case "--pki" -> out.set(i + 1, pki.toString());
        case "--data-dir" -> out.set(i + 1, data.toString());
        default -> { }
      }
    }
    return out;
  }

  @Test void theUnitsJvmFlagsAreAcceptedByARealJvm() throws Exception {
    ExecStart e = execStart();
    String java = ProcessHandle.current().info().command().orElse("java");
    List<String> cmd = new ArrayList<>(List.of(java));
    cmd.addAll(e.jvm());
    cmd.add("-version");
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    assertTrue(p.waitFor(60, TimeUnit.SECONDS));
    assertEquals(0, p.exitValue(), cmd + "\n" + out);
    assertTrue(!out.contains("WARNING") && !out.contains("Unrecognized"), out);
  }

  @Test void theUnitsMainClassRunsTheCoordinatorCommandFromTheInstalledLibDirectory() throws Exception {
    ExecStart e = execStart();
    assertEquals("/opt/dure/lib/*", e.classpath());
    assertEquals("org.dure.launcher.DureCommand", e.mainClass());
    String dure = Files.readString(Path.of("..", "launcher", "src", "main", "java", "org", "dure", "launcher", "DureCommand.java"));
    assertTrue(dure.contains("CoordinatorMain.class"), "DureCommand registers the coordinator subcommand");
    List<String> writable = Arrays.asList(directive("ReadWritePaths").trim().split("\\s+"));
    List<String> args = e.args();
    assertTrue(writable.contains(args.get(args.indexOf("--data-dir") + 1)), "the data directory is writable under ProtectSystem=strict");
    assertTrue(writable.contains(args.get(args.indexOf("--pki") + 1)), "credentials.json in the PKI directory is writable");
    assertEquals("0077", directive("UMask"));
  }

  @Test void theUnitsArgumentsWithHost0000StartACoordinatorWhoseHazelcastMemberStaysOnLoopback() throws Exception {
    List<String> unitArgs = execStart().args();
    assertTrue(String.join(" ", unitArgs).contains("--host 0.0.0.0"), unitArgs.toString());
    CoordinatorConfig[] parsed = new CoordinatorConfig[1];
    try (SecuredCoordinator c = new SecuredCoordinator(dir, loopback -> {
      CoordinatorMain main = new CoordinatorMain();
      new CommandLine(main).parseArgs(swapped(unitArgs, loopback.pkiDir(), loopback.dataDir()).toArray(String[]::new));
      return parsed[0] = main.config();
    })) {
      assertEquals("0.0.0.0", parsed[0].host());
      assertEquals(CoordinatorConfig.LOOPBACK, parsed[0].clusterHost());
      assertEquals(200, c.send(null, "GET", "/health", null).status());
      InetSocketAddress member = c.coordinator.hazelcastMemberAddress();
      assertTrue(member.getAddress().isLoopbackAddress(), member.toString());
      Optional<InetAddress> external = NetworkInterface.networkInterfaces().flatMap(NetworkInterface::inetAddresses)
          .filter(a -> !a.isLoopbackAddress() && !a.isLinkLocalAddress() && a instanceof java.net.Inet4Address).findFirst();
      if (external.isPresent()) {
        try (Socket s = new Socket()) {
          assertThrows(IOException.class, () -> s.connect(new InetSocketAddress(external.get(), member.getPort()), 2000),
              "the member port must not be reachable on " + external.get());
        }
      }
    }
  }

  @Test void clusteringIsRefusedWithAnActionableMessage() {
    CoordinatorMain main = new CoordinatorMain();
    new CommandLine(main).parseArgs("--member", "10.0.0.2:5701");
    CommandLine.ParameterException e = assertThrows(CommandLine.ParameterException.class, main::config);
    assertTrue(e.getMessage().contains("authenticated, encrypted member transport") && e.getMessage().contains("issue 17"), e.getMessage());

    ExecutionException started = assertThrows(ExecutionException.class, () -> Coordinator.start(new CoordinatorConfig("127.0.0.1", 0, 0,
        dir.resolve("data"), dir.resolve("pki"), "dure", 0, List.of("10.0.0.2:5701"))).toCompletionStage().toCompletableFuture().get());
    assertTrue(started.getCause().getMessage().contains("issue 17"), started.toString());
  }

  @Test void aNonLoopbackHazelcastAddressIsRefused() {
    CoordinatorMain main = new CoordinatorMain();
    new CommandLine(main).parseArgs("--cluster-host", "0.0.0.0");
    CommandLine.ParameterException e = assertThrows(CommandLine.ParameterException.class, main::config);
    assertTrue(e.getMessage().contains("loopback"), e.getMessage());
  }
}
