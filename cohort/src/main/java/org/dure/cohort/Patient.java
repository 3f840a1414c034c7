package org.dure.cohort;

import java.time.LocalDate;

/**
 * One synthetic patient as the hospital recorded them. Clinical values are the <em>recorded</em> ones:
 * they include the site's measurement offsets and are {@code null} where the cell is missing.
 * {@code outcomeProbability} is the true model's probability, computed from the true values; it is not
 * written to the CSV.
 *
 * @param patientId study pseudonym, site code and sequence, e.g. {@code A-000017}
 * @param mrn medical record number with the hospital's prefix, e.g. {@code HA-20481733}
 * @param name Korean full name in Hangul, family name first
 * @param rrn resident registration number {@code YYMMDD-SNNNNNN}
 * @param birthDate date of birth
 * @param phone mobile number {@code 010-XXXX-XXXX}
 * @param address road-name address
 * @param age completed years on {@link CohortGenerator#REFERENCE_DATE}
 * @param sex {@code M} or {@code F}
 * @param region province of residence
 * @param bmi body-mass index, kg/m², one decimal
 * @param sbp systolic blood pressure, mmHg
 * @param glucose fasting plasma glucose, mg/dL
 * @param ldl LDL cholesterol, mg/dL
 * @param creatinine serum creatinine, mg/dL, two decimals
 * @param smokingStatus {@code never}, {@code former} or {@code current}
 * @param outcome 1 if the patient had the outcome, else 0
 * @param outcomeProbability probability of the outcome under the true model
 */
public record Patient(String patientId, String mrn, String name, String rrn, LocalDate birthDate, String phone,
                      String address, int age, String sex, String region, Double bmi, Double sbp, Double glucose,
                      Double ldl, Double creatinine, String smokingStatus, int outcome, double outcomeProbability) {}
