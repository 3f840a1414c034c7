package org.dure.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** Issue 20: an error no command handled itself is one sentence naming the command and the file, never a stack trace. */
class CommandLineErrorsTest {
  @TempDir Path dir;

  private record Run(int exit, String err) {}

  private static Run run(String... args) {
    StringWriter err = new StringWriter();
    CommandLine cl = DureCommand.commandLine();
    cl.setErr(new PrintWriter(err, true));
    int exit = cl.execute(args);
    return new Run(exit, err.toString());
  }

  @Test void aMissingFileIsNamedInOneSentenceWithExitCodeOne() {
    Path missing = dir.resolve("no-such-cert.pem");
    Run r = run("ledger", "verify", "--data-dir", dir.toString(), "--cert", missing.toString());
    assertEquals(CommandLine.ExitCode.SOFTWARE, r.exit(), r.err());
    assertEquals("dure ledger verify: no such file: " + missing, r.err().strip());
    assertFalse(r.err().contains("\tat "), r.err());
  }

  @Test void sentencesUnwrapAndNeverShowABareClassName() {
    assertEquals("no such file: x.csv", DureCommand.sentence(new java.io.UncheckedIOException(new java.nio.file.NoSuchFileException("x.csv"))));
    String s = DureCommand.sentence(new NullPointerException());
    assertTrue(s.startsWith("an unexpected error (NullPointerException)") && s.contains("dure.log.level"), s);
    assertEquals("first line", DureCommand.sentence(new IllegalStateException("first line\nsecond")));
  }
}
