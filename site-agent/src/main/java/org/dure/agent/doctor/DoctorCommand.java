package org.dure.agent.doctor;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine;

/** {@code dure agent doctor --config FILE}: checks the installation; exit 0 when all is well, 1 when anything is not. */
@Command(name = "doctor", mixinStandardHelpOptions = true,
    description = "Check this site's installation: configuration, TLS certificate, data, work directory and disk space,"
        + " the outbound ledger, and a real connection to the coordinator. Exit 0 when all is OK, 1 when anything is not.")
public final class DoctorCommand implements Callable<Integer> {
  @Option(names = {"-c", "--config"}, required = true, description = "Agent configuration file (JSON).")
  Path config;
  @Spec CommandLine.Model.CommandSpec spec;

  @Override public Integer call() {
    List<Check> checks;
    try {
      checks = Doctor.run(config, Doctor.TIMEOUT);
    } catch (RuntimeException e) { // each check reports its own problems; this is the doctor failing itself
      spec.commandLine().getErr().println("dure agent doctor: the checks could not run: " + org.dure.agent.AgentCli.message(e));
      org.dure.agent.AgentCli.debug("dure agent doctor", e);
      return 1;
    }
    var out = spec.commandLine().getOut();
    for (Check c : checks) {
      out.printf("%-8s %-26s %s%n", c.ok() ? "OK" : "PROBLEM", c.name(), c.detail());
      if (!c.ok()) out.printf("%-8s %-26s how to fix: %s%n", "", "", c.fix());
    }
    long problems = checks.stream().filter(c -> !c.ok()).count();
    out.println(problems == 0 ? "all " + checks.size() + " checks OK" : problems + " of " + checks.size() + " checks found a problem");
    out.flush();
    return problems == 0 ? 0 : 1;
  }
}
