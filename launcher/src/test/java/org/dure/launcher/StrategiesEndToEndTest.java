package org.dure.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.dure.cohort.CohortGenerator;
import org.dure.cohort.SiteCohort;
import org.dure.protocol.model.Npy;
import org.dure.testing.TestConsortium;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Every model kind, optimizer and aggregation strategy trains end to end over the real network. */
class StrategiesEndToEndTest {
  @TempDir Path dir;

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {
      "{\"strategy\": \"fedavg\"}|sgd|relu",
      "{\"strategy\": \"fedprox\", \"mu\": 0.1}|adam|tanh",
      "{\"strategy\": \"fedadam\", \"serverLearningRate\": 0.05}|sgd|sigmoid"})
  void anMlpStudyTrainsToAUsefulModelWithEachStrategy(String setup) throws Exception {
    String[] parts = setup.split("\\|");
    List<SiteCohort> cohorts = CohortGenerator.builder().sites(3).patientsPerSite(600).seed(11).build().writeTo(dir.resolve("data"));
    ObjectNode study = (ObjectNode) TestConsortium.JSON.readTree(CohortGenerator.exampleStudyJson());
    study.set("model", TestConsortium.JSON.readTree("{\"kind\": \"mlp\", \"hiddenLayers\": [16, 8], \"activation\": \"" + parts[2] + "\"}"));
    study.set("aggregation", TestConsortium.JSON.readTree(parts[0]));
    study.put("missingValues", "drop").put("minSites", 3);
    ((ObjectNode) study.path("training")).put("rounds", 6).put("optimizer", parts[1]).put("learningRate", parts[1].equals("adam") ? 0.01 : 0.1);
    try (TestConsortium c = new TestConsortium(dir)) {
      for (SiteCohort s : cohorts) c.agent(s.site(), dir.resolve("data").resolve(s.fileName()));
      c.awaitSites(3);
      String id = c.run(study.toString());
      JsonNode end = c.awaitEnd(id, Duration.ofMinutes(2));

      assertEquals("COMPLETED", end.path("status").asText(), end.toString());
      JsonNode rounds = c.get("/api/studies/" + id + "/rounds").body();
      double auc = rounds.get(6).path("pooled").path("auc").asDouble();
      assertTrue(auc > 0.75, "pooled validation AUC after 6 rounds: " + auc);
      JsonNode sites = end.path("sites");
      for (SiteCohort s : cohorts)
        assertTrue(sites.path(s.site()).path("statistics").path("rowsDroppedMissing").asLong() > 0, "drop policy counted per site");
      Path model = Path.of(end.path("modelDir").asText());
      JsonNode desc = TestConsortium.JSON.readTree(model.resolve("model.json").toFile());
      assertEquals(3, desc.path("layers").size());
      assertEquals(parts[2], desc.path("layers").get(0).path("activation").asText());
      assertEquals("sigmoid", desc.path("layers").get(2).path("activation").asText());
      Npy.Array w0 = Npy.read(model.resolve(desc.path("layers").get(0).path("weight").asText()));
      assertEquals(List.of(11, 16), List.of(w0.shape()[0], w0.shape()[1]));
    }
  }
}
