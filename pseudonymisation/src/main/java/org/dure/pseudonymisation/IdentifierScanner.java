package org.dure.pseudonymisation;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.dure.learning.data.CsvTable;
import org.dure.pseudonymisation.IdentifierFoundException.Finding;
import org.dure.pseudonymisation.IdentifierFoundException.Kind;

/**
 * Looks for direct identifiers in the columns the config does not declare, anywhere inside a value (so free
 * text such as a note that mentions a phone number is caught too).
 *
 * <p>A column whose name is that of a direct identifier ({@code name}, {@code 성명}, {@code phone}, {@code 주소},
 * {@code mrn}, ...) is refused by its name alone, since names and addresses in Hangul cannot be told from
 * other text by pattern.
 *
 * <p>One matching value is enough to refuse: a single resident registration number passed on is a breach,
 * while a false alarm costs the data officer one line of config. The patterns are strict enough that
 * clinical numbers do not match them: a resident registration number is a valid {@code YYMMDD} date, a
 * gender/century digit 1..8 and six digits (the check digit is <em>not</em> verified, since numbers issued
 * since October 2020 have none); phone numbers start with a real Korean prefix; digits must not run on
 * before or after.
 */
final class IdentifierScanner {
  private static final String NOT_DIGIT_BEFORE = "(?<![0-9.])";
  private static final String NOT_DIGIT_AFTER = "(?![0-9])";
  private static final Pattern RRN = Pattern.compile(NOT_DIGIT_BEFORE
      + "\\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\\d|3[01])\\s?[-‐–]?\\s?[1-8]\\d{6}" + NOT_DIGIT_AFTER);
  private static final String SEP = "[-. )]?";
  private static final Pattern PHONE = Pattern.compile(
      // mobile 010/011/016-019; landlines 02 (Seoul), 031-064 area codes, 070 internet phones; 15xx/16xx/18xx numbers are businesses
      NOT_DIGIT_BEFORE + "(?:\\(?0(?:1[016789]|2|3[1-3]|4[1-4]|5[1-5]|6[1-4]|70)\\)?|\\+82[- ]?\\(?0?(?:1[016789]|2|3[1-3]|4[1-4]|5[1-5]|6[1-4]|70)\\)?)"
          + SEP + "\\d{3,4}" + SEP + "\\d{4}" + NOT_DIGIT_AFTER);
  private static final Pattern EMAIL = Pattern.compile(
      "[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\\.[A-Za-z0-9-]+)*\\.[A-Za-z]{2,}");

  /**
   * Column names (lower case, without spaces, {@code _}, {@code -} and {@code .}) that name a direct identifier.
   * Names in Hangul, such as a patient's name, cannot be told from other text by their values, so an
   * undeclared column called {@code name} or {@code 성명} is refused by its name.
   */
  private static final java.util.Set<String> IDENTIFIER_NAMES = java.util.Set.of(
      "name", "fullname", "patientname", "firstname", "lastname", "이름", "성명", "환자명", "환자이름", "성함",
      "rrn", "ssn", "residentregistrationnumber", "residentnumber", "주민번호", "주민등록번호",
      "phone", "phonenumber", "mobile", "cellphone", "tel", "telephone", "전화", "전화번호", "휴대폰", "휴대전화", "연락처",
      "email", "mail", "emailaddress", "이메일", "전자우편",
      "address", "homeaddress", "주소", "상세주소", "addressdetail",
      "mrn", "medicalrecordnumber", "등록번호", "병록번호", "차트번호", "환자번호");

  private IdentifierScanner() {}

  /** Whether {@code column}'s name is that of a direct identifier. */
  static boolean identifierName(String column) {
    return IDENTIFIER_NAMES.contains(column.toLowerCase(java.util.Locale.ROOT).replaceAll("[\\s_.-]", ""));
  }

  /** A finding for each kind of identifier found in each of {@code columns} (indexes into {@code table}), in table order. */
  static List<Finding> scan(CsvTable table, List<Integer> columns) {
    List<Finding> findings = new ArrayList<>();
    for (int c : columns) {
      if (identifierName(table.header().get(c))) {
        int values = 0;
        for (int r = 0; r < table.rowCount(); r++) if (!Technique.missing(table.value(r, c))) values++;
        findings.add(new Finding(table.header().get(c), Kind.IDENTIFIER_COLUMN_NAME, values, values));
        continue;
      }
      Map<Kind, Integer> counts = new EnumMap<>(Kind.class);
      int values = 0;
      for (int r = 0; r < table.rowCount(); r++) {
        String v = table.value(r, c);
        if (Technique.missing(v)) continue;
        values++;
        Kind k = kindOf(v);
        if (k != null) counts.merge(k, 1, Integer::sum);
      }
      for (Map.Entry<Kind, Integer> e : counts.entrySet())
        findings.add(new Finding(table.header().get(c), e.getKey(), e.getValue(), values));
    }
    return findings;
  }

  /** The kind of identifier {@code value} contains, or null. */
  static Kind kindOf(String value) {
    boolean digits = false;
    boolean at = false;
    for (int i = 0; i < value.length() && !(digits && at); i++) {
      char ch = value.charAt(i);
      digits |= ch >= '0' && ch <= '9';
      at |= ch == '@';
    }
    if (digits && RRN.matcher(value).find()) return Kind.RESIDENT_REGISTRATION_NUMBER;
    if (digits && PHONE.matcher(value).find()) return Kind.PHONE_NUMBER;
    if (at && EMAIL.matcher(value).find()) return Kind.EMAIL_ADDRESS;
    return null;
  }
}
