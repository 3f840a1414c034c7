package org.dure.ledger;

/**
 * Checks the site signature carried by a site-signed entry, for {@link LogVerifier}: the ledger stores the
 * signature but only the caller knows the site's key (its consortium certificate) and what statement the
 * signature covers for each event type (see {@code org.dure.crypto.sign.SiteSignatures}).
 */
@FunctionalInterface
public interface SiteSignatureCheck {
  /** Whether {@code entry.siteSignature()} is {@code siteId}'s valid signature for this entry. */
  boolean verify(String siteId, LedgerEntry entry);
}
