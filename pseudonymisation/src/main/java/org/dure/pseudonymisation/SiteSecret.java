package org.dure.pseudonymisation;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Set;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.dure.crypto.SecureFiles;

/**
 * The site's pseudonymisation secret: 32 random bytes kept in an owner-only file as 64 hex digits, made on
 * first use. Whoever holds it can recompute every pseudonym from a patient id, so it never leaves the site,
 * is never logged ({@link #toString()} shows only the fingerprint) and is never compared with {@code equals}.
 */
final class SiteSecret {
  static final int BYTES = 32;
  private static final String FIELD = "pseudonymisation.secretFile";
  private static final HexFormat HEX = HexFormat.of();

  private final byte[] key;
  private final String fingerprint;

  private SiteSecret(byte[] key) {
    this.key = key;
    this.fingerprint = HEX.formatHex(hmac(key, "dure pseudonymisation secret fingerprint v1"), 0, 16);
  }

  /** Reads {@code file}, or makes a new secret there (directory {@code rwx------}, file {@code rw-------}) if it does not exist. */
  static SiteSecret loadOrCreate(Path file) throws IOException {
    if (Files.exists(file, LinkOption.NOFOLLOW_LINKS)) return load(file);
    Path dir = file.toAbsolutePath().getParent();
    try {
      if (!Files.isDirectory(dir)) {
        if (dir.getFileSystem().supportedFileAttributeViews().contains("posix")) {
          Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        } else {
          Files.createDirectories(dir);
        }
      }
      byte[] key = new byte[BYTES];
      new SecureRandom().nextBytes(key);
      SecureFiles.writeAtomically(file, HEX.formatHex(key) + "\n", true);
      return new SiteSecret(key);
    } catch (AccessDeniedException e) {
      throw new IOException(FIELD + ": cannot create the site secret " + file + ": permission denied on " + e.getFile()
          + "; make " + dir + " writable by the agent's user, or point " + FIELD + " at a directory that is", e);
    } catch (IOException e) {
      throw new IOException(FIELD + ": cannot create the site secret " + file + " (" + e.getClass().getSimpleName() + ": "
          + e.getMessage() + "); " + dir + " must be a directory the agent's user can write", e);
    }
  }

  private static SiteSecret load(Path file) throws IOException {
    if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS))
      throw new IOException(FIELD + ": " + file + " is not a regular file; it must hold the site secret (64 hex digits)");
    if (file.getFileSystem().supportedFileAttributeViews().contains("posix")) {
      Set<PosixFilePermission> perms = Files.getPosixFilePermissions(file);
      for (PosixFilePermission p : perms) {
        if (p.name().startsWith("GROUP") || p.name().startsWith("OTHERS"))
          throw new IOException(FIELD + ": " + file + " is accessible to group or others ("
              + PosixFilePermissions.toString(perms) + "); the site secret must be owner-only: chmod 600 " + file);
      }
    }
    String text;
    try {
      text = Files.readString(file, StandardCharsets.US_ASCII).strip();
    } catch (AccessDeniedException e) {
      throw new IOException(FIELD + ": cannot read " + file + ": permission denied; the agent's user must own it", e);
    } catch (IOException e) {
      throw new IOException(FIELD + ": cannot read " + file + ": " + e.getMessage(), e);
    }
    if (text.length() != 2 * BYTES || !text.chars().allMatch(c -> Character.digit(c, 16) >= 0))
      throw new IOException(FIELD + ": " + file + " does not hold a site secret (expected " + 2 * BYTES
          + " hex digits); restore it from the site's backup, or move it away to start a new secret (which changes every pseudonym)");
    return new SiteSecret(HEX.parseHex(text));
  }

  /** A public fingerprint of the secret (HMAC of a fixed label, 128 bits hex): names the secret without revealing it. */
  String fingerprint() {
    return fingerprint;
  }

  /** Keyed hashing for one thread. */
  Keyed keyed() {
    return new Keyed(mac(key));
  }

  @Override
  public String toString() {
    return "SiteSecret[fingerprint=" + fingerprint + "]";
  }

  /** Pseudonyms and date shifts under the secret; not thread-safe. */
  static final class Keyed {
    private final Mac mac;

    private Keyed(Mac mac) {
      this.mac = mac;
    }

    /** The pseudonym of {@code value}: the first 128 bits of HMAC-SHA-256("pseudonym" 0x00 value), hex. */
    String pseudonym(String value) {
      return HEX.formatHex(mac.doFinal(("pseudonym\0" + value).getBytes(StandardCharsets.UTF_8)), 0, 16);
    }

    /** A shift of 1..max days, earlier or later, fixed for {@code key} under this secret. */
    long shiftDays(String key, int max) {
      byte[] h = mac.doFinal(("shift\0" + key).getBytes(StandardCharsets.UTF_8));
      long bits = 0;
      for (int i = 0; i < 8; i++) bits = (bits << 8) | (h[i] & 0xff);
      long r = Long.remainderUnsigned(bits, 2L * max); // 0..2max-1; bias below 2^-40 for max ≤ 10^6
      return r < max ? -(r + 1) : r - max + 1;
    }
  }

  private static Mac mac(byte[] key) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key, "HmacSHA256"));
      return mac;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is missing from this JDK", e);
    }
  }

  private static byte[] hmac(byte[] key, String message) {
    return mac(key).doFinal(message.getBytes(StandardCharsets.UTF_8));
  }
}
