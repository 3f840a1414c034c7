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
}
