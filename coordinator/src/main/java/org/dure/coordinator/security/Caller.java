package org.dure.coordinator.security;

import java.time.Instant;

/**
 * The authenticated person behind an API request.
 *
 * @param id the immutable id of the credential used (what owns studies)
 * @param name the user name (display, logs, the ledger's actor)
 * @param since when the credential was issued
 */
public record Caller(String id, String name, Role role, Instant since) {}
