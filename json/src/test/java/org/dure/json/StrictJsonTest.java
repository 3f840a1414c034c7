package org.dure.json;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Issue 20: a key given twice, or text after the document, changes what a file means; both are refused, named. */
class StrictJsonTest {
  @Test void aDuplicateKeyIsRefusedNamingTheKeyAndWhere() {
    StrictJson.MalformedJsonException e = assertThrows(StrictJson.MalformedJsonException.class,
        () -> StrictJson.read("{\"rounds\": 5,\n \"rounds\": 500}"));
    assertEquals("the key \"rounds\" appears twice in one object at line 2, column 10 (each key may be given once)",
        e.getMessage());
  }

  @Test void textAfterTheDocumentIsRefusedNamingWhereItStarts() {
    StrictJson.MalformedJsonException e = assertThrows(StrictJson.MalformedJsonException.class,
        () -> StrictJson.read("{\"a\": 1} {\"a\": 2}"));
    assertTrue(e.getMessage().startsWith("unexpected text after the end of the JSON document at line 1, column"),
        e.getMessage());
  }

  @Test void ordinaryDocumentsStillRead() throws Exception {
    assertEquals(2, StrictJson.read("{\"a\": 1, \"b\": [1, 2]}\n").size());
  }
}
