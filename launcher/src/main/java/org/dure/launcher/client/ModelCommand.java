package org.dure.launcher.client;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code dure model}: a study's saved global model. */
@Command(name = "model", mixinStandardHelpOptions = true, footer = Exit.HELP,
    description = "Download a study's global model.", subcommands = ModelCommand.Download.class)
public final class ModelCommand implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  @Command(name = "download", mixinStandardHelpOptions = true, footer = Exit.HELP,
      description = {"Download the latest global model of a study: model.json and one NumPy .npy file per weight and bias,"
          + " loadable with numpy alone.", "Exits 5 when the study is unknown or has no model yet (before round 1)."})
  static final class Download extends ClientCommand {
    @Parameters(index = "0", paramLabel = "ID", description = "The study's id.") String id;

    @Option(names = "--out", paramLabel = "DIR", description = "Where to write the files (default: model-ID). An existing"
        + " directory must be empty or hold an earlier download (model.json).")
    Path out;

    @Override int run(Api api, PrintWriter console) throws ApiException, IOException {
      Path dir = (out != null ? out : Path.of("model-" + id)).toAbsolutePath().normalize();
      if (Files.isDirectory(dir) && !Files.exists(dir.resolve("model.json"))) {
        try (var entries = Files.list(dir)) {
          if (entries.findAny().isPresent()) {
            spec.commandLine().getErr().println("dure model download: " + dir + " is not empty and holds no earlier model;"
                + " choose a new or empty --out directory");
            return Exit.USAGE;
          }
        }
      }
      byte[] zip = api.bytes("api/studies/" + id + "/model");
      List<String> files = unzip(zip, dir);
      JsonNode model = Api.JSON.readTree(dir.resolve("model.json").toFile());
      console.printf("model of study %s (round %d, %s, %d parameters) saved to %s: %s%n", id, model.path("round").asInt(),
          model.path("kind").asText(), model.path("parameterCount").asLong(), dir, String.join(" ", files));
      return Exit.OK;
    }

    /** Most files and bytes a model may unzip to (a model is model.json plus one .npy per tensor). */
    static final int MAX_FILES = 1_000;
    static final long MAX_BYTES = 4L << 30;

    /**
     * Writes the zip's files into {@code dir}, refusing any entry that is not a plain file name, and more than
     * {@link #MAX_FILES} files or {@link #MAX_BYTES} bytes in all (a zip bomb from a misbehaving server).
     */
    static List<String> unzip(byte[] zip, Path dir) throws IOException {
      Files.createDirectories(dir);
      List<String> names = new ArrayList<>();
      long total = 0;
      byte[] buffer = new byte[1 << 16];
      try (ZipInputStream in = new ZipInputStream(new ByteArrayInputStream(zip))) {
        for (ZipEntry e; (e = in.getNextEntry()) != null; ) {
          Path target = dir.resolve(e.getName()).normalize();
          if (e.isDirectory() || !dir.equals(target.getParent())) {
            throw new IOException("refusing zip entry '" + e.getName() + "': the model is a flat directory of files");
          }
          if (names.size() >= MAX_FILES) throw new IOException("refusing a model of more than " + MAX_FILES + " files");
          try (var out = Files.newOutputStream(target)) {
            for (int n; (n = in.read(buffer)) > 0; ) {
              total += n;
              if (total > MAX_BYTES) throw new IOException("refusing a model larger than " + MAX_BYTES + " bytes unzipped");
              out.write(buffer, 0, n);
            }
          }
          names.add(e.getName());
        }
      }
      if (!names.contains("model.json")) throw new IOException("the downloaded model has no model.json");
      return names;
    }
  }
}
