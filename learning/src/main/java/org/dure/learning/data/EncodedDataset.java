package org.dure.learning.data;

/** A site's training and validation rows, encoded with the study's federated scaling. */
public record EncodedDataset(EncodedSplit train, EncodedSplit validation) {
  public EncodedDataset {
    if (train.cols() != validation.cols())
      throw new IllegalArgumentException("train has " + train.cols() + " columns but validation has " + validation.cols());
  }
}
