package org.dure.agent.chain;

import org.dure.protocol.wire.AgentMessage;
import org.dure.protocol.wire.Frames;

/** A message on its way out of the hospital, as the privacy filters see it: a JSON message or a binary model frame. */
public sealed interface Outgoing permits Outgoing.Json, Outgoing.Frame {
  /** The study the message belongs to, or null (a message that names none). */
  String studyId();

  /** A JSON message. */
  record Json(AgentMessage message) implements Outgoing {
    @Override public String studyId() {
      return org.dure.protocol.wire.AgentMessage.studyIdOf(message);
    }
  }

  /** A binary frame (a plain update or a masked input), with its header read once. */
  record Frame(byte[] bytes, Frames.Header header) implements Outgoing {
    /** @throws Frames.FrameException when {@code bytes} is not a frame (the chain then sends nothing) */
    static Frame of(byte[] bytes) {
      return new Frame(bytes, Frames.readHeader(bytes));
    }

    @Override public String studyId() {
      return header.studyId().toString();
    }

    /** Whether this frame carries this site's contribution to a round. */
    boolean contribution() {
      return header.kind() == Frames.Kind.SITE_UPDATE || header.kind() == Frames.Kind.MASKED_INPUT;
    }
  }
}
