package org.dure.coordinator.security;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.dure.crypto.SecureFiles;

/**
 * The consortium's register of enrolled sites ({@value CoordinatorPki#SITES}): which site ids may connect and
 * with which certificate serials. The administrator's commands write it; the coordinator only reads it and
 * reloads it when it changes. An immutable value.
 */
public record EnrolledSites(List<Site> sites) {
  static final ObjectMapper JSON = new ObjectMapper().registerModule(new JavaTimeModule())
      .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS).enable(SerializationFeature.INDENT_OUTPUT);

  /**
   * One enrolled site.
   *
   * @param serials hex serials of the certificates issued to it (renewals add one)
   * @param revokedAt when the administrator revoked it, or null while it is active
   */
  public record Site(String siteId, Instant enrolledAt, List<String> serials, Instant revokedAt, String revokedReason) {
    public Site {
      Objects.requireNonNull(siteId, "siteId");
      serials = List.copyOf(serials);
    }

    public boolean active() {
      return revokedAt == null;
    }

    boolean holds(BigInteger serial) {
      return serials.contains(serial.toString(16));
    }
  }

  public EnrolledSites {
    sites = List.copyOf(sites);
  }

  public static EnrolledSites empty() {
    return new EnrolledSites(List.of());
  }

  public Optional<Site> site(String siteId) {
    return sites.stream().filter(s -> s.siteId().equals(siteId)).findFirst();
  }

  /** This register with {@code serial} added to {@code siteId} (enrolling it, or re-activating a revoked site). */
  public EnrolledSites withCertificate(String siteId, BigInteger serial, Instant at) {
    TreeMap<String, Site> m = byId();
    Site old = m.get(siteId);
    Set<String> serials = new TreeSet<>(old == null ? List.of() : old.serials());
    serials.add(serial.toString(16));
    m.put(siteId, new Site(siteId, old == null || !old.active() ? at : old.enrolledAt(), new ArrayList<>(serials), null, null));
    return new EnrolledSites(new ArrayList<>(m.values()));
  }

  /** This register with {@code siteId} marked revoked. */
  public EnrolledSites withRevoked(String siteId, Instant at, String reason) {
    TreeMap<String, Site> m = byId();
    Site old = m.get(siteId);
    if (old == null) throw new IllegalArgumentException("site " + siteId + " is not enrolled; enrolled: " + m.keySet());
    m.put(siteId, new Site(siteId, old.enrolledAt(), old.serials(), old.active() ? at : old.revokedAt(), reason));
    return new EnrolledSites(new ArrayList<>(m.values()));
  }

  private TreeMap<String, Site> byId() {
    TreeMap<String, Site> m = new TreeMap<>();
    sites.forEach(s -> m.put(s.siteId(), s));
    return m;
  }

  public static EnrolledSites load(Path file) throws IOException {
    if (!Files.exists(file)) return empty();
    try {
      return JSON.readValue(file.toFile(), EnrolledSites.class);
    } catch (IOException e) {
      throw new IOException(file + " is not a valid site register: " + e.getMessage(), e);
    }
  }

  public void save(Path file) throws IOException {
    SecureFiles.writeAtomically(file, JSON.writeValueAsString(this), false);
  }
}
