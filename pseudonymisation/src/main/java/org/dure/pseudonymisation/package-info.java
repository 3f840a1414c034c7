/**
 * Pseudonymisation at the hospital, before any study sees the data: identifier columns deleted, patient
 * ids replaced by keyed-hash pseudonyms, quasi-identifiers generalised, records of rare combinations
 * suppressed to reach k-anonymity, and a report of all of it. Entry points: {@link
 * org.dure.pseudonymisation.PseudonymisationConfig} (the agent config's {@code "pseudonymisation"} section)
 * and {@link org.dure.pseudonymisation.Pseudonymiser}. See {@code docs/pseudonymisation.md}.
 */
package org.dure.pseudonymisation;
