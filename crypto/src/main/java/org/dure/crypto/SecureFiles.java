package org.dure.crypto;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.EnumSet;
import java.util.Set;

/** Writing the files that hold keys, certificates and credentials: all or nothing, secrets owner-only. */
public final class SecureFiles {
  private SecureFiles() {}

  /**
   * Replaces {@code target} atomically (a temporary file in the same directory, then a rename), creating
   * the directory if missing; the new content is synced to disk before the rename. {@code ownerOnly} makes the file {@code rw-------} before any byte is written,
   * and any directory this call creates {@code rwx------}, where POSIX permissions exist.
   */
  public static void writeAtomically(Path target, String text, boolean ownerOnly) throws IOException {
    Path parent = target.toAbsolutePath().getParent();
    if (ownerOnly) createOwnerOnlyDirectories(parent);
    else Files.createDirectories(parent);
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

  private static final Set<PosixFilePermission> WIDER = EnumSet.of(
      PosixFilePermission.GROUP_READ, PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_EXECUTE,
      PosixFilePermission.OTHERS_READ, PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_EXECUTE);

  private static boolean posix(Path p) {
    return p.getFileSystem().supportedFileAttributeViews().contains("posix");
  }

  /** {@code rwx------} for a directory created now (nothing where POSIX permissions do not exist). */
  public static FileAttribute<?>[] ownerOnlyDirectory(Path p) {
    return posix(p) ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------"))}
        : new FileAttribute<?>[0];
  }

  /** {@code rw-------} for a file created now (nothing where POSIX permissions do not exist). */
  public static FileAttribute<?>[] ownerOnlyFile(Path p) {
    return posix(p) ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"))}
        : new FileAttribute<?>[0];
  }

  /**
   * Creates {@code dir} and any missing parents {@code rwx------} from the start (never readable by group or
   * others, not even for a moment); existing directories are left as they are.
   */
  public static Path createOwnerOnlyDirectories(Path dir) throws IOException {
    Path abs = dir.toAbsolutePath();
    if (Files.isDirectory(abs)) return dir;
    return Files.createDirectories(abs, ownerOnlyDirectory(abs));
  }

  /**
   * Creates {@code dir} owner-only, or, when it exists with group or other permissions (made by an older
   * version), takes them away. Returns whether permissions were tightened.
   */
  public static boolean ensureOwnerOnlyDirectory(Path dir) throws IOException {
    createOwnerOnlyDirectories(dir);
    if (!posix(dir)) return false;
    Set<PosixFilePermission> p = Files.getPosixFilePermissions(dir);
    if (p.stream().noneMatch(WIDER::contains)) return false;
    p.removeAll(WIDER);
    Files.setPosixFilePermissions(dir, p);
    return true;
  }

  /** Writes {@code bytes} to {@code file}; a file created by this call is {@code rw-------} from its creation. */
  public static void writeOwnerOnly(Path file, byte[] bytes) throws IOException {
    try (var ch = Files.newByteChannel(file, EnumSet.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE,
        StandardOpenOption.TRUNCATE_EXISTING), ownerOnlyFile(file))) {
      java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(bytes);
      while (b.hasRemaining()) ch.write(b);
    }
  }
}
