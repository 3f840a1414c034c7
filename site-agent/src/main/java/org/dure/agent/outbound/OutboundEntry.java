package org.dure.agent.outbound;

import java.time.Instant;
import java.util.List;

/**
 * One line of the outbound ledger: a message that left the hospital.
 *
 * @param line the entry's line number in the file (1-based; also stored in the line as {@code seq})
 * @param time when it was recorded, just before it was sent
 * @param study the study it belongs to, or null (hello)
 * @param round the round it belongs to, or null when the message names none
 * @param kind the JSON message type ({@code hello}, {@code study-accepted}, ...) or the binary frame kind
 *     ({@code site-update}, {@code masked-input})
 * @param bytes the size of the exact bytes sent (UTF-8 JSON text, or the binary frame)
 * @param sha256 lower-case hex SHA-256 of those bytes
 * @param prev lower-case hex SHA-256 of the previous line's bytes (64 zeros on the first line)
 * @param filters the site's privacy filters the message went through, in order ({@code policy}, {@code approval},
 *     ...); empty for a message that passed none (hello) and for every entry written before entries recorded them
 */
public record OutboundEntry(long line, Instant time, String study, Integer round, String kind, long bytes, String sha256,
                            String prev, List<String> filters) {
  public OutboundEntry {
    filters = filters == null ? List.of() : List.copyOf(filters);
  }
}
