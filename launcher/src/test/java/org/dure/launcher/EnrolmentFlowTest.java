package org.dure.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.List;
import org.dure.agent.SiteAgent;
import org.dure.cohort.CohortGenerator;
import org.dure.cohort.SiteCohort;
import org.dure.coordinator.admin.ConsortiumAdmin;
import org.dure.crypto.pki.SiteCertificateException.Reason;
import org.dure.testing.TestConsortium;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Enrolment end to end with a real agent: key pair and request made at the site, signed by the
 * administrator, installed at the site, first connection; then revocation cuts the live connection and
 * every reconnection attempt is refused as revoked.
 */
class EnrolmentFlowTest {
  @TempDir Path dir;

  @Test void anEnrolledAgentConnectsAndOnceRevokedIsDroppedAndRefused() throws Exception {
    List<SiteCohort> cohorts = CohortGenerator.builder().sites(1).patientsPerSite(50).seed(3).build().writeTo(dir.resolve("data"));
    try (TestConsortium c = new TestConsortium(dir)) {
      SiteAgent agent = c.agent("hospital-a", dir.resolve("data").resolve(cohorts.get(0).fileName()));
      c.awaitSites(1);
      JsonNode site = c.get("/api/sites").body().get(0);
      assertEquals("hospital-a", site.path("siteId").asText());

      new ConsortiumAdmin(c.pki.root()).revokeSite("hospital-a", "left the consortium", c.pki.passphrase());

      long deadline = System.nanoTime() + 10_000_000_000L;
      while ((agent.isConnected() || c.get("/api/sites").body().size() > 0) && System.nanoTime() < deadline) Thread.sleep(50);
      assertEquals(0, c.get("/api/sites").body().size(), "the revoked site's live connection was dropped");
      assertTrue(agent.lastRefusal() != null && agent.lastRefusal().contains("revoked"), String.valueOf(agent.lastRefusal()));
      Thread.sleep(1500); // the agent keeps retrying with backoff; each attempt is refused at the handshake
      long revokedRefusals = c.coordinator.refusals().recent().stream()
          .filter(r -> r.subject().equals("CN=hospital-a") && r.reason() == Reason.REVOKED).count();
      assertTrue(revokedRefusals >= 2, "refusals: " + c.coordinator.refusals().recent());
      assertTrue(!agent.isConnected());
    }
  }
}
