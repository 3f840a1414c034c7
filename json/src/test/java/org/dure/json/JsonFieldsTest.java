package org.dure.json;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class JsonFieldsTest {
  private static JsonFields fields(String json) throws Exception {
    return JsonFields.of(StrictJson.read(json), "plan", "setting", (path, problem) -> new IllegalArgumentException(path + ": " + problem));
  }

  private static String failure(Runnable r) {
    return assertThrows(IllegalArgumentException.class, r::run).getMessage();
  }

  @Test void eachReaderNamesTheFieldsFullPathAndWhatWasWrong() throws Exception {
    JsonFields f = fields("{\"rounds\": 2.5, \"name\": 7, \"on\": \"yes\", \"rate\": \"fast\", \"inner\": {\"k\": []}}");
    assertEquals("plan.rounds: expected an integer, was 2.5", failure(() -> f.integer("rounds", 1, 1, 10)));
    assertEquals("plan.name: expected a string, was number", failure(() -> f.string("name")));
    assertEquals("plan.on: expected true or false, was \"yes\"", failure(() -> f.bool("on", false)));
    assertEquals("plan.rate: expected a number, was \"fast\"", failure(() -> f.number("rate", 0)));
    assertEquals("plan.inner.k: expected a string, was array", failure(() -> f.object("inner", true).string("k")));
    assertEquals("plan.missing: is required", failure(() -> f.string("missing")));
  }

  @Test void boundsAndChoicesAreCheckedAndDefaultsApplyOnlyWhenAbsent() throws Exception {
    JsonFields f = fields("{\"k\": 1, \"kind\": \"MLP\", \"absent\": null}");
    assertEquals("plan.k: must be between 2 and 9, was 1", failure(() -> f.integer("k", 5, 2, 9)));
    assertEquals(3, f.integer("none", 3, 2, 9));
    assertEquals("mlp", f.choice("kind", null, new String[] {"logistic", "mlp"}, s -> s));
    assertEquals("plan.kind: unknown value 'MLP'; expected one of [tree]", failure(() -> f.choice("kind", null, new String[] {"tree"}, s -> s)));
    assertNull(f.string("absent", null)); // JSON null is absent
    assertEquals("7", fields("{\"n\": 7}").scalarText("n", 10));
  }

  @Test void anUnknownKeyIsRefusedListingTheKnownOnesInAStableOrder() throws Exception {
    JsonFields f = fields("{\"rounds\": 1, \"rouns\": 2}");
    assertEquals("plan.rouns: unknown setting; expected one of [rounds, seed]", failure(() -> f.allowOnly(List.of("rounds", "seed"))));
    assertEquals("plan.rouns: unknown setting; expected one of [a, rounds, z]", failure(() -> f.allowOnly(Set.of("z", "rounds", "a"))));
  }

  @Test void aDocumentThatIsNotAnObjectIsRefused() {
    assertEquals("plan: expected an object, was array", failure(() -> {
      try {
        fields("[1]");
      } catch (Exception e) {
        throw e instanceof RuntimeException r ? r : new RuntimeException(e);
      }
    }));
  }
}
