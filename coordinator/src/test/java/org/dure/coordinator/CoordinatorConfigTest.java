package org.dure.coordinator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class CoordinatorConfigTest {
  @Test void plainHttpOffLoopbackIsRefusedWithTheReason() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new CoordinatorConfig("0.0.0.0", 8470, Path.of("d"), "dure", 0, List.of()));
    assertTrue(e.getMessage().startsWith("host 0.0.0.0 is not a loopback address"), e.getMessage());
  }

  @Test void loopbackAddressesAreAccepted() {
    for (String host : List.of("127.0.0.1", "localhost", "::1", "127.0.0.2"))
      assertEquals(host, new CoordinatorConfig(host, 0, Path.of("d"), "dure", 0, List.of()).host());
  }

  @Test void anOutOfRangePortIsRejectedNamingIt() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new CoordinatorConfig("127.0.0.1", 70000, Path.of("d"), "dure", 0, List.of()));
    assertEquals("port must be 0..65535, was 70000", e.getMessage());
  }
}
