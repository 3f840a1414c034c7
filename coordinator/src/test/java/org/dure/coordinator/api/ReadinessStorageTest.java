package org.dure.coordinator.api;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The readiness storage check writes, syncs and deletes a file, and fails where it cannot (root ignores modes). */
class ReadinessStorageTest {
  @TempDir Path dir;

  @Test void aWritableDirectoryPassesAndKeepsNoProbeFile() throws Exception {
    assertTrue(Readiness.storageWritable(dir));
    try (var files = Files.list(dir)) {
      assertFalse(files.findAny().isPresent(), "the probe file was deleted");
    }
  }

  @Test void aDataDirectoryThatIsNotADirectoryFails() throws Exception {
    Path file = Files.writeString(dir.resolve("not-a-directory"), "x");
    assertFalse(Readiness.storageWritable(file));
    assertFalse(Readiness.storageWritable(dir.resolve("missing")));
  }
}
