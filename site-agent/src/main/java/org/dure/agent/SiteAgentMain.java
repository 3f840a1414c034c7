package org.dure.agent;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code dure agent --config FILE}: runs a site agent until interrupted. */
@Command(name = "agent", mixinStandardHelpOptions = true, version = SiteAgent.VERSION,
    description = "Run a hospital's site agent: connects out to the coordinator, trains on local data, sends only model updates and aggregate metrics.")
public final class SiteAgentMain implements Callable<Integer> {
  @Option(names = {"-c", "--config"}, required = true, description = "Agent configuration file (JSON).")
  Path config;

  @Override public Integer call() throws Exception {
    AgentConfig cfg;
    try {
      cfg = AgentConfig.load(config);
    } catch (java.io.IOException e) {
      System.err.println("dure agent: " + e.getMessage());
      return 2;
    }
    SiteAgent agent = SiteAgent.start(cfg);
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      agent.close();
      stopped.countDown();
    }, "dure-agent-shutdown"));
    stopped.await();
    return 0;
  }

  public static void main(String[] args) {
    System.exit(new CommandLine(new SiteAgentMain()).execute(args));
  }
}
