package org.dure.cohort;

import java.util.List;

/**
 * The patients of one synthetic hospital.
 *
 * @param site site name, e.g. {@code hospital-a}
 * @param description what kind of hospital this is and how it differs from the others
 * @param missingToken how the site's export writes a missing cell: empty or {@code NA}
 * @param patients the patients, in file order
 */
public record SiteCohort(String site, String description, String missingToken, List<Patient> patients) {
  public SiteCohort {
    patients = List.copyOf(patients);
  }

  /** The file this site is written to, {@code <site>.csv}. */
  public String fileName() {
    return site + ".csv";
  }

  public int positives() {
    return (int) patients.stream().filter(p -> p.outcome() == 1).count();
  }

  /** Fraction of patients with outcome 1 (0 for an empty site). */
  public double prevalence() {
    return patients.isEmpty() ? 0 : (double) positives() / patients.size();
  }
}
