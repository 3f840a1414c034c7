package org.dure.coordinator.security;

import com.fasterxml.jackson.core.type.TypeReference;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.dure.crypto.SecureFiles;

/**
 * API credentials ({@value CoordinatorPki#CREDENTIALS}). A token is {@code dure_<id>_<secret>}: a 48-bit
 * public id that finds the user and a 256-bit secret from {@link SecureRandom}. The token is shown once, when
 * issued; the file keeps only its SHA-256, compared in constant time. Revoked users stay in the file (who had
 * access, and until when, is part of the audit trail). Thread-safe; every change is written atomically.
 */
public final class Credentials {
  public static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9._-]{0,63}");
  private static final Pattern TOKEN = Pattern.compile("dure_([0-9a-f]{12})_([A-Za-z0-9_-]{43})");
  private static final SecureRandom RANDOM = new SecureRandom();

  /**
   * One user's credential as stored.
   *
   * @param tokenSha256 hex SHA-256 of the whole token
   */
  public record User(String name, Role role, String tokenId, String tokenSha256, Instant createdAt, String createdBy,
                     Instant revokedAt) {
    public boolean active() {
      return revokedAt == null;
    }
  }

  /** A newly issued credential: the only time the token exists outside its holder's hands. */
  public record Issued(String name, Role role, String token) {
    @Override public String toString() {
      return "Issued[name=" + name + ", role=" + role + ", token=<redacted>]";
    }
  }

  private final Path file;
  private final Map<String, User> users = new LinkedHashMap<>();

  private Credentials(Path file, List<User> users) {
    this.file = file;
    users.forEach(u -> this.users.put(u.name(), u));
  }

  public static Credentials load(Path file) throws IOException {
    if (!Files.exists(file)) return new Credentials(file, List.of());
    try {
      return new Credentials(file, EnrolledSites.JSON.readValue(file.toFile(), new TypeReference<List<User>>() {}));
    } catch (IOException e) {
      throw new IOException(file + " is not a valid credentials file: " + e.getMessage(), e);
    }
  }

  /** Issues a credential for a new user (or one whose previous credential was revoked). */
  public synchronized Issued issue(String name, Role role, String issuedBy) throws IOException {
    if (name == null || !NAME.matcher(name).matches()) {
      throw new IllegalArgumentException("user name '" + name + "' must match " + NAME.pattern()
          + " (lower-case letters, digits, '.', '_', '-')");
    }
    User old = users.get(name);
    if (old != null && old.active()) {
      throw new IllegalStateException("user " + name + " already has an active " + old.role().label()
          + " credential; revoke it first to issue a new one");
    }
    byte[] id = new byte[6], secret = new byte[32];
    RANDOM.nextBytes(id);
    RANDOM.nextBytes(secret);
    String tokenId = HexFormat.of().formatHex(id);
    String token = "dure_" + tokenId + "_" + Base64.getUrlEncoder().withoutPadding().encodeToString(secret);
    users.put(name, new User(name, role, tokenId, HexFormat.of().formatHex(sha256(token)), Instant.now(), issuedBy, null));
    save();
    return new Issued(name, role, token);
  }

  /** Revokes a user's credential; later requests with it get 401. */
  public synchronized User revoke(String name) throws IOException {
    User u = users.get(name);
    if (u == null) throw new IllegalArgumentException("no user " + name);
    if (!u.active()) return u;
    User revoked = new User(u.name(), u.role(), u.tokenId(), u.tokenSha256(), u.createdAt(), u.createdBy(), Instant.now());
    users.put(name, revoked);
    save();
    return revoked;
  }

  public synchronized List<User> users() {
    return List.copyOf(users.values());
  }

  /** The caller a bearer token belongs to, if it is well-formed, known, matches and is not revoked. */
  public Optional<Caller> authenticate(String token) {
    if (token == null) return Optional.empty();
    Matcher m = TOKEN.matcher(token);
    if (!m.matches()) return Optional.empty();
    User u;
    synchronized (this) {
      u = users.values().stream().filter(x -> x.tokenId().equals(m.group(1))).findFirst().orElse(null);
    }
    byte[] presented = sha256(token);
    byte[] expected = u == null ? new byte[32] : HexFormat.of().parseHex(u.tokenSha256());
    boolean equal = MessageDigest.isEqual(presented, expected);
    return equal && u != null && u.active() ? Optional.of(new Caller(u.name(), u.role())) : Optional.empty();
  }

  private void save() throws IOException {
    SecureFiles.writeAtomically(file, EnrolledSites.JSON.writeValueAsString(new ArrayList<>(users.values())), true);
  }

  private static byte[] sha256(String s) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
