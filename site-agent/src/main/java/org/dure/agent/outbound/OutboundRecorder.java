package org.dure.agent.outbound;

import java.io.IOException;

/**
 * Records a message before it leaves the hospital. The connection sends a message only after
 * {@link #record} returned; when it throws, the message is not sent (fail closed).
 */
@FunctionalInterface
public interface OutboundRecorder {
  /**
   * Records the exact bytes about to be sent.
   *
   * @param binary whether they go as a binary frame (a model frame) or as a JSON text message
   * @throws IOException when the record could not be made durable; the caller must then not send
   */
  void record(boolean binary, byte[] payload) throws IOException;

  /**
   * Records the exact bytes about to be sent and the site's privacy filters they went through, in order (see
   * {@code org.dure.agent.chain.PrivacyChain}); an empty list records none (hello, which names no study). A recorder
   * that keeps no filters records the message alone.
   *
   * @throws IOException when the record could not be made durable; the caller must then not send
   */
  default void record(boolean binary, byte[] payload, java.util.List<String> filters) throws IOException {
    record(binary, payload);
  }
}
