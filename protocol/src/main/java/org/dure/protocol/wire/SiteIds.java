package org.dure.protocol.wire;

import java.util.regex.Pattern;

/** The form of a site id, checked wherever one enters: agent configuration, hello, launcher options. */
public final class SiteIds {
  private static final Pattern SITE_ID = Pattern.compile("[a-z0-9][a-z0-9._-]{0,63}");
  public static final String RULE = "use 1-64 lower-case letters, digits, '.', '_' or '-', starting with a letter or digit";

  private SiteIds() {}

  public static boolean valid(String siteId) {
    return siteId != null && SITE_ID.matcher(siteId).matches();
  }
}
