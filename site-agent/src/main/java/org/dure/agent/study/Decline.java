package org.dure.agent.study;

/**
 * Why this site declines a study, in one plain sentence for the researcher: what the study asked for and what to
 * change. Never a data value or a path of the hospital's (those stay in the site's log).
 */
final class Decline extends Exception {
  Decline(String reason) {
    super(reason, null, false, false);
  }
}
