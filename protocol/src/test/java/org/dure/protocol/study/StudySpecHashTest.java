package org.dure.protocol.study;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

/** The study-spec hash that approvals sign and the ledger records must stay the SHA-256 of the offered UTF-8 text. */
class StudySpecHashTest {
  private static final String STUDY = """
      {
        "name": "패혈증-30일",
        "model": {"kind": "logistic_regression"},
        "features": ["age", "lactate"],
        "label": {"column": "died_30d", "positive": "1"},
        "training": {}
      }
      """;

  @Test
  void hashIsTheSha256OfTheUtf8TextAsGiven() throws Exception {
    byte[] expected = MessageDigest.getInstance("SHA-256").digest(STUDY.getBytes(StandardCharsets.UTF_8));

    assertArrayEquals(expected, StudySpec.sha256(STUDY));
    assertEquals(HexFormat.of().formatHex(expected), StudySpec.sha256Hex(STUDY));
  }

  @Test
  void hexIsPinnedToTheStandardSha256OfTheText() {
    assertEquals("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", StudySpec.sha256Hex("abc"));
  }

  @Test
  void aSpecHashesItsCanonicalJsonAsTheSiteHashesTheOffer() {
    StudySpec spec = StudySpecParser.parse(STUDY);
    String offered = spec.toJson();

    assertArrayEquals(StudySpec.sha256(offered), spec.sha256());
  }

  @Test
  void nullTextIsRefusedWithTheArgumentName() {
    NullPointerException e = assertThrows(NullPointerException.class, () -> StudySpec.sha256(null));
    assertEquals("specJson", e.getMessage());
  }
}
