package org.dure.protocol.study;

/**
 * A study definition was rejected. {@link #field()} names the offending field as a JSON path
 * (for example {@code training.learningRate} or {@code features[2].categories}), so an API can answer
 * with a message the researcher can act on.
 */
public final class StudySpecException extends RuntimeException {
  private final String field;

  public StudySpecException(String field, String message) {
    super(field + ": " + message);
    this.field = field;
  }

  /** JSON path of the field that is wrong, or {@code "$"} for the document itself. */
  public String field() {
    return field;
  }
}
