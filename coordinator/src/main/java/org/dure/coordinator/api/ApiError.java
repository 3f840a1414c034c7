package org.dure.coordinator.api;

/** An API failure with its HTTP status and, for bad input, the field at fault. */
final class ApiError extends RuntimeException {
  final int status;
  final String field;

  ApiError(int status, String message) {
    this(status, message, null);
  }

  ApiError(int status, String message, String field) {
    super(message);
    this.status = status;
    this.field = field;
  }
}
