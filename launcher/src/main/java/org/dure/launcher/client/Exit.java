package org.dure.launcher.client;

/** The exit codes of the researcher commands, which scripts can rely on. */
final class Exit {
  static final int OK = 0;
  /** The watched study FAILED or was STOPPED, or the coordinator answered an error not listed below (409, 5xx). */
  static final int STUDY_NOT_COMPLETED = 1;
  static final int USAGE = 2;
  static final int CONNECTION = 3;
  static final int AUTH = 4;
  static final int NOT_FOUND = 5;
  static final int INVALID_STUDY = 6;

  /** The exit code list shown by every researcher command's {@code --help}. */
  static final String HELP = "%nExit codes:%n"
      + "  0  success (watch: the study COMPLETED)%n"
      + "  1  the study FAILED or was STOPPED (watch), or the coordinator refused the request (409, 5xx)%n"
      + "  2  usage error (bad option, no coordinator URL, no token, unreadable file)%n"
      + "  3  cannot connect, or TLS verification of the coordinator failed%n"
      + "  4  authentication or authorisation failed (401, 403)%n"
      + "  5  not found (404: no such study, or no model yet)%n"
      + "  6  invalid study (400; the message names the field)%n";

  private Exit() {}
}
