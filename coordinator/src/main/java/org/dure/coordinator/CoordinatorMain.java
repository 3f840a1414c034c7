package org.dure.coordinator;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine;

/** {@code dure coordinator}: runs a coordinator until interrupted. */
@Command(name = "coordinator", mixinStandardHelpOptions = true, version = Coordinator.VERSION,
    description = "Run the Dure coordinator: the HTTPS API and the site agents' mutual-TLS WebSocket channel.")
public final class CoordinatorMain implements Callable<Integer> {
  @Option(names = "--host", description = "Address to bind (default: ${DEFAULT-VALUE}).", defaultValue = "127.0.0.1")
  String host;
  @Option(names = "--api-port", description = "HTTPS API port; 0 picks a free one (default: ${DEFAULT-VALUE}).", defaultValue = "8470")
  int apiPort;
  @Option(names = "--agent-port", description = "Mutual-TLS agent port; 0 picks a free one (default: ${DEFAULT-VALUE}).", defaultValue = "8471")
  int agentPort;
  @Option(names = "--pki", description = "The coordinator's security directory from `dure admin init` (default: ${DEFAULT-VALUE}).",
      defaultValue = "consortium/coordinator")
  Path pki;
  @Option(names = "--data-dir", description = "State, checkpoints and models (default: ${DEFAULT-VALUE}).", defaultValue = "dure-data")
  Path dataDir;
  @Option(names = "--cluster-name", description = "Hazelcast cluster name (default: ${DEFAULT-VALUE}).", defaultValue = "dure")
  String clusterName;
  @Option(names = "--hazelcast-port", description = "Hazelcast member port; 0 picks a free one (default: ${DEFAULT-VALUE}).", defaultValue = "0")
  int hazelcastPort;
  @Option(names = "--member", description = "Another coordinator's Hazelcast host:port (repeatable).")
  List<String> members = new ArrayList<>();
  @Option(names = "--port-file", description = "Once listening, write {\"api\": port, \"agents\": port} to this file (for scripts).")
  Path portFile;

  @Override public Integer call() throws Exception {
    Coordinator c = Coordinator.start(new CoordinatorConfig(host, apiPort, agentPort, dataDir, pki, clusterName, hazelcastPort, members))
        .toCompletionStage().toCompletableFuture().get();
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      c.close();
      stopped.countDown();
    }, "dure-coordinator-shutdown"));
    if (portFile != null) {
      Path tmp = Files.createTempFile(portFile.toAbsolutePath().getParent(), ".port", ".tmp");
      Files.writeString(tmp, "{\"api\": " + c.apiPort() + ", \"agents\": " + c.agentPort() + "}\n");
      Files.move(tmp, portFile, java.nio.file.StandardCopyOption.ATOMIC_MOVE, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }
    stopped.await();
    return 0;
  }

  public static void main(String[] args) {
    System.exit(new CommandLine(new CoordinatorMain()).execute(args));
  }
}
