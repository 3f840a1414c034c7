package org.dure.cohort;

import java.time.LocalDate;
import java.util.random.RandomGenerator;

/**
 * Synthetic Korean resident registration numbers ({@code YYMMDD-SNNNNNN}).
 *
 * <p>{@code YYMMDD} is the birth date. {@code S} encodes century and sex: 9/0 for men/women born in
 * the 1800s, 1/2 in the 1900s, 3/4 in the 2000s. For people born before 2020 the next four digits are
 * a birth-registration area code, then a serial digit, then the legacy check digit
 * {@code C = (11 - sum(w_i * d_i) mod 11) mod 10} over the first twelve digits with weights
 * {@code 2,3,4,5,6,7,8,9,2,3,4,5}. Numbers issued since the 2020 reform carry six random digits
 * after {@code S} and no check digit; we use that form for people born in 2020 or later.
 */
final class ResidentRegistrationNumber {
  private static final int[] WEIGHTS = {2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5};

  private ResidentRegistrationNumber() {}

  /** A number for someone born on {@code birth} with {@code sex} M or F, registered in {@code area} (00..95). */
  static String generate(LocalDate birth, char sex, int area, RandomGenerator rng) {
    if (sex != 'M' && sex != 'F') throw new IllegalArgumentException("sex must be M or F, was " + sex);
    if (area < 0 || area > 99) throw new IllegalArgumentException("area must be 0..99, was " + area);
    int year = birth.getYear();
    if (year < 1800 || year > 2099) throw new IllegalArgumentException("birth year must be 1800..2099, was " + year);
    int centuryDigit = switch (year / 100) {
      case 18 -> sex == 'M' ? 9 : 0;
      case 19 -> sex == 'M' ? 1 : 2;
      default -> sex == 'M' ? 3 : 4;
    };
    StringBuilder digits = new StringBuilder(13);
    digits.append(String.format("%02d%02d%02d", year % 100, birth.getMonthValue(), birth.getDayOfMonth()));
    digits.append(centuryDigit);
    if (year >= 2020) {
      for (int i = 0; i < 6; i++) digits.append(rng.nextInt(10));
    } else {
      digits.append(String.format("%02d%02d", area, rng.nextInt(100)));
      digits.append(rng.nextInt(10) < 7 ? rng.nextInt(3) : rng.nextInt(10)); // registration serial: low values are common
      digits.append(checkDigit(digits));
    }
    return digits.substring(0, 6) + "-" + digits.substring(6);
  }

  /** The legacy check digit over the first twelve digits of {@code digits} (hyphen ignored). */
  static int checkDigit(CharSequence digits) {
    String d = digits.toString().replace("-", "");
    if (d.length() < 12) throw new IllegalArgumentException("need at least 12 digits, was " + digits);
    int sum = 0;
    for (int i = 0; i < 12; i++) sum += WEIGHTS[i] * Character.digit(d.charAt(i), 10);
    return (11 - sum % 11) % 10;
  }

  /** Whether {@code rrn} looks like {@code YYMMDD-SNNNNNN} and its last digit is the legacy check digit. */
  static boolean hasValidCheckDigit(String rrn) {
    if (rrn == null || !rrn.matches("\\d{6}-\\d{7}")) return false;
    return checkDigit(rrn) == Character.digit(rrn.charAt(13), 10);
  }
}
