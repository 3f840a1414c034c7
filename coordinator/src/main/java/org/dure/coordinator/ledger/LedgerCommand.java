package org.dure.coordinator.ledger;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PublicKey;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.dure.crypto.pki.SiteKeys;
import org.dure.ledger.EntryFilter;
import org.dure.ledger.EventType;
import org.dure.ledger.LedgerEntry;
import org.dure.ledger.LogVerifier;
import org.dure.ledger.TransparencyLog;
import org.dure.ledger.VerificationReport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine;

/**
 * {@code dure ledger}: offline access to a coordinator's participation ledger ({@code <data-dir>/ledger}) for
 * administrators and auditors — verify it, list entries, export participation reports. Reads the files only; it
 * never writes, so it is safe next to a running coordinator.
 */
@Command(name = "ledger", mixinStandardHelpOptions = true,
    description = "Verify and read the participation ledger (offline, read-only).",
    subcommands = {LedgerCommand.Verify.class, LedgerCommand.Entries.class, LedgerCommand.Report.class})
public final class LedgerCommand implements Runnable {
  @Spec CommandLine.Model.CommandSpec spec;

  @Override public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  static final class Location {
    @Option(names = "--data-dir", defaultValue = "dure-data", description = "The coordinator's data directory (default: ${DEFAULT-VALUE}); the ledger is in its ledger/ folder.")
    Path dataDir;

    Path dir() throws IOException {
      Path d = dataDir.resolve("ledger");
      if (!Files.isRegularFile(d.resolve(TransparencyLog.ENTRIES_FILE))) {
        throw new IOException("no ledger at " + d.toAbsolutePath() + " (expected " + TransparencyLog.ENTRIES_FILE
            + "); pass the coordinator's --data-dir");
      }
      return d;
    }

    List<LedgerEntry> read(EntryFilter filter) throws IOException {
      List<LedgerEntry> out = new ArrayList<>();
      List<String> lines = Files.readAllLines(dir().resolve(TransparencyLog.ENTRIES_FILE), StandardCharsets.UTF_8);
      for (int i = 0; i < lines.size(); i++) {
        String line = lines.get(i);
        if (line.isEmpty()) continue;
        LedgerEntry e;
        try {
          e = LedgerEntry.parse(line);
        } catch (RuntimeException ex) {
          throw new IOException("line " + (i + 1) + " of the ledger does not parse (" + ex.getMessage()
              + "); run `dure ledger verify` to locate tampering");
        }
        if (filter.matches(e)) out.add(e);
      }
      return out;
    }
  }

  static final class Filters {
    @Option(names = "--study", description = "Only this study id.") String study;
    @Option(names = "--site", description = "Only this site id.") String site;
    @Option(names = "--type", description = "Only this event type (${COMPLETION-CANDIDATES}).") EventType type;
    @Option(names = "--from", description = "Entries at or after this ISO-8601 instant.") Instant from;
    @Option(names = "--to", description = "Entries before this ISO-8601 instant.") Instant to;

    EntryFilter filter() {
      return new EntryFilter(study, site, type, from, to);
    }
  }

  @Command(name = "verify", mixinStandardHelpOptions = true,
      description = "Recompute the Merkle tree from every stored entry, check every coordinator signature and every"
          + " published tree head, and name the first bad entry. Exit 0 if the ledger is intact, 1 if not.")
  static final class Verify implements Callable<Integer> {
    @CommandLine.Mixin Location location;
    @Option(names = "--cert", required = true,
        description = "The coordinator's certificate (consortium/coordinator/tls-cert.pem): whose key signed the ledger.")
    Path cert;
    @Spec CommandLine.Model.CommandSpec spec;

    @Override public Integer call() throws IOException {
      PublicKey key = SiteKeys.readCertificate(Files.readString(cert)).getPublicKey();
      VerificationReport r = LogVerifier.verify(location.dir(), key);
      PrintWriter out = spec.commandLine().getOut();
      if (r.ok()) {
        out.printf(Locale.ROOT, "ledger OK: %d entries, %d published tree heads checked%n", r.entriesChecked(),
            r.treeHeadsChecked());
        return 0;
      }
      out.printf(Locale.ROOT, "ledger BROKEN at entry %d: %s%n", r.firstBadIndex(), r.problem());
      return 1;
    }
  }

  @Command(name = "entries", mixinStandardHelpOptions = true, description = "List entries, one canonical JSON line each.")
  static final class Entries implements Callable<Integer> {
    @CommandLine.Mixin Location location;
    @CommandLine.Mixin Filters filters;
    @Spec CommandLine.Model.CommandSpec spec;

    @Override public Integer call() throws IOException {
      for (LedgerEntry e : location.read(filters.filter())) spec.commandLine().getOut().println(e.toJson());
      return 0;
    }
  }

  @Command(name = "report", mixinStandardHelpOptions = true,
      description = "Participation report per study and site: decision, rows, rounds joined, contributions, dropouts,"
          + " epsilon spent.")
  static final class Report implements Callable<Integer> {
    @CommandLine.Mixin Location location;
    @Option(names = "--study", description = "Only this study.") String study;
    @Option(names = "--site", description = "Only this site.") String site;
    @Option(names = "--format", defaultValue = "table", description = "table, csv or json (default: ${DEFAULT-VALUE})")
    String format;
    @Spec CommandLine.Model.CommandSpec spec;

    @Override public Integer call() throws IOException {
      ParticipationReport all = ParticipationReport.of(location.read(new EntryFilter(study, null, null, null, null)));
      ParticipationReport r = new ParticipationReport(all.rows().stream()
          .filter(x -> site == null || site.equals(x.siteId())).toList());
      PrintWriter out = spec.commandLine().getOut();
      switch (format.toLowerCase(Locale.ROOT)) {
        case "csv" -> out.print(r.csv());
        case "json" -> out.println(ParticipationLedger.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(r));
        case "table" -> {
          out.printf(Locale.ROOT, "%-36s  %-14s  %-9s  %7s  %6s  %13s  %7s  %7s%n", "study", "site", "decision", "rows",
              "rounds", "contributions", "dropped", "epsilon");
          for (ParticipationReport.Row x : r.rows()) {
            out.printf(Locale.ROOT, "%-36s  %-14s  %-9s  %7d  %6d  %13d  %7d  %7.3f%n", x.studyId(), x.siteId(),
                x.decision(), x.rows(), x.roundsJoined(), x.contributions(), x.dropped(), x.epsilonSpent());
          }
        }
        default -> throw new CommandLine.ParameterException(spec.commandLine(), "--format must be table, csv or json, was "
            + format);
      }
      return 0;
    }
  }
}
