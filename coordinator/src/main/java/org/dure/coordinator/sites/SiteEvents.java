package org.dure.coordinator.sites;

import org.dure.protocol.wire.AgentMessage;
import org.dure.protocol.wire.Frames;

/** What the agent channel reports; called on the coordinator's event loop. */
public interface SiteEvents {
  void connected(SiteSession session);

  void disconnected(SiteSession session);

  void message(SiteSession session, AgentMessage message);

  void frame(SiteSession session, Frames.Frame frame);
}
