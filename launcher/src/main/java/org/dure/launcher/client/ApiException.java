package org.dure.launcher.client;

/** A request that did not succeed, with the exit code it maps to and a message that says what to do. */
final class ApiException extends Exception {
  final int exitCode;
  /** The HTTP status, or 0 when no answer came (connection, TLS). */
  final int status;
  /** The input field the coordinator named, or null. */
  final String field;

  ApiException(int exitCode, int status, String field, String message, Throwable cause) {
    super(message, cause);
    this.exitCode = exitCode;
    this.status = status;
    this.field = field;
  }
}
