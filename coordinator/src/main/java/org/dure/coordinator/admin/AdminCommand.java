package org.dure.coordinator.admin;

import java.io.Console;
import java.io.IOException;
import java.io.PrintWriter;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import org.dure.coordinator.security.EnrolledSites;
import org.dure.crypto.SecureFiles;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine;

/** {@code dure admin}: the consortium administrator's commands. */
@Command(name = "admin", mixinStandardHelpOptions = true,
    description = "Consortium administration: the CA, the coordinator's certificate, site enrolment and revocation.",
    subcommands = {AdminCommand.Init.class, AdminCommand.EnrolSite.class, AdminCommand.RevokeSite.class,
        AdminCommand.PublishCrl.class, AdminCommand.Sites.class})
public final class AdminCommand implements Runnable {
  @Spec CommandLine.Model.CommandSpec spec;

  @Override public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  /** Where the CA passphrase comes from: a file, the environment, or the console. Never the command line. */
  static final class Passphrase {
    @Option(names = "--passphrase-file", description = "File whose first line is the CA passphrase"
        + " (otherwise DURE_CA_PASSPHRASE, otherwise asked on the console).")
    Path file;

    char[] read(boolean confirm) throws IOException {
      if (file != null) {
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        if (lines.isEmpty() || lines.get(0).isEmpty()) throw new IllegalArgumentException(file + " is empty; put the passphrase on its first line");
        return lines.get(0).toCharArray();
      }
      String env = System.getenv("DURE_CA_PASSPHRASE");
      if (env != null && !env.isEmpty()) return env.toCharArray();
      Console console = System.console();
      if (console == null) {
        throw new IllegalArgumentException("no CA passphrase: pass --passphrase-file FILE or set DURE_CA_PASSPHRASE"
            + " (no console to ask on)");
      }
      char[] p = console.readPassword("CA passphrase: ");
      if (confirm) {
        char[] again = console.readPassword("Repeat the CA passphrase: ");
        if (!Arrays.equals(p, again)) throw new IllegalArgumentException("the passphrases differ; nothing was written");
      }
      return p;
    }
  }

  abstract static class Base implements Callable<Integer> {
    @Option(names = "--dir", description = "The consortium directory (default: ${DEFAULT-VALUE}).", defaultValue = "consortium")
    Path dir;
    @Mixin Passphrase passphrase;
    @Spec CommandLine.Model.CommandSpec spec;

    PrintWriter out() {
      return spec.commandLine().getOut();
    }
  }

  @Command(name = "init", mixinStandardHelpOptions = true,
      description = "Create the consortium: CA (passphrase-protected key), the coordinator's TLS certificate, and the first administrator's API token.")
  static final class Init extends Base {
    @Option(names = "--name", description = "Consortium name, the CA's common name (default: ${DEFAULT-VALUE}).", defaultValue = "Dure consortium")
    String name;
    @Option(names = "--host", description = "Host name or IP the coordinator is reached at (repeatable; default: localhost and 127.0.0.1).")
    List<String> hosts;
    @Option(names = "--admin", description = "The first administrator's user name (default: ${DEFAULT-VALUE}).", defaultValue = "admin")
    String admin;
    @Option(names = "--ca-days", description = "CA validity in days (default: ${DEFAULT-VALUE}).", defaultValue = "3650")
    int caDays;
    @Option(names = "--tls-days", description = "Coordinator certificate validity in days (default: ${DEFAULT-VALUE}).", defaultValue = "397")
    int tlsDays;
    @Option(names = "--token-file", description = "Also write the administrator's token to this owner-only file.")
    Path tokenFile;

    @Override public Integer call() throws IOException {
      List<String> h = hosts == null || hosts.isEmpty() ? List.of("localhost", "127.0.0.1") : hosts;
      ConsortiumAdmin a = new ConsortiumAdmin(dir);
      ConsortiumAdmin.Initialised i = a.init(name, h, admin, passphrase.read(true), Duration.ofDays(caDays), Duration.ofDays(tlsDays));
      if (tokenFile != null) SecureFiles.writeAtomically(tokenFile, i.admin().token() + "\n", true);
      PrintWriter o = out();
      o.printf("Consortium '%s' created in %s%n", name, dir.toAbsolutePath());
      o.printf("  CA                  %s (key encrypted with your passphrase; keep this directory offline and backed up)%n", a.caDir());
      o.printf("  coordinator         %s (TLS certificate for %s; run: dure coordinator --pki %s)%n", a.coordinatorDir(), String.join(", ", h), a.coordinatorDir());
      o.printf("  administrator       %s%n", admin);
      o.printf("%nAPI token for %s (shown once; only its hash is kept):%n%s%n", admin, i.admin().token());
      return 0;
    }
  }

  @Command(name = "enrol-site", mixinStandardHelpOptions = true,
      description = "Sign a site's certification request (made at the site by `dure agent enrol`); renewals use the same command.")
  static final class EnrolSite extends Base {
    @Option(names = "--csr", required = true, description = "The site's certification request (PEM).")
    Path csr;
    @Option(names = "--days", description = "Certificate validity in days (default: ${DEFAULT-VALUE}).", defaultValue = "365")
    int days;

    @Override public Integer call() throws IOException {
      ConsortiumAdmin.Enrolled e = new ConsortiumAdmin(dir).enrolSite(Files.readString(csr), Duration.ofDays(days), passphrase.read(false));
      PrintWriter o = out();
      o.printf("Enrolled site %s%n", e.siteId());
      o.printf("  serial              %s%n", e.certificate().getSerialNumber().toString(16));
      o.printf("  valid until         %s%n", e.certificate().getNotAfter().toInstant());
      o.printf("  key fingerprint     %s (confirm it with the site's data officer)%n", e.keyFingerprint());
      o.printf("Send the site these two files: %s and %s%n", e.certificateFile(), e.caFile());
      return 0;
    }
  }

  @Command(name = "revoke-site", mixinStandardHelpOptions = true,
      description = "Revoke every certificate of a site: publishes a new CRL; a running coordinator drops the site within a second.")
  static final class RevokeSite extends Base {
    @Parameters(index = "0", description = "The site id.")
    String siteId;
    @Option(names = "--reason", description = "Why (recorded in the register).", defaultValue = "revoked by the administrator")
    String reason;

    @Override public Integer call() throws IOException {
      List<BigInteger> serials = new ConsortiumAdmin(dir).revokeSite(siteId, reason, passphrase.read(false));
      out().printf("Revoked site %s: %d certificate(s) %s now on the CRL%n", siteId, serials.size(),
          serials.stream().map(s -> s.toString(16)).toList());
      return 0;
    }
  }

  @Command(name = "crl", mixinStandardHelpOptions = true,
      description = "Publish a fresh CRL (each is current for 7 days: run this at least weekly, e.g. from a timer).")
  static final class PublishCrl extends Base {
    @Override public Integer call() throws IOException {
      out().printf("Published a new CRL; current until %s%n", new ConsortiumAdmin(dir).publishCrl(passphrase.read(false)));
      return 0;
    }
  }

  @Command(name = "sites", mixinStandardHelpOptions = true, description = "List enrolled sites (no passphrase needed).")
  static final class Sites implements Callable<Integer> {
    @Option(names = "--dir", description = "The consortium directory (default: ${DEFAULT-VALUE}).", defaultValue = "consortium")
    Path dir;
    @Spec CommandLine.Model.CommandSpec spec;

    @Override public Integer call() throws IOException {
      PrintWriter o = spec.commandLine().getOut();
      o.printf("%-24s %-8s %-22s %s%n", "site", "status", "enrolled", "certificate serials");
      for (EnrolledSites.Site s : new ConsortiumAdmin(dir).sites().sites()) {
        o.printf("%-24s %-8s %-22s %s%n", s.siteId(), s.active() ? "active" : "revoked", s.enrolledAt(), String.join(",", s.serials()));
      }
      return 0;
    }
  }
}
