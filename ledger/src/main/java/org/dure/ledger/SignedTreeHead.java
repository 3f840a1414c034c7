package org.dure.ledger;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.PublicKey;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Objects;
import java.util.Set;
import org.dure.json.JsonFields;

/**
 * The coordinator's signed statement that its log held {@code size} entries whose RFC 6962 Merkle root is
 * {@code rootHash}, at {@code timestamp}. A site keeps the last one it accepted and checks that every later one
 * extends it ({@link TreeHeadMonitor}); an auditor checks every published one against the entries
 * ({@link LogVerifier}).
 *
 * <p>Canonical form, one line of {@code tree-heads.jsonl}:
 * <pre>{"rootHash":"base64","signature":"base64","size":42,"timestamp":"2025-05-01T09:30:12.345Z"}</pre>
 * The signature is over the same object without {@code signature} (see {@link LedgerSignatures}).
 *
 * @param size number of entries covered, from 0
 * @param rootHash the 32-byte Merkle root of the first {@code size} entries
 * @param timestamp when the coordinator signed the head
 * @param signature the coordinator's DER-encoded ECDSA P-256 signature
 */
public record SignedTreeHead(long size, byte[] rootHash, Instant timestamp, byte[] signature) {
  /** Longest line a tree head can take in {@code tree-heads.jsonl}, newline excluded. */
  static final int MAX_LINE_BYTES = 1024;
  private static final Set<String> FIELDS = Set.of("size", "rootHash", "timestamp", "signature");

  public SignedTreeHead {
    if (size < 0) throw new IllegalArgumentException("size must be >= 0, was " + size);
    Objects.requireNonNull(rootHash, "rootHash");
    if (rootHash.length != 32) {
      throw new IllegalArgumentException("rootHash must be a 32-byte SHA-256 hash, was " + rootHash.length + " bytes");
    }
    Objects.requireNonNull(timestamp, "timestamp");
    Objects.requireNonNull(signature, "signature");
    if (signature.length == 0 || signature.length > LedgerSignatures.MAX_SIGNATURE_BYTES) {
      throw new IllegalArgumentException("signature must be 1.." + LedgerSignatures.MAX_SIGNATURE_BYTES
          + " bytes (DER ECDSA P-256), was " + signature.length);
    }
    rootHash = rootHash.clone();
    signature = signature.clone();
  }

  @Override public byte[] rootHash() {
    return rootHash.clone();
  }

  @Override public byte[] signature() {
    return signature.clone();
  }

  /** Whether {@code coordinatorKey} signed this head. */
  public boolean verifySignature(PublicKey coordinatorKey) {
    Objects.requireNonNull(coordinatorKey, "coordinatorKey");
    return LedgerSignatures.verify(coordinatorKey, LedgerSignatures.TREE_HEAD_DOMAIN,
        signedBytes(size, rootHash, timestamp), signature);
  }

  /** The canonical JSON of this head, signature included. */
  public String toJson() {
    ObjectNode o = json(size, rootHash, timestamp);
    o.put("signature", Base64.getEncoder().encodeToString(signature));
    return new String(CanonicalJson.bytes(o), StandardCharsets.UTF_8);
  }

  /**
   * Parses a head from its canonical JSON ({@link #toJson()}); does not check the signature.
   *
   * @throws IllegalArgumentException naming what is wrong
   */
  public static SignedTreeHead parse(String json) {
    Objects.requireNonNull(json, "json");
    byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
    JsonNode node = CanonicalJson.parse(bytes);
    if (!node.isObject()) throw new IllegalArgumentException("a tree head must be a JSON object");
    JsonFields f = JsonFields.of(node, "", "field", (path, problem) -> new IllegalArgumentException("tree head " + path + ": " + problem))
        .allowOnly(FIELDS);
    long size = f.longValue("size");
    Instant timestamp;
    try {
      timestamp = Instant.parse(f.string("timestamp"));
    } catch (DateTimeParseException e) {
      throw new IllegalArgumentException("tree head field \"timestamp\" is not an ISO-8601 instant");
    }
    SignedTreeHead head = new SignedTreeHead(size, LedgerSignatures.strictBase64(f.string("rootHash"), "rootHash", 32), timestamp,
        LedgerSignatures.strictBase64(f.string("signature"), "signature", LedgerSignatures.MAX_SIGNATURE_BYTES));
    if (!head.toJson().equals(json)) {
      throw new IllegalArgumentException("the tree head is not in canonical form: it was edited after it was written");
    }
    return head;
  }

  /** What the coordinator signs for a head. */
  static byte[] signedBytes(long size, byte[] rootHash, Instant timestamp) {
    return CanonicalJson.bytes(json(size, rootHash, timestamp));
  }

  private static ObjectNode json(long size, byte[] rootHash, Instant timestamp) {
    ObjectNode o = CanonicalJson.NODES.objectNode();
    o.put("size", size);
    o.put("rootHash", Base64.getEncoder().encodeToString(rootHash));
    o.put("timestamp", timestamp.toString());
    return o;
  }

  @Override public boolean equals(Object o) {
    return o instanceof SignedTreeHead h && size == h.size && timestamp.equals(h.timestamp)
        && MessageDigest.isEqual(rootHash, h.rootHash) && Arrays.equals(signature, h.signature);
  }

  @Override public int hashCode() {
    return Objects.hash(size, Arrays.hashCode(rootHash), timestamp, Arrays.hashCode(signature));
  }

  @Override public String toString() {
    return "SignedTreeHead[size=" + size + ", root=" + HexFormat.of().formatHex(rootHash).substring(0, 16)
        + "…, timestamp=" + timestamp + "]";
  }
}
