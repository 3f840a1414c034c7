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
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.dure.crypto.SecureFiles;

/**
 * API credentials ({@value CoordinatorPki#CREDENTIALS}). A token is {@code dure_<id>_<secret>}: a 48-bit
 * public id that finds the credential and a 256-bit secret from {@link SecureRandom}. The token is shown once, when
 * issued; the file keeps only its SHA-256, compared in constant time.
 *
 * <p>Every credential has its own immutable {@link User#id() id}, and studies are owned by that id, not by the user
 * name. A user name holds at most one active credential; once it is revoked the name may be issued again, which makes
 * a new credential with a new id that inherits nothing (the answer says how many earlier credentials the name had).
 * Revoked credentials stay in the file for good (who had access, and until when, is part of the audit trail). A
 * record written before credentials had ids takes its token id as its id. Thread-safe; every change is written
 * atomically.
 */
public final class Credentials {
  public static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9._-]{0,63}");
  private static final Pattern TOKEN = Pattern.compile("dure_([0-9a-f]{12})_([A-Za-z0-9_-]{43})");
  private static final SecureRandom RANDOM = new SecureRandom();

  /**
   * One credential as stored.
   *
   * @param id the credential's immutable id (what owns studies); for a record stored before ids existed, its token id
   * @param tokenSha256 hex SHA-256 of the whole token
   */
  public record User(String id, String name, Role role, String tokenId, String tokenSha256, Instant createdAt,
                     String createdBy, Instant revokedAt) {
    public User {
      if (id == null) id = tokenId; // stored before credentials had ids: the token id was already unique and immutable
    }

    public boolean active() {
      return revokedAt == null;
    }

    public Caller caller() {
      return new Caller(id, name, role, createdAt);
    }
  }

  /**
   * A newly issued credential: the only time the token exists outside its holder's hands.
   *
   * @param revokedBefore how many earlier, revoked credentials the user name had (whose studies this one does not own)
   */
  public record Issued(String id, String name, Role role, String token, int revokedBefore) {
    @Override public String toString() {
      return "Issued[id=" + id + ", name=" + name + ", role=" + role + ", token=<redacted>]";
    }
  }

  private final Path file;
  /** Every credential ever issued, in order of issue; at most one active per name. */
  private final List<User> users = new ArrayList<>();

  private Credentials(Path file, List<User> users) throws IOException {
    this.file = file;
    java.util.Set<String> ids = new java.util.HashSet<>(), active = new java.util.HashSet<>();
    for (User u : users) {
      if (!ids.add(u.id())) throw new IOException(file + " holds two credentials with id " + u.id());
      if (u.active() && !active.add(u.name())) throw new IOException(file + " holds two active credentials for " + u.name());
      this.users.add(u);
    }
  }

  public static Credentials load(Path file) throws IOException {
    if (!Files.exists(file)) return new Credentials(file, List.of());
    try {
      return new Credentials(file, EnrolledSites.JSON.readValue(file.toFile(), new TypeReference<List<User>>() {}));
    } catch (IOException e) {
      throw new IOException(file + " is not a valid credentials file: " + e.getMessage(), e);
    }
  }

  /**
   * Issues a credential for a new user, or a new credential (new id, owning none of the old studies) for a name whose
   * earlier credentials were all revoked. The earlier records stay as they are.
   */
  public synchronized Issued issue(String name, Role role, String issuedBy) throws IOException {
    if (name == null || !NAME.matcher(name).matches()) {
      throw new IllegalArgumentException("user name '" + name + "' must match " + NAME.pattern()
          + " (lower-case letters, digits, '.', '_', '-')");
    }
    Optional<User> old = active(name);
    if (old.isPresent()) {
      throw new IllegalStateException("user " + name + " already has an active " + old.get().role().label()
          + " credential; revoke it first to issue a new one");
    }
    int revokedBefore = (int) users.stream().filter(u -> u.name().equals(name)).count();
    String id = freshId(), tokenId = freshId();
    byte[] secret = new byte[32];
    RANDOM.nextBytes(secret);
    String token = "dure_" + tokenId + "_" + Base64.getUrlEncoder().withoutPadding().encodeToString(secret);
    users.add(new User(id, name, role, tokenId, HexFormat.of().formatHex(sha256(token)), Instant.now(), issuedBy, null));
    save();
    return new Issued(id, name, role, token, revokedBefore);
  }

  /** 48 random bits in hex, used by no credential as its id or token id. */
  private String freshId() {
    while (true) {
      byte[] b = new byte[6];
      RANDOM.nextBytes(b);
      String id = HexFormat.of().formatHex(b);
      if (users.stream().noneMatch(u -> u.id().equals(id) || u.tokenId().equals(id))) return id;
    }
  }

  /**
   * Revokes the active credential of user {@code name}; later requests with it get 401. For a name without an active
   * credential, its latest (already revoked) credential.
   */
  public synchronized User revoke(String name) throws IOException {
    Optional<User> current = active(name);
    if (current.isEmpty()) {
      return latest(name).orElseThrow(() -> new IllegalArgumentException("no user " + name));
    }
    User u = current.get();
    User revoked = new User(u.id(), u.name(), u.role(), u.tokenId(), u.tokenSha256(), u.createdAt(), u.createdBy(), Instant.now());
    users.set(users.indexOf(u), revoked);
    save();
    return revoked;
  }

  /** Every credential ever issued, active and revoked, in order of issue. */
  public synchronized List<User> users() {
    return List.copyOf(users);
  }

  /** The active credential of user {@code name}. */
  public synchronized Optional<User> active(String name) {
    return users.stream().filter(u -> u.name().equals(name) && u.active()).findFirst();
  }

  private Optional<User> latest(String name) {
    User last = null;
    for (User u : users) if (u.name().equals(name)) last = u;
    return Optional.ofNullable(last);
  }

  /** The caller a bearer token belongs to, if it is well-formed, known, matches and is not revoked. */
  public Optional<Caller> authenticate(String token) {
    if (token == null) return Optional.empty();
    Matcher m = TOKEN.matcher(token);
    if (!m.matches()) return Optional.empty();
    User u;
    synchronized (this) {
      u = users.stream().filter(x -> x.tokenId().equals(m.group(1))).findFirst().orElse(null);
    }
    byte[] presented = sha256(token);
    byte[] expected = u == null ? new byte[32] : HexFormat.of().parseHex(u.tokenSha256());
    boolean equal = MessageDigest.isEqual(presented, expected);
    return equal && u != null && u.active() ? Optional.of(u.caller()) : Optional.empty();
  }

  private void save() throws IOException {
    SecureFiles.writeAtomically(file, EnrolledSites.JSON.writeValueAsString(users), true);
  }

  private static byte[] sha256(String s) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
