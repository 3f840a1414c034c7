package org.dure.protocol.json;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.dure.protocol.study.StudySpecException;
import org.dure.protocol.study.StudySpecParser;
import org.dure.protocol.wire.WireJson;
import org.junit.jupiter.api.Test;

/** Issue 20: the study definition and the wire messages are read strictly ({@link org.dure.json.StrictJson}). */
class StrictReadingTest {
  @Test void aStudyDefinitionWithADuplicateKeyOrTrailingTextIsRefused() {
    StudySpecException dup = assertThrows(StudySpecException.class, () -> StudySpecParser.parse(
        "{\"name\": \"a\", \"name\": \"b\"}"));
    assertTrue(dup.getMessage().contains("the key \"name\" appears twice"), dup.getMessage());
    StudySpecException trailing = assertThrows(StudySpecException.class, () -> StudySpecParser.parse(
        "{\"name\": \"a\"}\n{\"name\": \"b\"}"));
    assertTrue(trailing.getMessage().contains("unexpected text after the end of the JSON document"), trailing.getMessage());
  }

  @Test void aWireMessageWithADuplicateKeyIsRefused() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> WireJson.readAgent(
        "{\"type\": \"hello\", \"agentVersion\": \"1\", \"agentVersion\": \"2\", \"ledgerTreeSize\": 0}"));
    assertTrue(e.getMessage().contains("agentVersion"), e.getMessage());
  }

}
