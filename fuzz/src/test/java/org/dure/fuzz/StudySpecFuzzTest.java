package org.dure.fuzz;

import static org.dure.fuzz.Contract.check;
import static org.dure.fuzz.Contract.refusesOnlyWith;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;
import org.dure.protocol.study.ModelSpec;
import org.dure.protocol.study.StudySpec;
import org.dure.protocol.study.StudySpecException;
import org.dure.protocol.study.StudySpecParser;
import org.junit.jupiter.api.Tag;

/** The study-definition parser: what a researcher submits to the API and what every site is offered. */
@Tag("fuzz")
class StudySpecFuzzTest {
  @FuzzTest(maxDuration = "10s")
  void parse(byte[] bytes) {
    String json = new String(bytes, StandardCharsets.UTF_8);
    StudySpec spec = refusesOnlyWith(json, () -> StudySpecParser.parse(json), StudySpecException.class);
    if (spec == null) return;
    check(spec.features().size() <= 10_000, "more features than the parser allows");
    long parameters = spec.model().parameterCount(spec.inputWidth());
    check(parameters <= ModelSpec.MAX_PARAMETERS, "a model above the parameter bound: " + parameters);
    // a site parses the canonical JSON it is offered: it must accept it and read the same study
    String offered = spec.toJson();
    StudySpec again = refusesOnlyWith(offered, () -> StudySpecParser.parse(offered), StudySpecException.class);
    check(again != null, "the canonical JSON of an accepted study is refused: " + offered);
    check(again.equals(spec) && again.toJson().equals(offered), "an accepted study does not survive its canonical JSON: " + offered);
  }
}
