package org.dure.ledger;

import static org.dure.ledger.Fixtures.COORDINATOR;
import static org.dure.ledger.Fixtures.details;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import org.junit.jupiter.api.Test;

class LedgerEntryTest {
  private static final Instant T = Instant.parse("2025-05-01T09:30:12.345Z");

  private static LedgerEntry signed(long index, ObjectNode details, String siteId, String siteSignature) {
    byte[] message = LedgerEntry.signedBytes(index, T, EventType.SITE_APPROVED, "s1", siteId, "admin",
        LedgerEntry.checkEvent("s1", siteId, "admin", details, siteSignature), siteSignature);
    String signature = Base64.getEncoder().encodeToString(
        LedgerSignatures.sign(COORDINATOR.getPrivate(), LedgerSignatures.ENTRY_DOMAIN, message));
    return new LedgerEntry(index, T, EventType.SITE_APPROVED, "s1", siteId, "admin", details, siteSignature, signature);
  }

  @Test void canonicalFormSortsKeysRecursivelyOmitsAbsentFieldsAndHasNoWhitespace() {
    ObjectNode d = details("zeta", "1", "alpha", "2");
    d.putObject("nested").put("b", 1).put("a", 2.5);
    LedgerEntry e = signed(7, d, null, null);

    String json = e.toJson();

    assertTrue(json.startsWith("{\"actor\":\"admin\",\"coordinatorSignature\":\""), json);
    assertTrue(json.contains("\"details\":{\"alpha\":\"2\",\"nested\":{\"a\":2.5,\"b\":1},\"zeta\":\"1\"},\"index\":7,"
        + "\"studyId\":\"s1\",\"timestamp\":\"2025-05-01T09:30:12.345Z\",\"type\":\"SITE_APPROVED\"}"), json);
    assertFalse(json.contains("siteId") || json.contains("siteSignature") || json.contains(" "), json);
  }

  @Test void parsingTheCanonicalBytesGivesAnEqualEntryWhoseSignatureVerifies() {
    LedgerEntry e = signed(3, details("studySha256", "ab"), "hospital-a", Fixtures.siteSignature("hospital-a"));

    LedgerEntry back = LedgerEntry.parse(e.canonicalBytes());

    assertEquals(e, back);
    assertTrue(back.verifyCoordinatorSignature(COORDINATOR.getPublic()));
  }

  @Test void theCoordinatorSignatureCoversEveryFieldButItself() {
    LedgerEntry e = signed(3, details("studySha256", "ab"), null, null);
    LedgerEntry otherIndex = new LedgerEntry(4, e.timestamp(), e.type(), e.studyId(), e.siteId(), e.actor(),
        e.details(), null, e.coordinatorSignature());
    LedgerEntry otherDetails = new LedgerEntry(3, e.timestamp(), e.type(), e.studyId(), e.siteId(), e.actor(),
        details("studySha256", "ac"), null, e.coordinatorSignature());

    assertFalse(otherIndex.verifyCoordinatorSignature(COORDINATOR.getPublic()));
    assertFalse(otherDetails.verifyCoordinatorSignature(COORDINATOR.getPublic()));
  }

  @Test void bytesThatAreNotTheCanonicalFormAreRejectedAsEdited() {
    String json = signed(1, details("k", "v"), null, null).toJson();

    IllegalArgumentException spaced = assertThrows(IllegalArgumentException.class,
        () -> LedgerEntry.parse(json.replace("\"index\":1", "\"index\": 1")));
    IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class,
        () -> LedgerEntry.parse(json.replace("{\"actor\"", "{\"extra\":1,\"actor\"")));
    IllegalArgumentException duplicate = assertThrows(IllegalArgumentException.class,
        () -> LedgerEntry.parse(json.replace("{\"actor\":\"admin\"", "{\"actor\":\"admin\",\"actor\":\"eve\"")));

    assertTrue(spaced.getMessage().contains("not in canonical form"), spaced.getMessage());
    assertTrue(unknown.getMessage().startsWith("extra: unknown field; expected one of ["), unknown.getMessage());
    assertTrue(duplicate.getMessage().contains("Duplicate field"), duplicate.getMessage());
  }

  @Test void detailsAreNormalisedOnceSoTheyReencodeIdentically() {
    ObjectNode d = CanonicalJson.NODES.objectNode();
    d.put("big", new BigDecimal("1E+3"));
    d.put("f", 0.1f);

    LedgerEntry e = signed(0, d, null, null);

    assertEquals("{\"big\":1000.0,\"f\":0.1}", new String(CanonicalJson.bytes(e.details()), StandardCharsets.UTF_8));
    assertEquals(e, LedgerEntry.parse(e.canonicalBytes()));
  }

  @Test void detailsAreCopiedInAndOut() {
    ObjectNode d = details("k", "v");
    LedgerEntry e = signed(0, d, null, null);

    d.put("k", "changed");
    e.details().put("k", "changed too");

    assertEquals("v", e.details().get("k").textValue());
  }

  @Test void invalidFieldsAreRejectedWithTheFieldNamed() {
    ObjectNode huge = details("blob", "x".repeat(LedgerEntry.MAX_DETAILS_BYTES));
    ObjectNode nan = CanonicalJson.NODES.objectNode().put("epsilon", Double.NaN);

    assertTrue(assertThrows(IllegalArgumentException.class, () -> LedgerEntry.checkEvent(null, null, null, huge, null))
        .getMessage().startsWith("details must encode to at most 65536 bytes"));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> LedgerEntry.checkEvent(null, null, null, nan, null))
        .getMessage().contains("finite"));
    assertEquals("details", assertThrows(NullPointerException.class,
        () -> LedgerEntry.checkEvent(null, null, null, null, null)).getMessage());
    assertEquals("a siteSignature needs the siteId of the site that made it", assertThrows(IllegalArgumentException.class,
        () -> LedgerEntry.checkEvent("s1", null, null, details(), "AAAA")).getMessage());
    assertTrue(assertThrows(IllegalArgumentException.class,
        () -> LedgerEntry.checkEvent("s1", "a", null, details(), "AAB=")).getMessage().contains("canonical base64"));
    assertTrue(assertThrows(IllegalArgumentException.class,
        () -> LedgerEntry.checkEvent("", null, null, details(), null)).getMessage().startsWith("studyId must be 1..256"));
    assertTrue(assertThrows(IllegalArgumentException.class,
        () -> LedgerEntry.checkEvent(null, "site\nb", null, details(), null)).getMessage().contains("U+000A"));
  }
}
