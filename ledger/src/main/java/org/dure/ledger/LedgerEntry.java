package org.dure.ledger;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.security.PublicKey;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Arrays;
import java.util.Base64;
import java.util.Objects;
import java.util.Set;
import org.dure.json.JsonFields;
import org.dure.ledger.merkle.MerkleProofs;

/**
 * One event in the participation ledger, as logged and signed by the coordinator.
 *
 * <p>Its canonical form is one JSON object with keys sorted recursively, no whitespace, UTF-8, absent (never
 * {@code null}) optional fields, the timestamp in ISO-8601 UTC and both signatures in padded standard base64:
 * <pre>{"actor":"admin","coordinatorSignature":"MEU…","details":{…},"index":7,"siteId":"hospital-a",
 * "siteSignature":"MEQ…","studyId":"s1","timestamp":"2025-05-01T09:30:12.345Z","type":"SITE_APPROVED"}</pre>
 * The coordinator signs the canonical form without {@code coordinatorSignature} ({@link #signedBytes()}), see
 * {@link LedgerSignatures}; the Merkle leaf is the canonical form of the whole entry ({@link #canonicalBytes()}),
 * which is also the entry's line in {@code entries.jsonl}.
 *
 * <p>Entries say who did what and name data by hash; they never carry data, model weights or keys, and their
 * details are bounded by {@link #MAX_DETAILS_BYTES}. Instances are immutable: {@link #details()} returns a copy.
 *
 * @param index position in the log, from 0
 * @param timestamp when the coordinator logged the event (non-decreasing along the log)
 * @param type what happened
 * @param studyId the study concerned, or null
 * @param siteId the site concerned, or null
 * @param actor who caused the event (a user, a site, {@code "coordinator"}), or null
 * @param details event-specific fields
 * @param siteSignature the site's own signature (base64) when the event is site-signed, or null
 * @param coordinatorSignature the coordinator's signature (base64) over {@link #signedBytes()}
 */
public record LedgerEntry(long index, Instant timestamp, EventType type, String studyId, String siteId, String actor,
    ObjectNode details, String siteSignature, String coordinatorSignature) {
  /** Largest canonical encoding of an entry's details. */
  public static final int MAX_DETAILS_BYTES = 64 * 1024;
  /** Longest study id, site id or actor. */
  public static final int MAX_ID_LENGTH = 256;
  /** Largest site signature, decoded. */
  public static final int MAX_SITE_SIGNATURE_BYTES = 512;
  /** Longest line an entry can take in {@code entries.jsonl}, newline excluded. */
  static final int MAX_LINE_BYTES = MAX_DETAILS_BYTES + 4096;

  private static final Set<String> FIELDS = Set.of("index", "timestamp", "type", "studyId", "siteId", "actor",
      "details", "siteSignature", "coordinatorSignature");

  public LedgerEntry {
    if (index < 0) throw new IllegalArgumentException("index must be >= 0, was " + index);
    Objects.requireNonNull(timestamp, "timestamp");
    Objects.requireNonNull(type, "type");
    details = checkEvent(studyId, siteId, actor, details, siteSignature);
    Objects.requireNonNull(coordinatorSignature, "coordinatorSignature");
    LedgerSignatures.strictBase64(coordinatorSignature, "coordinatorSignature", LedgerSignatures.MAX_SIGNATURE_BYTES);
  }

  /** A copy of the event-specific fields. */
  @Override public ObjectNode details() {
    return details.deepCopy();
  }

  /** The canonical JSON of the whole entry: its line in {@code entries.jsonl} and its Merkle leaf. */
  public byte[] canonicalBytes() {
    return CanonicalJson.bytes(json(true));
  }

  /** {@link #canonicalBytes()} as a string. */
  public String toJson() {
    return new String(canonicalBytes(), StandardCharsets.UTF_8);
  }

  /** The canonical JSON of the entry without {@code coordinatorSignature}: what the coordinator signed. */
  public byte[] signedBytes() {
    return CanonicalJson.bytes(json(false));
  }

  /** The RFC 6962 leaf hash of this entry, {@code SHA-256(0x00 || canonicalBytes())}. */
  public byte[] leafHash() {
    return MerkleProofs.leafHash(canonicalBytes());
  }

  /** Whether {@code coordinatorKey} signed this entry as it stands. */
  public boolean verifyCoordinatorSignature(PublicKey coordinatorKey) {
    Objects.requireNonNull(coordinatorKey, "coordinatorKey");
    return LedgerSignatures.verify(coordinatorKey, LedgerSignatures.ENTRY_DOMAIN, signedBytes(),
        Base64.getDecoder().decode(coordinatorSignature));
  }

  /** Parses an entry's canonical JSON, as {@link #parse(byte[])}. */
  public static LedgerEntry parse(String canonicalJson) {
    Objects.requireNonNull(canonicalJson, "canonicalJson");
    return parse(canonicalJson.getBytes(StandardCharsets.UTF_8));
  }

  /**
   * Parses an entry from its canonical JSON. The bytes must be exactly the canonical form: anything else (other
   * key order, whitespace, an unknown or null field, a differently written number or timestamp) means the entry
   * was not written by the log as it stands.
   *
   * @throws IllegalArgumentException naming what is wrong
   */
  public static LedgerEntry parse(byte[] canonicalJson) {
    Objects.requireNonNull(canonicalJson, "canonicalJson");
    JsonNode node = CanonicalJson.parse(canonicalJson);
    if (!node.isObject()) throw new IllegalArgumentException("an entry must be a JSON object");
    JsonFields f = JsonFields.of(node, "", "field", (path, problem) -> new IllegalArgumentException(path + ": " + problem))
        .allowOnly(FIELDS);
    long index = f.longValue("index");
    ObjectNode details = f.object("details", true).node();
    String type = f.string("type");
    EventType eventType;
    try {
      eventType = EventType.valueOf(type);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("field \"type\" is not an event type: \"" + LedgerSignatures.abbreviate(type) + "\"");
    }
    Instant timestamp;
    try {
      timestamp = Instant.parse(f.string("timestamp"));
    } catch (DateTimeParseException e) {
      throw new IllegalArgumentException("field \"timestamp\" is not an ISO-8601 instant");
    }
    LedgerEntry entry = new LedgerEntry(index, timestamp, eventType, f.string("studyId", null), f.string("siteId", null),
        f.string("actor", null), details, f.string("siteSignature", null), f.string("coordinatorSignature"));
    if (!Arrays.equals(entry.canonicalBytes(), canonicalJson)) {
      throw new IllegalArgumentException("the entry is not in canonical form (keys sorted, no whitespace, as the log"
          + " writes it): it was edited after it was written");
    }
    return entry;
  }

  /** What the coordinator signs for an entry with these fields, which {@code checkEvent} has accepted. */
  static byte[] signedBytes(long index, Instant timestamp, EventType type, String studyId, String siteId,
      String actor, ObjectNode details, String siteSignature) {
    return CanonicalJson.bytes(json(index, timestamp, type, studyId, siteId, actor, details, siteSignature, null));
  }

  /**
   * Checks an event's caller-supplied fields and returns its details in normal form.
   *
   * @throws IllegalArgumentException or NullPointerException naming the field
   */
  static ObjectNode checkEvent(String studyId, String siteId, String actor, ObjectNode details, String siteSignature) {
    checkId(studyId, "studyId");
    checkId(siteId, "siteId");
    checkId(actor, "actor");
    Objects.requireNonNull(details, "details");
    if (siteSignature != null) {
      if (siteId == null) {
        throw new IllegalArgumentException("a siteSignature needs the siteId of the site that made it");
      }
      LedgerSignatures.strictBase64(siteSignature, "siteSignature", MAX_SITE_SIGNATURE_BYTES);
    }
    return CanonicalJson.normalize(details, MAX_DETAILS_BYTES);
  }

  private ObjectNode json(boolean withSignature) {
    return json(index, timestamp, type, studyId, siteId, actor, details, siteSignature,
        withSignature ? coordinatorSignature : null);
  }

  private static ObjectNode json(long index, Instant timestamp, EventType type, String studyId, String siteId,
      String actor, ObjectNode details, String siteSignature, String coordinatorSignature) {
    ObjectNode o = CanonicalJson.NODES.objectNode();
    o.put("index", index);
    o.put("timestamp", timestamp.toString());
    o.put("type", type.name());
    if (studyId != null) o.put("studyId", studyId);
    if (siteId != null) o.put("siteId", siteId);
    if (actor != null) o.put("actor", actor);
    o.set("details", details);
    if (siteSignature != null) o.put("siteSignature", siteSignature);
    if (coordinatorSignature != null) o.put("coordinatorSignature", coordinatorSignature);
    return o;
  }

  private static void checkId(String value, String name) {
    if (value == null) return;
    if (value.isEmpty() || value.length() > MAX_ID_LENGTH) {
      throw new IllegalArgumentException(name + " must be 1.." + MAX_ID_LENGTH + " characters or null, was "
          + value.length() + " characters");
    }
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (Character.isISOControl(c) || Character.isSurrogate(c)) {
        throw new IllegalArgumentException(name + " must hold no control or surrogate characters, found U+"
            + String.format("%04X", (int) c) + " at position " + i);
      }
    }
  }
}
