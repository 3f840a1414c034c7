package org.dure.agent.outbound;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.dure.agent.AgentConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine;

/** {@code dure agent outbound --config FILE [--study ID] [--json]}: what left the hospital, and whether the record is intact. */
@Command(name = "outbound", mixinStandardHelpOptions = true,
    description = "List every message this site sent (time, study, round, kind, bytes, SHA-256, the privacy filters it"
        + " went through), totals per study,"
        + " and verify the outbound ledger's chain. Exit 0 when the chain is intact, 1 when it is broken, 2 when the"
        + " configuration or the ledger cannot be read.")
public final class OutboundCommand implements Callable<Integer> {
  @Option(names = {"-c", "--config"}, required = true, description = "Agent configuration file (JSON); the ledger is <workDir>/" + OutboundLedger.FILE + ".")
  Path config;
  @Option(names = "--study", description = "Only this study's messages (the chain is always verified over the whole file).")
  String study;
  @Option(names = "--json", description = "Print one JSON object (entries, totals, chain) instead of tables.")
  boolean json;
  @Spec CommandLine.Model.CommandSpec spec;

  /** Exit 0 intact, 1 broken, 2 the configuration or the ledger cannot be read (one sentence, no stack trace). */
  @Override public Integer call() throws IOException {
    Path file;
    OutboundReader.Verification v;
    try {
      file = AgentConfig.load(config).workDir().resolve(OutboundLedger.FILE);
      v = OutboundReader.read(file);
    } catch (IOException | RuntimeException e) {
      spec.commandLine().getErr().println("dure agent outbound: " + org.dure.agent.AgentCli.message(e));
      org.dure.agent.AgentCli.debug("dure agent outbound", e);
      return 2;
    }
    List<OutboundEntry> entries = study == null ? v.entries()
        : v.entries().stream().filter(e -> study.equals(e.study())).toList();
    OutboundTotals totals = OutboundTotals.of(entries);
    PrintWriter out = spec.commandLine().getOut();
    if (json) {
      out.println(OutboundLedger.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(toJson(file, entries, totals, v)));
    } else {
      out.printf("%s%n%-24s  %-36s  %5s  %-16s  %10s  %-16s  %s%n", file, "time", "study", "round", "kind", "bytes", "sha256",
          "filters");
      for (OutboundEntry e : entries) {
        out.printf("%-24s  %-36s  %5s  %-16s  %10d  %-16s  %s%n", e.time(), e.study() == null ? OutboundTotals.NO_STUDY : e.study(),
            e.round() == null ? "-" : e.round(), e.kind(), e.bytes(), e.sha256().substring(0, Math.min(16, e.sha256().length())),
            e.filters().isEmpty() ? "-" : String.join(",", e.filters()));
      }
      out.printf("%ntotals per study%n");
      for (Map.Entry<String, OutboundTotals.Study> s : totals.studies().entrySet()) {
        out.printf("%-36s  %6d messages  %12d bytes%n", s.getKey(), s.getValue().all().messages(), s.getValue().all().bytes());
        s.getValue().byKind().forEach((kind, c) -> out.printf("    %-32s  %6d messages  %12d bytes%n", kind, c.messages(), c.bytes()));
      }
      out.println();
      out.println(v.intact() ? "chain intact: " + v.lines() + " lines, head " + v.head()
          : "chain BROKEN at line " + v.firstBadLine() + ": " + v.problem());
    }
    out.flush();
    return v.intact() ? 0 : 1;
  }

  private static ObjectNode toJson(Path file, List<OutboundEntry> entries, OutboundTotals totals, OutboundReader.Verification v) {
    ObjectNode root = OutboundLedger.JSON.createObjectNode();
    root.put("file", file.toString());
    ArrayNode list = root.putArray("entries");
    for (OutboundEntry e : entries) {
      ObjectNode n = list.addObject();
      n.put("line", e.line());
      n.put("time", e.time().toString());
      n.put("study", e.study());
      if (e.round() == null) n.putNull("round"); else n.put("round", e.round());
      n.put("kind", e.kind());
      n.put("bytes", e.bytes());
      n.put("sha256", e.sha256());
      e.filters().forEach(n.putArray("filters")::add);
    }
    ObjectNode t = root.putObject("totals");
    totals.studies().forEach((id, s) -> {
      ObjectNode n = t.putObject(id);
      n.put("messages", s.all().messages());
      n.put("bytes", s.all().bytes());
      ObjectNode kinds = n.putObject("byKind");
      s.byKind().forEach((k, c) -> kinds.putObject(k).put("messages", c.messages()).put("bytes", c.bytes()));
    });
    ObjectNode chain = root.putObject("chain");
    chain.put("intact", v.intact());
    chain.put("lines", v.lines());
    if (v.intact()) chain.putNull("firstBadLine"); else chain.put("firstBadLine", v.firstBadLine());
    chain.put("problem", v.problem());
    chain.put("head", v.head());
    return root;
  }
}
