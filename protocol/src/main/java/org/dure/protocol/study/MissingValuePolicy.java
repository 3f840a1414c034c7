package org.dure.protocol.study;

/**
 * What a site does with a row whose feature value is empty or {@code NA}: drop the row, or impute
 * numeric features with the federated mean (and categorical ones as "no category", all zeros).
 * Counts are reported per site either way.
 */
public enum MissingValuePolicy {
  DROP("drop"), IMPUTE_MEAN("impute_mean");
  private final String wireName;
  MissingValuePolicy(String wireName) { this.wireName = wireName; }
  public String wireName() { return wireName; }
}
