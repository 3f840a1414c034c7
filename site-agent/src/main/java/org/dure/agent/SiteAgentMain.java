package org.dure.agent;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.dure.agent.identity.SiteIdentity;
import org.dure.protocol.wire.SiteIds;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine;

/**
 * {@code dure agent --config FILE}: runs a site agent until interrupted; {@code dure agent enrol} and
 * {@code dure agent install-cert} enrol the site in the consortium.
 */
@Command(name = "agent", mixinStandardHelpOptions = true, version = SiteAgent.VERSION,
    description = "Run a hospital's site agent: connects out to the coordinator over mutual TLS, trains on local data, sends only signed model updates and aggregate metrics.",
    subcommands = {SiteAgentMain.Enrol.class, SiteAgentMain.InstallCert.class,
        org.dure.agent.data.PseudonymiseCommand.class,
        org.dure.agent.outbound.OutboundCommand.class, org.dure.agent.doctor.DoctorCommand.class,
        org.dure.agent.policy.StudyCommands.Studies.class, org.dure.agent.policy.StudyCommands.Approve.class,
        org.dure.agent.policy.StudyCommands.Refuse.class, org.dure.agent.policy.StudyCommands.Withdraw.class})
public final class SiteAgentMain implements Callable<Integer> {
  @Option(names = {"-c", "--config"}, description = "Agent configuration file (JSON).")
  Path config;
  @Spec CommandLine.Model.CommandSpec spec;

  @Override public Integer call() throws Exception {
    if (config == null) throw new CommandLine.ParameterException(spec.commandLine(), "Missing required option: '--config=<config>'");
    SiteAgent agent;
    try {
      agent = SiteAgent.start(AgentConfig.load(config));
    } catch (IOException | RuntimeException e) {
      spec.commandLine().getErr().println("dure agent: " + AgentCli.message(e));
      spec.commandLine().getErr().flush();
      AgentCli.debug("dure agent", e);
      return 2;
    }
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      agent.close();
      stopped.countDown();
    }, "dure-agent-shutdown"));
    stopped.await();
    return 0;
  }

  @Command(name = "enrol", mixinStandardHelpOptions = true,
      description = "Make this site's key pair (it never leaves the hospital) and a certification request for the consortium administrator.")
  static final class Enrol implements Callable<Integer> {
    @Option(names = "--site-id", required = true, description = "This hospital's site id in the consortium.")
    String siteId;
    @Option(names = "--dir", description = "The site's TLS directory (default: ${DEFAULT-VALUE}).", defaultValue = "pki")
    Path dir;
    @Option(names = "--renew", description = "Make a new key and request to renew the certificate; the current one keeps working until the new one is installed.")
    boolean renew;
    @Spec CommandLine.Model.CommandSpec spec;

    /** Exit 0 written, 2 a usage or file problem (one sentence on standard error). */
    @Override public Integer call() {
      if (!SiteIds.valid(siteId)) throw new CommandLine.ParameterException(spec.commandLine(), "--site-id '" + siteId + "': " + SiteIds.RULE);
      Path csr;
      try {
        csr = SiteIdentity.request(dir, siteId, renew);
      } catch (IOException | RuntimeException e) {
        return failed(spec, e);
      }
      var out = spec.commandLine().getOut();
      out.printf("Wrote a new private key (owner-only) and the certification request %s%n", csr);
      out.printf("Send %s to the consortium administrator (`dure admin enrol-site --csr ...`), then install what comes back:%n", csr);
      out.printf("  dure agent install-cert --site-id %s --dir %s --cert site-cert.pem --ca ca-cert.pem%n", siteId, dir);
      return 0;
    }
  }

  @Command(name = "install-cert", mixinStandardHelpOptions = true,
      description = "Install the certificate the administrator signed, after checking it is for this site, this key and the consortium CA.")
  static final class InstallCert implements Callable<Integer> {
    @Option(names = "--site-id", required = true, description = "This hospital's site id.")
    String siteId;
    @Option(names = "--dir", description = "The site's TLS directory (default: ${DEFAULT-VALUE}).", defaultValue = "pki")
    Path dir;
    @Option(names = "--cert", required = true, description = "The signed site certificate (PEM).")
    Path cert;
    @Option(names = "--ca", required = true, description = "The consortium CA certificate (PEM).")
    Path ca;
    @Spec CommandLine.Model.CommandSpec spec;

    /** Exit 0 installed, 2 the files do not fit (for another site, key or CA) or cannot be read. */
    @Override public Integer call() {
      java.security.cert.X509Certificate c;
      try {
        c = SiteIdentity.install(dir, siteId, Files.readString(cert), Files.readString(ca));
      } catch (java.nio.file.NoSuchFileException e) {
        return failed(spec, new IOException("cannot read " + e.getFile() + ": no such file"));
      } catch (IOException | RuntimeException e) {
        return failed(spec, e);
      }
      spec.commandLine().getOut().printf("Installed the certificate for %s (serial %s, valid until %s) in %s%n", siteId,
          c.getSerialNumber().toString(16), c.getNotAfter().toInstant(), dir);
      return 0;
    }
  }

  /** One sentence on standard error for a failed {@code dure agent <command>}; exit 2. */
  static int failed(CommandLine.Model.CommandSpec spec, Exception e) {
    spec.commandLine().getErr().println("dure agent " + spec.name() + ": " + AgentCli.message(e));
    spec.commandLine().getErr().flush();
    AgentCli.debug("dure agent " + spec.name(), e);
    return 2;
  }

  public static void main(String[] args) {
    // Run standalone (java -jar dure-agent.jar), log as the launcher does unless told otherwise.
    if (System.getProperty("logback.configurationFile") == null) System.setProperty("logback.configurationFile", "dure-agent-logback.xml");
    System.exit(new CommandLine(new SiteAgentMain()).execute(args));
  }
}
