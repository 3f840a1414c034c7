package org.dure.coordinator.report;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import org.dure.crypto.SecureFiles;

/** Writes a validation report (owner-only) as {@code report.json} and {@code report.html} into a directory (the saved model's). */
public final class ReportFiles {
  public static final String JSON_FILE = "report.json", HTML_FILE = "report.html";
  private static final ObjectMapper JSON = new ObjectMapper().registerModule(new JavaTimeModule())
      .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS).enable(SerializationFeature.INDENT_OUTPUT);

  private ReportFiles() {}

  public static void write(Path dir, StudyReport report) throws IOException {
    SecureFiles.createOwnerOnlyDirectories(dir);
    atomically(dir.resolve(JSON_FILE), JSON.writeValueAsString(report));
    atomically(dir.resolve(HTML_FILE), ReportHtml.render(report));
  }

  private static void atomically(Path file, String text) throws IOException {
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    Files.deleteIfExists(tmp);
    SecureFiles.writeOwnerOnly(tmp, text.getBytes(StandardCharsets.UTF_8));
    Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }
}
