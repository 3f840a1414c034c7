package org.dure.agent.outbound;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/** Reads an outbound ledger and verifies its chain (see {@link OutboundLedger} for the format). */
public final class OutboundReader {
  private OutboundReader() {}

  /**
   * What the file holds and whether its chain is intact.
   *
   * @param entries every line that parses as an entry, in file order (also those after a break, for display)
   * @param lines the number of lines in the file
   * @param firstBadLine the first line where the chain breaks, or 0 when it is intact
   * @param problem what is wrong with that line, or null
   * @param head the hash of the last line (64 zeros for an empty ledger): note it to detect lines cut off the end later
   */
  public record Verification(List<OutboundEntry> entries, long lines, long firstBadLine, String problem, String head) {
    public Verification {
      entries = List.copyOf(entries);
    }

    public boolean intact() {
      return firstBadLine == 0;
    }
  }

  /** Reads and verifies {@code file}; a missing file is an empty, intact ledger (nothing was ever sent). */
  public static Verification read(Path file) throws IOException {
    byte[] all;
    try {
      all = Files.readAllBytes(file);
    } catch (NoSuchFileException e) {
      return new Verification(List.of(), 0, 0, null, OutboundLedger.GENESIS);
    }
    List<OutboundEntry> entries = new ArrayList<>();
    long firstBad = 0;
    String problem = null;
    String prev = OutboundLedger.GENESIS;
    long line = 0;
    int start = 0;
    while (start < all.length) {
      int end = start;
      while (end < all.length && all[end] != '\n') end++;
      line++;
      String why = null;
      OutboundEntry e = null;
      try {
        e = parse(line, all, start, end);
      } catch (IOException | RuntimeException ex) {
        why = "line " + line + " is not a ledger entry (" + ex.getMessage() + ")";
      }
      if (e != null) {
        entries.add(e);
        byte[] body = OutboundLedger.body(all, start, end);
        String stored = OutboundLedger.storedHash(all, start, end);
        if (body == null || !OutboundLedger.hex(OutboundLedger.sha256(body, 0, body.length)).equals(stored)) {
          why = "line " + line + " was changed after it was written (its content does not match its hash)";
        } else if (!e.prev().equals(prev)) {
          why = "line " + line + " does not chain to line " + (line - 1) + " (its prev is " + abbreviate(e.prev()) + ", line "
              + (line - 1) + " hashes to " + abbreviate(prev) + "): a line before it, or this one, was changed, inserted or deleted";
        } else if (e.line() != line) {
          why = "line " + line + " says it is line " + e.line() + ": lines were deleted or reordered";
        }
      }
      if (end == all.length) why = "line " + line + " is cut short (no line end): the file was truncated or the agent stopped while writing it";
      if (why != null && firstBad == 0) {
        firstBad = line;
        problem = why;
      }
      prev = OutboundLedger.chainHash(all, start, end);
      start = end + 1;
    }
    return new Verification(entries, line, firstBad, problem, prev);
  }

  private static OutboundEntry parse(long line, byte[] all, int start, int end) throws IOException {
    JsonNode n = OutboundLedger.JSON.readTree(all, start, end - start);
    if (n == null || !n.isObject()) throw new IOException("not a JSON object");
    for (String f : new String[] {"seq", "time", "kind", "bytes", "sha256", "prev", "hash"}) {
      if (!n.hasNonNull(f)) throw new IOException("no \"" + f + "\"");
    }
    List<String> filters = new ArrayList<>();
    if (n.has("filters")) { // optional: lines written before entries recorded the privacy filters have none
      if (!n.path("filters").isArray()) throw new IOException("\"filters\" is not a list");
      for (JsonNode f : n.path("filters")) {
        if (!f.isTextual()) throw new IOException("\"filters\" holds a non-text value");
        filters.add(f.asText());
      }
    }
    return new OutboundEntry(n.path("seq").asLong(), Instant.parse(n.path("time").asText()),
        n.path("study").isTextual() ? n.path("study").asText() : null,
        n.path("round").isIntegralNumber() ? n.path("round").asInt() : null,
        n.path("kind").asText(), n.path("bytes").asLong(), n.path("sha256").asText(), n.path("prev").asText(), filters);
  }

  static String abbreviate(String hex) {
    return hex.length() > 12 ? hex.substring(0, 12) + "…" : hex;
  }
}
