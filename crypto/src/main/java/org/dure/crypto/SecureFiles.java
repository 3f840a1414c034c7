package org.dure.crypto;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;

/** Writing the files that hold keys, certificates and credentials: all or nothing, secrets owner-only. */
public final class SecureFiles {
  private SecureFiles() {}

  /**
   * Replaces {@code target} atomically (a temporary file in the same directory, then a rename), creating
   * the directory if missing; the new content is synced to disk before the rename. {@code ownerOnly} makes the file {@code rw-------} before any byte is written,
   * where POSIX permissions exist.
   */
  public static void writeAtomically(Path target, String text, boolean ownerOnly) throws IOException {
    Path parent = target.toAbsolutePath().getParent();
    Files.createDirectories(parent);
    Path tmp = Files.createTempFile(parent, target.getFileName().toString(), ".tmp");
    try {
      if (ownerOnly && tmp.getFileSystem().supportedFileAttributeViews().contains("posix")) {
        Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-------"));
      }
      try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(tmp,
          java.nio.file.StandardOpenOption.WRITE, java.nio.file.StandardOpenOption.TRUNCATE_EXISTING)) {
        java.nio.ByteBuffer bytes = java.nio.ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8));
        while (bytes.hasRemaining()) ch.write(bytes);
        ch.force(true); // on disk before it replaces the old file: a crash leaves the old or the new, never neither
      }
      Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } finally {
      Files.deleteIfExists(tmp);
    }
  }
}
