package org.dure.coordinator.security;

import java.util.Locale;

/** What an API user may do; each endpoint names the roles it admits (least privilege). */
public enum Role {
  /** Defines, runs and reads their own studies and downloads their models. */
  RESEARCHER,
  /** Reads every study, its participation and rounds, the sites and the refusals; changes nothing. */
  AUDITOR,
  /**
   * Manages API users and reads the site register, refusals and ledger; submits and runs no study, but may stop any
   * (and revoking a credential stops the studies it owns).
   */
  ADMIN;

  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** Parses {@code researcher|auditor|admin} (any case), failing with the allowed values. */
  public static Role parse(String s) {
    if (s != null) {
      for (Role r : values()) if (r.label().equalsIgnoreCase(s.trim())) return r;
    }
    throw new IllegalArgumentException("unknown role '" + s + "'; expected researcher, auditor or admin");
  }
}
