package org.dure.cohort;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.LocalDate;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class ResidentRegistrationNumberTest {
  @Test void knownNumbersHaveValidCheckDigits() {
    assertTrue(ResidentRegistrationNumber.hasValidCheckDigit("971013-9019902"));
    assertTrue(ResidentRegistrationNumber.hasValidCheckDigit("931112-6271351"));
  }

  @Test void wrongLastDigitFailsTheCheck() {
    assertFalse(ResidentRegistrationNumber.hasValidCheckDigit("971013-9019903"));
  }

  @Test void malformedNumbersFailTheCheck() {
    assertFalse(ResidentRegistrationNumber.hasValidCheckDigit("9710139019902"));
    assertFalse(ResidentRegistrationNumber.hasValidCheckDigit("971013-901990"));
    assertFalse(ResidentRegistrationNumber.hasValidCheckDigit(null));
  }

  @Test void generatedNumberEncodesBirthDateSexAndCentury() {
    SplittableRandom rng = new SplittableRandom(1);
    assertTrue(ResidentRegistrationNumber.generate(LocalDate.of(1965, 5, 10), 'M', 3, rng).startsWith("650510-1"));
    assertTrue(ResidentRegistrationNumber.generate(LocalDate.of(1965, 5, 10), 'F', 3, rng).startsWith("650510-2"));
    assertTrue(ResidentRegistrationNumber.generate(LocalDate.of(2003, 1, 2), 'M', 3, rng).startsWith("030102-3"));
    assertTrue(ResidentRegistrationNumber.generate(LocalDate.of(2003, 1, 2), 'F', 3, rng).startsWith("030102-4"));
    assertTrue(ResidentRegistrationNumber.generate(LocalDate.of(1897, 10, 13), 'M', 3, rng).startsWith("971013-9"));
    assertTrue(ResidentRegistrationNumber.generate(LocalDate.of(1897, 10, 13), 'F', 3, rng).startsWith("971013-0"));
  }

  @Test void numbersForPeopleBornBefore2020CarryAreaCodeAndValidCheckDigit() {
    SplittableRandom rng = new SplittableRandom(7);
    for (int i = 0; i < 1000; i++) {
      LocalDate birth = LocalDate.of(1900, 1, 1).plusDays(rng.nextInt(43_800));
      String rrn = ResidentRegistrationNumber.generate(birth, i % 2 == 0 ? 'M' : 'F', 42, rng);
      assertTrue(rrn.matches("\\d{6}-[1-4]42\\d{4}"), rrn);
      assertTrue(ResidentRegistrationNumber.hasValidCheckDigit(rrn), rrn);
    }
  }

  @Test void numbersForPeopleBornFrom2020HaveRandomTrailingDigits() {
    SplittableRandom rng = new SplittableRandom(7);
    int valid = 0;
    for (int i = 0; i < 200; i++) {
      String rrn = ResidentRegistrationNumber.generate(LocalDate.of(2021, 3, 4), 'F', 42, rng);
      assertTrue(rrn.matches("210304-4\\d{6}"), rrn);
      if (ResidentRegistrationNumber.hasValidCheckDigit(rrn)) valid++;
    }
    assertTrue(valid < 60, "about one in ten random numbers passes the legacy check by chance, was " + valid);
  }

  @Test void sexOtherThanMOrFIsRejected() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> ResidentRegistrationNumber.generate(LocalDate.of(1990, 1, 1), 'X', 0, new SplittableRandom(1)));
    assertEquals("sex must be M or F, was X", e.getMessage());
  }
}
