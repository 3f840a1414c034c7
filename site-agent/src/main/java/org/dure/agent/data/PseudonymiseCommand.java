package org.dure.agent.data;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.dure.agent.AgentConfig;
import org.dure.tabular.Table;
import org.dure.tabular.DataException;
import org.dure.pseudonymisation.IdentifierFoundException;
import org.dure.pseudonymisation.PseudonymisationReport;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code dure agent pseudonymise --config FILE [--json]}: runs the site's pseudonymisation (or, without one, the
 * identifier scan) over its data exactly as the agent does before any study, and prints the report.
 */
@Command(name = "pseudonymise", aliases = "pseudonymize", mixinStandardHelpOptions = true,
    description = "Pseudonymise this site's data as configured and print the report: columns removed, pseudonymised and"
        + " generalised, records suppressed, the k achieved. Exit 0 when the data is ready for studies, 1 when it is"
        + " refused (identifiers in undeclared columns, unreadable values), 2 on a configuration error.")
public final class PseudonymiseCommand implements Callable<Integer> {
  @Option(names = {"-c", "--config"}, required = true, description = "Agent configuration file (JSON).")
  Path config;
  @Option(names = "--json", description = "Print the report as JSON.")
  boolean json;
  @Spec CommandLine.Model.CommandSpec spec;

  @Override public Integer call() {
    PrintWriter out = spec.commandLine().getOut(), err = spec.commandLine().getErr();
    LocalData data;
    try {
      AgentConfig c = AgentConfig.load(config);
      data = LocalData.open(c.data(), c.pseudonymisation(), c.workDir());
    } catch (IOException | RuntimeException e) {
      err.println("dure agent pseudonymise: " + org.dure.agent.AgentCli.message(e));
      org.dure.agent.AgentCli.debug("dure agent pseudonymise", e);
      return 2;
    }
    try {
      Table t = data.read();
      PseudonymisationReport report = data.pseudonymised() ? data.lastReport() : null;
      if (report == null) {
        out.printf("%s: no pseudonymisation configured; the identifier scan found no direct identifier in %d rows x %d"
            + " columns. Add a \"pseudonymisation\" section to the agent config to generalise quasi-identifiers and key"
            + " patient ids.%n", data.describe(), t.rowCount(), t.header().size());
      } else {
        out.println(json ? report.toJson() : report.toText());
      }
      out.flush();
      return 0;
    } catch (IdentifierFoundException | DataException e) {
      err.println("dure agent pseudonymise: " + e.getMessage());
      return 1;
    } catch (IOException | RuntimeException e) {
      err.println("dure agent pseudonymise: " + org.dure.agent.AgentCli.message(e));
      org.dure.agent.AgentCli.debug("dure agent pseudonymise", e);
      return 2;
    }
  }
}
