package org.dure.coordinator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 13, finding 14: the coordinator's data directory and everything it writes there are owner-only, and a data
 * directory an older version left world-readable is closed at start. (The launcher's DataDirectoryPermissionsTest
 * checks the same after a whole study with models, checkpoints and reports.)
 */
class DataDirectoryPermissionsTest {
  static final Set<PosixFilePermission> GROUP_OR_OTHERS = EnumSet.of(
      PosixFilePermission.GROUP_READ, PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_EXECUTE,
      PosixFilePermission.OTHERS_READ, PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_EXECUTE);
  @TempDir Path dir;

  static List<String> exposed(Path root) throws Exception {
    List<String> out = new ArrayList<>();
    try (Stream<Path> s = Files.walk(root)) {
      for (Path p : s.toList()) {
        Set<PosixFilePermission> perms = Files.getPosixFilePermissions(p);
        if (perms.stream().anyMatch(GROUP_OR_OTHERS::contains)) out.add(root.relativize(p) + " " + PosixFilePermissions.toString(perms));
      }
    }
    return out;
  }

  @Test void stateAndLedgerFilesWrittenByARunningCoordinatorAreOwnerOnly() throws Exception {
    try (SecuredCoordinator c = new SecuredCoordinator(dir)) {
      assertEquals(201, c.send(c.aliceToken, "POST", "/api/studies", HazelcastMemberPortTest.STUDY).status());
      Path data = dir.resolve("data");
      try (Stream<Path> s = Files.walk(data)) {
        List<String> names = s.map(p -> p.getFileName().toString()).toList();
        assertTrue(names.contains("entries.jsonl") && names.contains("studies"), names.toString());
        assertTrue(names.stream().anyMatch(n -> n.endsWith(".json")), names.toString());
      }
      assertEquals(List.of(), exposed(data));
    }
  }

  @Test void aWorldReadableDataDirectoryFromAnOlderVersionIsMadeOwnerOnlyAtStart() throws Exception {
    Path data = Files.createDirectories(dir.resolve("data"));
    Files.setPosixFilePermissions(data, PosixFilePermissions.fromString("rwxr-xr-x"));
    try (SecuredCoordinator c = new SecuredCoordinator(dir)) {
      assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(data)));
    }
  }
}
