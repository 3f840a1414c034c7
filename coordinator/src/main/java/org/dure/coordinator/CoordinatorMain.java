package org.dure.coordinator;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import picocli.CommandLine;

/** {@code dure coordinator}: runs a coordinator until interrupted. */
@Command(name = "coordinator", mixinStandardHelpOptions = true, version = Coordinator.VERSION,
    description = "Run the Dure coordinator: the HTTPS API and the site agents' mutual-TLS WebSocket channel.",
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {"0:stopped (interrupted)", "1:could not start (the reason is printed: a port in use, an incomplete --pki, a"
        + " state file or ledger line that cannot be read, ...)", "2:invalid options"})
public final class CoordinatorMain implements Callable<Integer> {
  @Spec CommandSpec spec;
  @Option(names = "--host", description = "Address the API and agent listeners bind to, e.g. 0.0.0.0 (default: ${DEFAULT-VALUE}). "
      + "The embedded Hazelcast member does not follow it: see --cluster-host.", defaultValue = "127.0.0.1")
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
  @Option(names = "--cluster-name", description = "Hazelcast cluster name of a configured cluster (with --member, "
      + "not supported yet). A single coordinator uses a random secret name (default: ${DEFAULT-VALUE}).", defaultValue = "dure")
  String clusterName;
  @Option(names = "--cluster-host", description = "Loopback address the embedded Hazelcast member binds to, independent of "
      + "--host (default: ${DEFAULT-VALUE}). It speaks only the member protocol (no Hazelcast clients).", defaultValue = "127.0.0.1")
  String clusterHost;
  @Option(names = "--hazelcast-port", description = "Hazelcast member port on --cluster-host; 0 picks a free one (default: ${DEFAULT-VALUE}).", defaultValue = "0")
  int hazelcastPort;
  @Option(names = "--member", description = "Another coordinator's Hazelcast host:port (repeatable). Refused for now: "
      + "clustering needs an authenticated, encrypted member transport (issue 17).")
  List<String> members = new ArrayList<>();
  @Option(names = "--api-header-timeout", description = "Seconds an API connection has to send a complete request head "
      + "(default: ${DEFAULT-VALUE}).", defaultValue = "10")
  int apiHeaderSeconds;
  @Option(names = "--api-idle-timeout", description = "Seconds without traffic after which an API connection is closed "
      + "(default: ${DEFAULT-VALUE}).", defaultValue = "120")
  int apiIdleSeconds;
  @Option(names = "--api-connections-per-client", description = "Simultaneous API connections from one IP address "
      + "(default: ${DEFAULT-VALUE}); raise it when many users share one proxy or NAT address.", defaultValue = "64")
  int apiConnectionsPerClient;
  @Option(names = "--metrics-port", description = "Also serve Prometheus metrics (GET /metrics, with /health and /ready) "
      + "over plain HTTP on this port of --metrics-host, without a token; 0 picks a free one. Off by default: "
      + "GET /api/metrics on the API port serves them to administrators and auditors.")
  Integer metricsPort;
  @Option(names = "--metrics-host", description = "Address the --metrics-port listener binds to (default: ${DEFAULT-VALUE}); "
      + "anything but loopback exposes the metrics unauthenticated to that network.", defaultValue = "127.0.0.1")
  String metricsHost;
  @Option(names = "--port-file", description = "Once listening, write {\"api\": port, \"agents\": port} to this file (for scripts).")
  Path portFile;

  /** The configuration these options describe; refuses clustering and a non-loopback Hazelcast address. */
  CoordinatorConfig config() {
    if (!members.isEmpty()) throw new ParameterException(spec.commandLine(), CoordinatorConfig.CLUSTERING_UNSUPPORTED);
    try {
      if (!java.net.InetAddress.getByName(clusterHost).isLoopbackAddress())
        throw new ParameterException(spec.commandLine(), "--cluster-host must be a loopback address (e.g. 127.0.0.1), not "
            + clusterHost + ": Hazelcast member traffic is unauthenticated and unencrypted (clustering: issue 17)");
    } catch (java.net.UnknownHostException e) {
      throw new ParameterException(spec.commandLine(), "--cluster-host " + clusterHost + " does not resolve");
    }
    try {
      return new CoordinatorConfig(host, apiPort, agentPort, dataDir, pki, clusterName, clusterHost, hazelcastPort, members,
          NetworkLimits.DEFAULTS.withApi(apiHeaderSeconds, apiIdleSeconds, apiConnectionsPerClient),
          metricsPort == null ? null : new CoordinatorConfig.MetricsListener(metricsHost, metricsPort));
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), e.getMessage());
    }
  }

  @Override public Integer call() throws Exception {
    Coordinator c;
    try {
      c = Coordinator.start(config()).toCompletionStage().toCompletableFuture().get();
    } catch (java.util.concurrent.ExecutionException e) {
      Throwable cause = e.getCause() == null ? e : e.getCause();
      org.slf4j.LoggerFactory.getLogger(CoordinatorMain.class).debug("start failed", cause);
      spec.commandLine().getErr().println("dure coordinator: cannot start: " + (cause.getMessage() == null
          ? cause.getClass().getSimpleName() : cause.getMessage()));
      return 1;
    }
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      c.close();
      stopped.countDown();
    }, "dure-coordinator-shutdown"));
    if (portFile != null) {
      Path tmp = Files.createTempFile(portFile.toAbsolutePath().getParent(), ".port", ".tmp");
      Files.writeString(tmp, "{\"api\": " + c.apiPort() + ", \"agents\": " + c.agentPort()
          + (c.metricsPort() > 0 ? ", \"metrics\": " + c.metricsPort() : "") + "}\n");
      Files.move(tmp, portFile, java.nio.file.StandardCopyOption.ATOMIC_MOVE, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }
    stopped.await();
    return 0;
  }

  public static void main(String[] args) {
    System.exit(new CommandLine(new CoordinatorMain()).execute(args));
  }
}
