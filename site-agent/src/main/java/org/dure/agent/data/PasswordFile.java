package org.dure.agent.data;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.EnumSet;
import java.util.Set;

/** Reads a password (the database's, the proxy's) from a file only its owner can read; the password is never put in a message. */
public final class PasswordFile {
  private static final Set<PosixFilePermission> OTHERS = EnumSet.of(
      PosixFilePermission.GROUP_READ, PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_EXECUTE,
      PosixFilePermission.OTHERS_READ, PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_EXECUTE);

  private PasswordFile() {}

  /**
   * Checks that {@code file} exists, is a regular file and grants nothing to group or others.
   *
   * @throws IOException naming the file and the {@code chmod} that fixes it
   */
  static void check(Path file) throws IOException {
    check(file, "database");
  }

  static void check(Path file, String what) throws IOException {
    if (!Files.isRegularFile(file))
      throw new IOException("the " + what + " password file " + file + " does not exist or is not a file; write the"
          + " password into it (one line) and make it owner-only: chmod 600 " + file);
    Set<PosixFilePermission> perms;
    try {
      perms = Files.getPosixFilePermissions(file);
    } catch (UnsupportedOperationException e) {
      return; // not a POSIX file system: nothing to check here
    }
    if (perms.stream().anyMatch(OTHERS::contains))
      throw new IOException("the " + what + " password file " + file + " is accessible to group or others ("
          + PosixFilePermissions.toString(perms) + "); it must be owner-only: chmod 600 " + file);
  }

  /** The first line of {@code file}, without its line end. */
  static String read(Path file) throws IOException {
    return readChecked(file, "database");
  }

  /** The first line of {@code file} (owner-only, not empty), without its line end; {@code what} names it in errors. */
  public static String readChecked(Path file, String what) throws IOException {
    check(file, what);
    String text = Files.readString(file, StandardCharsets.UTF_8);
    int end = text.indexOf('\n');
    String password = end < 0 ? text : text.substring(0, end);
    if (password.endsWith("\r")) password = password.substring(0, password.length() - 1);
    if (password.isEmpty()) throw new IOException("the " + what + " password file " + file + " is empty");
    return password;
  }
}
