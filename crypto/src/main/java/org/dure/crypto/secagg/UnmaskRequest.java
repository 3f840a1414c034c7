package org.dure.crypto.secagg;

import java.util.List;

/**
 * Stage 4, coordinator → surviving sites: the sites whose masked input arrived ({@code survivors}: reveal shares
 * of their self-mask seeds) and those that shared keys but sent no masked input ({@code dropped}: reveal shares of
 * their mask keys). A site refuses a request that names one site in both lists.
 */
public record UnmaskRequest(List<String> survivors, List<String> dropped) implements SecAggMessage {
  public UnmaskRequest {
    survivors = List.copyOf(survivors);
    dropped = List.copyOf(dropped);
  }
}
