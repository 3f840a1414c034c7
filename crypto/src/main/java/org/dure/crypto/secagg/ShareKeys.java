package org.dure.crypto.secagg;

import java.util.List;
import java.util.Objects;

/** Stage 2, site → coordinator: the site's encrypted shares, one per holder (its neighbours that advertised keys). */
public record ShareKeys(String siteId, List<EncryptedShare> shares) implements SecAggMessage {
  public ShareKeys {
    Objects.requireNonNull(siteId, "siteId");
    shares = List.copyOf(shares);
  }

  public int payloadBytes() {
    return siteId.length() + shares.stream().mapToInt(EncryptedShare::payloadBytes).sum();
  }
}
