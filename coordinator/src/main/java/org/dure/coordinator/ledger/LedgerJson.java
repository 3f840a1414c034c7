package org.dure.coordinator.ledger;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Base64;
import java.util.List;
import org.dure.ledger.LedgerEntry;
import org.dure.ledger.SignedTreeHead;

/** JSON views of ledger values for the API: exactly their canonical encodings, hashes in base64. */
public final class LedgerJson {
  private LedgerJson() {}

  public static ObjectNode entry(LedgerEntry e) {
    return read(e.toJson());
  }

  public static ObjectNode treeHead(SignedTreeHead h) {
    return read(h.toJson());
  }

  public static ArrayNode hashes(List<byte[]> proof) {
    ArrayNode a = ParticipationLedger.JSON.createArrayNode();
    for (byte[] h : proof) a.add(Base64.getEncoder().encodeToString(h));
    return a;
  }

  private static ObjectNode read(String json) {
    try {
      return (ObjectNode) ParticipationLedger.JSON.readTree(json);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
