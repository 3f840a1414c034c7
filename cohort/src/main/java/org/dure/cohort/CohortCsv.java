package org.dure.cohort;

import java.io.IOException;
import java.io.Writer;
import java.util.List;
import java.util.Locale;

/** Writes a site's patients as RFC 4180 CSV: header row, CRLF line ends, fields quoted only when needed. */
final class CohortCsv {
  static final List<String> COLUMNS = List.of("patient_id", "mrn", "name", "rrn", "birth_date", "phone", "address",
      "age", "sex", "region", "bmi", "sbp", "glucose", "ldl", "creatinine", "smoking_status", "outcome");

  private CohortCsv() {}

  static void write(SiteCohort site, Writer out) throws IOException {
    writeRow(out, COLUMNS);
    String na = site.missingToken();
    for (Patient p : site.patients()) {
      writeRow(out, List.of(p.patientId(), p.mrn(), p.name(), p.rrn(), p.birthDate().toString(), p.phone(),
          p.address(), Integer.toString(p.age()), p.sex(), p.region(),
          number(p.bmi(), 1, na), number(p.sbp(), 0, na), number(p.glucose(), 0, na), number(p.ldl(), 0, na),
          number(p.creatinine(), 2, na), p.smokingStatus() == null ? na : p.smokingStatus(),
          Integer.toString(p.outcome())));
    }
  }

  private static String number(Double v, int decimals, String missing) {
    if (v == null) return missing;
    return decimals == 0 ? Long.toString(Math.round(v)) : String.format(Locale.ROOT, "%." + decimals + "f", v);
  }

  private static void writeRow(Writer out, List<String> fields) throws IOException {
    for (int i = 0; i < fields.size(); i++) {
      if (i > 0) out.write(',');
      out.write(quote(fields.get(i)));
    }
    out.write("\r\n");
  }

  static String quote(String field) {
    if (field.indexOf(',') < 0 && field.indexOf('"') < 0 && field.indexOf('\n') < 0 && field.indexOf('\r') < 0)
      return field;
    return '"' + field.replace("\"", "\"\"") + '"';
  }
}
