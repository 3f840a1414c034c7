package org.dure.launcher.client;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code dure study}: a researcher's studies on a coordinator, over its HTTPS API with the researcher's
 * token. Every subcommand takes {@code --coordinator}, {@code --token-file} and {@code --ca} (or the
 * environment variables {@code DURE_COORDINATOR}, {@code DURE_TOKEN}, {@code DURE_CA}).
 */
@Command(name = "study", mixinStandardHelpOptions = true,
    description = "Submit, list, watch and report on your studies on a coordinator.",
    subcommands = {StudyCommand.Submit.class, StudyCommand.ListStudies.class, StudyWatch.class, StudyReport.class},
    footer = Exit.HELP)
public final class StudyCommand implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  @Command(name = "submit", mixinStandardHelpOptions = true, footer = Exit.HELP,
      description = {"Submit a study definition (JSON) and start it; prints the study's id on stdout.",
          "An invalid definition exits 6 with the field at fault, e.g. training.learningRate."})
  static final class Submit extends ClientCommand {
    @Parameters(index = "0", paramLabel = "FILE", description = "The study definition (JSON).") Path file;

    @Option(names = "--no-start", description = "Leave the study SUBMITTED (start it later through the API).")
    boolean noStart;

    @Override int run(Api api, PrintWriter out) throws ApiException {
      String body;
      try {
        body = Files.readString(file);
      } catch (IOException e) {
        spec.commandLine().getErr().println("dure study submit: cannot read " + file + ": " + e);
        return Exit.USAGE;
      }
      JsonNode study;
      try {
        study = api.post("api/studies", body);
      } catch (ApiException e) {
        if (e.status != 400) throw e;
        // "invalid study study.json, field minSites: must be between 1 and 10000, was 0": the field once
        throw new ApiException(Exit.INVALID_STUDY, 400, e.field, "invalid study " + file
            + (e.field == null || e.field.equals("$") ? "" : ", field " + e.field) + ": "
            + e.getMessage().replaceFirst("^invalid, field \\S+ \\(400\\): |^rejected \\(400\\): ", ""), null);
      }
      String id = study.path("id").asText();
      if (!noStart) api.post("api/studies/" + id + "/start", "");
      out.println(id);
      spec.commandLine().getErr().printf("study \"%s\" submitted%s; follow it with: dure study watch %s%n",
          study.path("name").asText(), noStart ? " (not started)" : " and started", id);
      return Exit.OK;
    }
  }

  @Command(name = "list", mixinStandardHelpOptions = true, footer = Exit.HELP,
      description = "List your studies (an auditor: all studies): id, status, rounds done, created, name.")
  static final class ListStudies extends ClientCommand {
    @Option(names = "--json", description = "Print the coordinator's JSON instead of a table.") boolean json;

    @Override int run(Api api, PrintWriter out) throws ApiException, IOException {
      JsonNode studies = api.get("api/studies");
      if (json) {
        out.println(Api.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(studies));
        return Exit.OK;
      }
      out.printf("%-36s  %-17s  %7s  %-20s  %s%n", "id", "status", "rounds", "created", "name");
      for (JsonNode s : studies) {
        out.printf(Locale.ROOT, "%-36s  %-17s  %7s  %-20s  %s%n", s.path("id").asText(), s.path("status").asText(),
            s.path("completedRounds").asInt() + "/" + s.path("rounds").asInt(),
            s.path("createdAt").asText("-").replaceFirst("\\.\\d+Z$", "Z"), s.path("name").asText());
      }
      if (studies.isEmpty()) out.println("(no studies)");
      return Exit.OK;
    }
  }
}
