package org.dure.coordinator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class CoordinatorConfigTest {
  @Test void anyHostIsAcceptedBecauseBothListenersAreTls() {
    assertEquals("0.0.0.0", new CoordinatorConfig("0.0.0.0", 8470, 8471, Path.of("d"), Path.of("p"), "dure", 0, List.of()).host());
  }

  @Test void theApiAndAgentPortsMustDifferBecauseOnlyTheAgentPortDemandsSiteCertificates() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new CoordinatorConfig("127.0.0.1", 8470, 8470, Path.of("d"), Path.of("p"), "dure", 0, List.of()));
    assertTrue(e.getMessage().startsWith("the API and agent ports must differ"), e.getMessage());
  }

  @Test void anOutOfRangePortIsRejectedNamingIt() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new CoordinatorConfig("127.0.0.1", 70000, 0, Path.of("d"), Path.of("p"), "dure", 0, List.of()));
    assertEquals("apiPort must be 0..65535, was 70000", e.getMessage());
  }
}
