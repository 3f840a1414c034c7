package org.dure.coordinator.api;

import io.vertx.core.Handler;
import io.vertx.ext.web.RoutingContext;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.dure.coordinator.security.Caller;
import org.dure.coordinator.security.Credentials;
import org.dure.coordinator.security.Role;

/**
 * Authentication and role checks for every {@code /api} route: a request without a valid bearer token
 * gets 401 (who are you?), a valid caller without a role the route admits gets 403 (not allowed). Tokens
 * are never logged.
 */
final class Access {
  static final String CALLER = "dure.caller";
  private final Credentials credentials;

  Access(Credentials credentials) {
    this.credentials = credentials;
  }

  /** Resolves the caller from {@code Authorization: Bearer <token>} or answers 401. */
  void authenticate(RoutingContext rc) {
    String header = rc.request().getHeader("Authorization");
    Optional<Caller> caller = Optional.empty();
    if (header != null && header.regionMatches(true, 0, "Bearer ", 0, 7)) {
      caller = credentials.authenticate(header.substring(7).trim());
    }
    if (caller.isEmpty()) {
      rc.response().putHeader("WWW-Authenticate", "Bearer realm=\"dure\"");
      throw new ApiError(401, header == null
          ? "no credential: send 'Authorization: Bearer <token>' with the token your consortium administrator issued"
          : "the credential is not valid (unknown, malformed or revoked); ask your consortium administrator for a new one");
    }
    rc.put(CALLER, caller.get());
    rc.next();
  }

  /** Whether the request's credential still names its caller (false once revoked): for long-lived streams. */
  boolean stillValid(RoutingContext rc) {
    String header = rc.request().getHeader("Authorization");
    return header != null && header.regionMatches(true, 0, "Bearer ", 0, 7)
        && credentials.authenticate(header.substring(7).trim()).filter(caller(rc)::equals).isPresent();
  }

  /** Lets the request through only for callers with one of {@code roles}. */
  static Handler<RoutingContext> allow(Role... roles) {
    Set<Role> allowed = EnumSet.copyOf(Arrays.asList(roles));
    String names = allowed.stream().map(Role::label).collect(Collectors.joining(" or "));
    return rc -> {
      Caller c = caller(rc);
      if (!allowed.contains(c.role())) {
        throw new ApiError(403, c.name() + " is a " + c.role().label() + "; " + rc.request().method() + " "
            + rc.request().path() + " needs the " + names + " role");
      }
      rc.next();
    };
  }

  static Caller caller(RoutingContext rc) {
    Caller c = rc.get(CALLER);
    if (c == null) throw new IllegalStateException("route reached without authentication");
    return c;
  }
}
