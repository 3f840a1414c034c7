package org.dure.crypto.secagg;

import java.util.List;
import java.util.Objects;

/** Stage 4, surviving site → coordinator: the shares the {@link UnmaskRequest} asked for, one kind per owner. */
public record UnmaskResponse(String siteId, List<RevealedShare> shares) implements SecAggMessage {
  public UnmaskResponse {
    Objects.requireNonNull(siteId, "siteId");
    shares = List.copyOf(shares);
  }

  public int payloadBytes() {
    return siteId.length() + shares.stream().mapToInt(s -> s.owner().length() + 1 + Shamir.SHARE_BYTES).sum();
  }
}
