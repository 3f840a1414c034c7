package org.dure.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.dure.cohort.CohortGenerator;
import org.dure.coordinator.security.CoordinatorPki;
import org.dure.testing.TestConsortium;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The researcher's command line ({@code dure study ...}, {@code dure model download}) run in-process through
 * picocli against a real coordinator and two real site agents behind a throwaway consortium PKI.
 */
class ResearcherCommandLineTest {
  @TempDir static Path dir;
  static TestConsortium consortium;
  static Path tokenFile;
  static Path ca;

  @BeforeAll static void start() throws Exception {
    consortium = new TestConsortium(dir);
    List<Path> files = TestConsortium.cohorts(dir, 2, 400, 11);
    consortium.agent("hospital-a", files.get(0));
    consortium.agent("hospital-b", files.get(1));
    consortium.awaitSites(2);
    tokenFile = secret(dir.resolve("researcher.token"), consortium.researcherToken);
    ca = consortium.pki.coordinatorPki().resolve(CoordinatorPki.CA_CERT);
  }

  @AfterAll static void stop() {
    if (consortium != null) consortium.close();
  }

  record Run(int exit, String out, String err) {}

  static Run dure(String... args) {
    StringWriter out = new StringWriter(), err = new StringWriter();
    CommandLine cmd = new CommandLine(new DureCommand()).setOut(new PrintWriter(out, true)).setErr(new PrintWriter(err, true));
    int exit = cmd.execute(args);
    return new Run(exit, out.toString(), err.toString());
  }

  /** A researcher command with this consortium's coordinator, CA and researcher token. */
  static Run researcher(String... args) {
    List<String> all = new ArrayList<>(Arrays.asList(args));
    all.addAll(List.of("--coordinator", consortium.base(), "--ca", ca.toString(), "--token-file", tokenFile.toString()));
    return dure(all.toArray(String[]::new));
  }

  static Path secret(Path file, String content) throws Exception {
    Files.writeString(file, content + "\n");
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
    return file;
  }

  static String study(int rounds) {
    ObjectNode s = (ObjectNode) TestConsortium.JSON.valueToTree(readTree(CohortGenerator.exampleStudyJson()));
    ((ObjectNode) s.path("training")).put("rounds", rounds);
    s.putObject("model").put("kind", "mlp").put("activation", "tanh").putArray("hiddenLayers").add(4);
    s.put("minSites", 2).put("roundDeadlineSeconds", 60);
    return s.toString();
  }

  static JsonNode readTree(String json) {
    try {
      return TestConsortium.JSON.readTree(json);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  @Test void aStudyIsSubmittedWatchedToCompletionListedReportedAndItsModelDownloadedAsWellFormedNpyFiles() throws Exception {
    Path file = Files.writeString(dir.resolve("study.json"), study(3));

    Run submitted = researcher("study", "submit", file.toString());
    assertEquals(0, submitted.exit(), submitted.err());
    String id = submitted.out().trim();
    UUID.fromString(id);
    assertTrue(submitted.err().contains("dure study watch " + id), submitted.err());

    Run watched = researcher("study", "watch", id, "--interval", "0.2");
    assertEquals(0, watched.exit(), watched.out() + watched.err());
    List<String> lines = watched.out().lines().toList();
    List<String> roundLines = lines.stream().filter(l -> l.matches("\\s+\\d+\\s+\\d+\\s+secure t=2\\s+.*")).toList();
    assertEquals(3, roundLines.size(), watched.out());
    for (int r = 1; r <= 3; r++) {
      String[] cols = roundLines.get(r - 1).trim().split("\\s+");
      assertEquals(String.valueOf(r), cols[0], roundLines.get(r - 1));
      assertEquals("2", cols[1], "two sites in round " + r);
      assertTrue(cols[4].matches("\\d\\.\\d{4}") && cols[5].matches("\\d\\.\\d{4}"), "val loss and AUC: " + roundLines.get(r - 1));
    }
    assertTrue(lines.contains("round  sites  aggregation  val_loss   val_auc  val_acc  seconds"), watched.out());
    assertTrue(lines.get(lines.size() - 1).startsWith("study " + id + " COMPLETED after 3 of 3 rounds"), watched.out());
    assertTrue(lines.stream().noneMatch(l -> l.contains("\r")), "no progress bar when the output is not a terminal");

    Run listed = researcher("study", "list");
    assertEquals(0, listed.exit(), listed.err());
    assertTrue(listed.out().lines().anyMatch(l -> l.startsWith(id) && l.contains("COMPLETED") && l.contains("3/3")), listed.out());
    Run listedJson = researcher("study", "list", "--json");
    assertEquals(0, listedJson.exit(), listedJson.err());
    assertTrue(readTree(listedJson.out()).findValuesAsText("id").contains(id), listedJson.out());

    Run report = researcher("study", "report", id);
    assertEquals(0, report.exit(), report.err());
    assertTrue(report.out().contains("status   COMPLETED"), report.out());
    assertTrue(report.out().lines().anyMatch(l -> l.startsWith("hospital-a") && l.contains("ACCEPTED")), report.out());
    assertTrue(report.out().lines().anyMatch(l -> l.trim().startsWith("init")), report.out());
    for (String line : roundLines) assertTrue(report.out().lines().anyMatch(line::equals), "watch printed each round once all its sites"
        + " had measured it, as the report shows it: " + line + "\n" + report.out());
    assertTrue(report.out().contains("validation report"), report.out());
    Run reportJson = researcher("study", "report", id, "--json");
    assertEquals(0, reportJson.exit(), reportJson.err());
    JsonNode all = readTree(reportJson.out());
    assertEquals("COMPLETED", all.path("study").path("status").asText());
    assertEquals(4, all.path("rounds").size(), "init and three rounds");
    assertTrue(all.has("report"), "report: the validation report, or null when the coordinator has none");

    Path out = dir.resolve("downloaded");
    Run downloaded = researcher("model", "download", id, "--out", out.toString());
    assertEquals(0, downloaded.exit(), downloaded.err());
    assertTrue(downloaded.out().contains("saved to " + out.toAbsolutePath()), downloaded.out());
    JsonNode model = TestConsortium.JSON.readTree(out.resolve("model.json").toFile());
    JsonNode layers = model.path("layers");
    assertEquals(2, layers.size(), "one hidden layer and the output");
    int checked = 0;
    for (JsonNode layer : layers) {
      int in = layer.path("inputs").asInt(), outputs = layer.path("outputs").asInt();
      assertNpy(out.resolve(layer.path("weight").asText()), new int[] {in, outputs});
      assertNpy(out.resolve(layer.path("bias").asText()), new int[] {outputs});
      checked += 2;
    }
    try (var files = Files.list(out)) {
      assertEquals(checked, files.filter(f -> f.toString().endsWith(".npy")).count(), "every .npy file is named in model.json");
    }
  }

  private static final Pattern HEADER = Pattern.compile(
      "\\{'descr': '<f4', 'fortran_order': False, 'shape': \\(([0-9, ]*)\\), \\} *\n");

  /** A NumPy 1.0 file of little-endian float32 in C order with this shape, read without numpy. */
  static void assertNpy(Path file, int[] shape) throws Exception {
    byte[] b = Files.readAllBytes(file);
    assertEquals("\u0093NUMPY", new String(b, 0, 6, StandardCharsets.ISO_8859_1), file + ": magic");
    assertEquals(1, b[6], file + ": major version");
    assertEquals(0, b[7], file + ": minor version");
    int headerLength = ByteBuffer.wrap(b, 8, 2).order(ByteOrder.LITTLE_ENDIAN).getShort() & 0xffff;
    assertEquals(0, (10 + headerLength) % 64, file + ": data aligned to 64 bytes");
    String header = new String(b, 10, headerLength, StandardCharsets.US_ASCII);
    Matcher m = HEADER.matcher(header);
    assertTrue(m.matches(), file + ": header " + header);
    int[] declared = Arrays.stream(m.group(1).split(",")).map(String::trim).filter(s -> !s.isEmpty()).mapToInt(Integer::parseInt).toArray();
    assertEquals(Arrays.toString(shape), Arrays.toString(declared), file + ": shape against model.json");
    if (shape.length == 1) assertTrue(m.group(1).endsWith(","), file + ": a 1-d shape is written (n,)");
    long values = Arrays.stream(shape).asLongStream().reduce(1, (x, y) -> x * y);
    assertEquals(10 + headerLength + 4 * values, b.length, file + ": data length");
  }

  @Test void anInvalidStudyExitsSixNamingTheField() throws Exception {
    ObjectNode s = (ObjectNode) readTree(study(3));
    ((ObjectNode) s.path("training")).put("learningRate", -1);
    Path file = Files.writeString(dir.resolve("invalid.json"), s.toString());

    Run r = researcher("study", "submit", file.toString());

    assertEquals(6, r.exit(), r.err());
    assertEquals("", r.out());
    assertTrue(r.err().startsWith("invalid study " + file + ", field training.learningRate: "), r.err());
  }

  /** Issue 20: every submit error named the field twice ("field minSites: minSites: must be ..."). */
  @Test void submitErrorsNameTheFieldOnceInOneSentence() throws Exception {
    java.util.Map<String, java.util.function.Consumer<ObjectNode>> edits = new java.util.LinkedHashMap<>();
    java.util.Map<String, String> expected = new java.util.LinkedHashMap<>();
    edits.put("min-sites", s -> s.put("minSites", 0));
    expected.put("min-sites", ", field minSites: must be between 1 and 10000, was 0");
    edits.put("learning-rate", s -> ((ObjectNode) s.path("training")).put("learningRate", -1));
    expected.put("learning-rate", ", field training.learningRate: must be > 0 and <= 100, was -1.0");
    edits.put("model-kind", s -> ((ObjectNode) s.path("model")).put("kind", "random_forest"));
    expected.put("model-kind", ", field model.kind: unknown value 'random_forest'; expected one of [logistic_regression, mlp]");
    edits.put("misspelt", s -> s.put("minsites", 2));
    expected.put("misspelt", ", field minsites: unknown field; expected one of [name, model, features, label, missingValues,"
        + " training, aggregation, privacy, minSites, roundDeadlineSeconds, validationFraction, report, offerDeadlineSeconds, waitForSitesSeconds]");
    for (String name : edits.keySet()) {
      ObjectNode s = (ObjectNode) readTree(study(3));
      edits.get(name).accept(s);
      Path file = Files.writeString(dir.resolve(name + ".json"), s.toString());

      Run r = researcher("study", "submit", file.toString());

      assertEquals(6, r.exit(), r.err());
      assertEquals("invalid study " + file + expected.get(name), r.err().strip());
    }
    Path twice = Files.writeString(dir.resolve("twice.json"), study(3).replaceFirst("\\{", "{\"minSites\": 2, \"minSites\": 3, "));
    Run dup = researcher("study", "submit", twice.toString());
    assertEquals(6, dup.exit(), dup.err());
    assertTrue(dup.err().startsWith("invalid study " + twice + ": ") && dup.err().contains("minSites")
        && !dup.err().contains("field $"), dup.err());
  }

  @Test void aTokenTheCoordinatorDoesNotKnowExitsFour() throws Exception {
    Path wrong = secret(dir.resolve("wrong.token"), "not-a-token");

    Run r = dure("study", "list", "--coordinator", consortium.base(), "--ca", ca.toString(), "--token-file", wrong.toString());

    assertEquals(4, r.exit(), r.err());
    assertTrue(r.err().startsWith("not authenticated (401): the credential is not valid"), r.err());
  }

  @Test void anUnknownStudyExitsFive() {
    String unknown = UUID.randomUUID().toString();

    Run watch = researcher("study", "watch", unknown);
    Run report = researcher("study", "report", unknown);
    Run model = researcher("model", "download", unknown, "--out", dir.resolve("none").toString());

    assertEquals(5, watch.exit(), watch.err());
    assertEquals("not found (404): no study " + unknown + "\n", watch.err());
    assertEquals(5, report.exit(), report.err());
    assertEquals(5, model.exit(), model.err());
  }

  @Test void withoutTheConsortiumCaTheCoordinatorsCertificateIsRefusedWithExitThree() {
    Run r = dure("study", "list", "--coordinator", consortium.base(), "--token-file", tokenFile.toString());

    assertEquals(3, r.exit(), r.err());
    assertTrue(r.err().startsWith("TLS with " + consortium.base() + "/ failed"), r.err());
    assertTrue(r.err().contains("--ca"), r.err());
  }

  @Test void plainHttpIsRefusedForAnythingButLoopbackAndAMissingTokenIsAUsageError() {
    Run remote = dure("study", "list", "--coordinator", "http://192.0.2.1:8470", "--token-file", tokenFile.toString());
    Run noToken = dure("study", "list", "--coordinator", consortium.base(), "--ca", ca.toString());
    Run refused = dure("study", "list", "--coordinator", "http://127.0.0.1:1", "--token-file", tokenFile.toString());

    assertEquals(2, remote.exit(), remote.err());
    assertTrue(remote.err().contains("plain http is allowed to this machine (loopback) only"), remote.err());
    assertEquals(2, noToken.exit(), noToken.err());
    assertTrue(noToken.err().contains("no token: pass --token-file FILE or set DURE_TOKEN"), noToken.err());
    assertEquals(3, refused.exit(), refused.err());
    assertTrue(refused.err().startsWith("cannot connect to http://127.0.0.1:1/"), refused.err());
  }

  @Test void helpOnEveryCommandListsTheConnectionOptionsAndTheExitCodes() {
    for (String[] cmd : List.of(new String[] {"study", "submit"}, new String[] {"study", "list"}, new String[] {"study", "watch"},
        new String[] {"study", "report"}, new String[] {"model", "download"})) {
      Run help = dure(cmd[0], cmd[1], "--help");
      assertEquals(0, help.exit(), String.join(" ", cmd));
      assertTrue(help.out().contains("--token-file=FILE") && help.out().contains("--ca=FILE") && help.out().contains("--coordinator=URL"), help.out());
      assertTrue(help.out().contains("6  invalid study (400; the message names the field)"), help.out());
      assertTrue(!help.out().contains("--token=") && !help.out().contains("--token "), "no token flag: " + help.out());
    }
    Run usage = dure("study", "watch");
    assertEquals(2, usage.exit(), "a missing ID is a usage error");
  }
}
