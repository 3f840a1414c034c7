package org.dure.pseudonymisation;

import java.text.Normalizer;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.dure.tabular.CsvTable;
import org.dure.tabular.Records;
import org.dure.pseudonymisation.IdentifierFoundException.Finding;
import org.dure.pseudonymisation.IdentifierFoundException.Kind;

/**
 * Looks for direct identifiers in the columns the config does not declare, anywhere inside a value (so free
 * text such as a note that mentions a phone number is caught too).
 *
 * <p>Every value is first {@linkplain #normalise normalised}: NFKC (full-width digits, {@code ＠}, {@code ＋} and
 * ideographic spaces become ASCII), every Unicode dash (en dash, em dash, minus sign, ...) becomes {@code -}, dots
 * ({@code ·}, {@code 。}, ...) {@code .}, slashes {@code /}, spaces a space, digits of any script ASCII digits,
 * and invisible format characters (zero-width space, soft hyphen, ...) are dropped. The patterns then allow any of
 * {@code - . /} and spaces between digit groups.
 *
 * <p>A column whose name is that of a direct identifier ({@code name}, {@code 성명}, {@code pt_name},
 * {@code address1}, {@code dob}, {@code 주소}, {@code mrn}, ...) is refused by its name alone, since names and
 * addresses in Hangul cannot be told from other text by pattern. A column of free text is refused unless the
 * config lists it in {@code freeTextColumns}, for the same reason. Two adjacent columns that hold the two halves
 * of resident registration numbers ({@code 850615} | {@code 1234567}) are both refused.
 *
 * <p>One matching value is enough to refuse: a single resident registration number passed on is a breach,
 * while a false alarm costs the data officer one line of config. The patterns are strict enough that
 * clinical numbers do not match them: a resident registration number is a valid {@code YYMMDD} date, a
 * gender/century digit 1..8 and six digits (the check digit is <em>not</em> verified, since numbers issued
 * since October 2020 have none); Korean phone numbers start with a real Korean prefix, foreign ones with
 * {@code +} (or {@code 00} and a separator) and a country code; digits must not run on before or after.
 */
final class IdentifierScanner {
  /**
   * Changes whenever the scan finds more than before, so that results cached under an earlier scan are scanned
   * again (it is part of the cache key).
   */
  static final String VERSION = "2";

  private static final String NOT_DIGIT_BEFORE = "(?<![0-9.])";
  private static final String NOT_DIGIT_AFTER = "(?![0-9])";
  /** Between digit groups, after normalisation: up to three of hyphen, dot, slash and space, or none. */
  private static final String SEP = "[-./ \\t\\n\\r]{0,3}";
  private static final String YYMMDD = "\\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\\d|3[01])";
  private static final Pattern RRN = Pattern.compile(NOT_DIGIT_BEFORE + YYMMDD + SEP + "[1-8]\\d{6}" + NOT_DIGIT_AFTER);
  private static final Pattern RRN_FRONT = Pattern.compile(YYMMDD);
  private static final Pattern RRN_BACK = Pattern.compile("[1-8]\\d{6}");

  /** Korean area codes without the leading 0: mobile 10/11/16-19, Seoul 2, 31-64, internet 70, personal 502-508. */
  private static final String KR_AREA = "(?:1[016789]|2|3[1-3]|4[1-4]|5[1-5]|6[1-4]|70|50[2-8])";
  private static final Pattern PHONE = Pattern.compile(NOT_DIGIT_BEFORE + "(?:"
      + "\\(?0" + KR_AREA + "\\)?"  // 010-..., (02) ...
      // +82 10, 0082-10, +82 (0)10; a bare 82 only with a separator (82-10-...), as ten-digit record numbers start with 82 too
      + "|(?:(?:\\+|00)[ ]?82|(?<![0-9+])82(?=[-./ ]))" + SEP + "(?:\\(0\\)|0)?" + SEP + "\\(?" + KR_AREA + "\\)?"
      + ")" + SEP + "\\d{3,4}" + SEP + "\\d{4}" + NOT_DIGIT_AFTER);
  /**
   * E.164: {@code +} or the international prefix {@code 00}, a country code (not starting with 0) and in all 8 to 15
   * digits, in groups separated by spaces, hyphens, dots, slashes or parentheses.
   */
  private static final Pattern FOREIGN_PHONE = Pattern.compile(
      NOT_DIGIT_BEFORE + "(\\+|00)[ ]?[1-9](?:[-./ ()]{0,3}\\d){7,14}" + NOT_DIGIT_AFTER);
  private static final String DOMAIN_DOT = "(?:\\.|\\s*[\\[({]\\s*dot\\s*[\\])}]\\s*)";
  private static final Pattern EMAIL = Pattern.compile(
      "[A-Za-z0-9._%+-]+(?: ?@ ?|\\s*[\\[({<]\\s*at\\s*[\\])}>]\\s*)[A-Za-z0-9-]+(?:" + DOMAIN_DOT + "[A-Za-z0-9-]+)*"
          + DOMAIN_DOT + "[A-Za-z]{2,}", Pattern.CASE_INSENSITIVE);

  /**
   * Normalised column names ({@link #normaliseName}) that name a direct identifier. Names in Hangul, such as a
   * patient's name, cannot be told from other text by their values, so an undeclared column called {@code name},
   * {@code 환자성명} or {@code address1} is refused by its name.
   */
  private static final Set<String> IDENTIFIER_NAMES = Set.of(
      // names
      "name", "fullname", "firstname", "lastname", "surname", "givenname", "familyname", "middlename", "koreanname",
      "englishname", "이름", "성명", "성함", "환자명", "수진자명", "한글이름", "한글성명", "영문이름", "영문성명",
      // resident registration, social security and other national numbers
      "rrn", "ssn", "jumin", "juminbunho", "residentregistration", "residentregistrationnumber", "residentnumber",
      "socialsecurity", "socialsecuritynumber", "주민번호", "주민등록번호", "주민등록", "외국인등록번호", "passport",
      "passportnumber", "여권번호",
      // phones
      "phone", "phonenumber", "mobile", "mobilephone", "cellphone", "cellular", "tel", "telephone", "전화", "전화번호",
      "휴대폰", "핸드폰", "휴대전화", "연락처",
      // e-mail
      "email", "mail", "emailaddress", "이메일", "이메일주소", "전자우편",
      // addresses
      "address", "addr", "homeaddress", "addressdetail", "addressline", "street", "streetaddress", "zip", "zipcode",
      "postcode", "postalcode", "주소", "주소지", "상세주소", "도로명주소", "지번주소", "거주지", "우편번호",
      // birth dates
      "dob", "birth", "birthdate", "dateofbirth", "birthday", "생년월일", "생일", "출생일",
      // medical record numbers
      "mrn", "medicalrecordnumber", "등록번호", "병록번호", "차트번호", "환자번호");
  /** Whose identifier it is: {@code pt_name}, {@code patient_address}, {@code 환자성명}, {@code 보호자연락처}. */
  private static final List<String> NAME_PREFIXES = List.of("patient", "pat", "pt", "guardian", "home", "contact",
      "환자", "보호자", "자택");
  /** How the value is split or written: {@code phone_no}, {@code rrn_front}, {@code jumin_back}, {@code 휴대폰번호}. */
  private static final List<String> NAME_SUFFIXES = List.of("number", "num", "no", "nr", "front", "back", "번호",
      "앞자리", "뒷자리");

  /** A value counts towards free text from this many code points, or this many words. */
  private static final int FREE_TEXT_LENGTH = 40;
  private static final int FREE_TEXT_WORDS = 4;

  private IdentifierScanner() {}

  /**
   * {@code column} in the form {@link #IDENTIFIER_NAMES} lists: NFKC, lower case, only letters and digits, and
   * without a trailing number ({@code "Address 1"} → {@code address}, {@code "PT_NAME"} → {@code ptname}).
   */
  static String normaliseName(String column) {
    String s = Normalizer.normalize(column, Normalizer.Form.NFKC).toLowerCase(Locale.ROOT);
    StringBuilder b = new StringBuilder(s.length());
    s.codePoints().filter(Character::isLetterOrDigit).forEach(b::appendCodePoint);
    int end = b.length();
    while (end > 0 && b.charAt(end - 1) >= '0' && b.charAt(end - 1) <= '9') end--;
    return end == 0 ? b.toString() : b.substring(0, end);
  }

  /** Whether {@code column}'s name is that of a direct identifier, alone or with a prefix or suffix such as {@code pt_} or {@code _no}. */
  static boolean identifierName(String column) {
    String n = normaliseName(column);
    if (IDENTIFIER_NAMES.contains(n)) return true;
    List<String> bases = new ArrayList<>(List.of(n));
    for (String p : NAME_PREFIXES) if (n.length() > p.length() && n.startsWith(p)) bases.add(n.substring(p.length()));
    for (String base : bases) {
      if (IDENTIFIER_NAMES.contains(base)) return true;
      for (String s : NAME_SUFFIXES) {
        if (base.length() > s.length() && base.endsWith(s)
            && IDENTIFIER_NAMES.contains(base.substring(0, base.length() - s.length()))) return true;
      }
    }
    return false;
  }

  /**
   * {@code value} as the patterns see it: NFKC; every dash {@code -}, every dot {@code .}, every slash {@code /},
   * every space a space, every decimal digit an ASCII digit; format characters (zero-width spaces, soft hyphens,
   * ...) removed. ASCII text is returned as it is.
   */
  static String normalise(String value) {
    boolean ascii = true;
    for (int i = 0; i < value.length() && ascii; i++) ascii = value.charAt(i) < 0x80;
    if (ascii) return value;
    String s = Normalizer.normalize(value, Normalizer.Form.NFKC);
    StringBuilder b = new StringBuilder(s.length());
    s.codePoints().forEach(cp -> {
      if (cp < 0x80) {
        b.append((char) cp);
        return;
      }
      int type = Character.getType(cp);
      if (type == Character.FORMAT) return;
      if (type == Character.DECIMAL_DIGIT_NUMBER) b.append((char) ('0' + Character.digit(cp, 10)));
      else if (type == Character.DASH_PUNCTUATION || DASHES.indexOf(cp) >= 0) b.append('-');
      else if (DOTS.indexOf(cp) >= 0) b.append('.');
      else if (SLASHES.indexOf(cp) >= 0) b.append('/');
      else if (Character.isWhitespace(cp) || Character.isSpaceChar(cp)) b.append(' ');
      else b.appendCodePoint(cp);
    });
    return b.toString();
  }

  /** Dashes that are not Unicode dash punctuation: minus signs, the katakana long vowel mark, box-drawing lines. */
  private static final String DASHES = "\u2212\u2043\u02D7\u2796\u30FC\u2500\u2501\u23AF\uFE63\uFF0D";
  /** Middle dots, bullets and ideographic full stops. */
  private static final String DOTS = "\u00B7\u2027\u30FB\u3002\u2022\u2219\u22C5\u2024\uFF0E";
  /** Fraction and division slashes, and the backslash's cousins. */
  private static final String SLASHES = "\u2044\u2215\u29F8\u2571\uFF0F";

  /** As {@link #scan(CsvTable, List, Set)} with no column declared free text. */
  static List<Finding> scan(CsvTable table, List<Integer> columns) {
    return scan(table, columns, Set.of());
  }

  /**
   * A finding for each kind of identifier found in each of {@code columns} (indexes into {@code table}), in table
   * order.
   *
   * @param freeText names of columns the config declares free text: still scanned for patterns, not refused as free text
   */
  static List<Finding> scan(CsvTable table, List<Integer> columns, Set<String> freeText) {
    Scan scan = new Scan(table.header(), columns, freeText);
    try (Records r = table.open()) {
      while (r.next()) scan.add(r);
    } catch (java.io.IOException | org.dure.tabular.DataException e) {
      throw new IllegalStateException(e); // a table in memory neither fails to read nor is malformed
    }
    return scan.findings();
  }

  /**
   * The scan of a table read one record at a time ({@link #add} each record, then {@link #findings}): it keeps counts
   * per column and per pair of adjacent columns, never the values, except the distinct long or wordy values of a
   * column, of which it keeps at most {@value #DISTINCT_WORDY_KEPT} (beyond them, the share of distinct values
   * among the first {@value #DISTINCT_WORDY_KEPT} decides).
   */
  static final class Scan {
    private final List<String> header;
    private final Set<String> freeText;
    private final boolean[] scanned;
    private final boolean[] byName;
    private final int[] values;
    private final int[] wordy;
    private final List<Set<String>> distinctWordy = new ArrayList<>();
    private final List<Map<Kind, Integer>> counts = new ArrayList<>();
    /** Per adjacent pair (c, c + 1): rows where both have a value, and rows that look like front|back and back|front. */
    private final int[] both;
    private final int[] frontBack;
    private final int[] backFront;

    Scan(List<String> header, List<Integer> columns, Set<String> freeText) {
      this.header = header;
      this.freeText = freeText;
      int width = header.size();
      scanned = new boolean[width];
      byName = new boolean[width];
      values = new int[width];
      wordy = new int[width];
      for (int c = 0; c < width; c++) {
        distinctWordy.add(null);
        counts.add(null);
      }
      for (int c : columns) {
        scanned[c] = true;
        byName[c] = identifierName(header.get(c));
        distinctWordy.set(c, new HashSet<>());
        counts.set(c, new EnumMap<>(Kind.class));
      }
      both = new int[Math.max(0, width - 1)];
      frontBack = new int[both.length];
      backFront = new int[both.length];
    }

    /** Counts the current record of {@code r}. */
    void add(Records r) {
      int width = header.size();
      boolean previousPresent = false;
      String previous = null;
      for (int c = 0; c < width; c++) {
        boolean pairs = (c > 0 && (scanned[c - 1] || scanned[c])) || (c + 1 < width && (scanned[c] || scanned[c + 1]));
        if (!scanned[c] && !pairs) {
          previousPresent = false;
          continue;
        }
        String v = r.value(c);
        boolean present = !Technique.missing(v);
        if (scanned[c] && present) {
          values[c]++;
          if (!byName[c]) {
            String n = normalise(v);
            Kind k = kindOfNormalised(n);
            if (k != null) counts.get(c).merge(k, 1, Integer::sum);
            if (wordy(n)) {
              wordy[c]++;
              Set<String> d = distinctWordy.get(c);
              if (wordy[c] <= DISTINCT_WORDY_KEPT) d.add(n.trim());
            }
          }
        }
        if (c > 0 && present && previousPresent && (scanned[c - 1] || scanned[c])) {
          both[c - 1]++;
          String a = half(previous);
          String b = half(v);
          if (a.length() == 6 && b.length() == 7 && RRN_FRONT.matcher(a).matches() && RRN_BACK.matcher(b).matches())
            frontBack[c - 1]++;
          if (b.length() == 6 && a.length() == 7 && RRN_FRONT.matcher(b).matches() && RRN_BACK.matcher(a).matches())
            backFront[c - 1]++;
        }
        previousPresent = present;
        previous = v;
      }
    }

    /** A finding for each kind of identifier found in each scanned column, in table order. */
    List<Finding> findings() {
      int width = header.size();
      @SuppressWarnings("unchecked")
      List<Finding>[] byColumn = new List[width];
      for (int c = 0; c < width; c++) {
        if (!scanned[c]) continue;
        byColumn[c] = new ArrayList<>();
        String name = header.get(c);
        if (byName[c]) {
          byColumn[c].add(new Finding(name, Kind.IDENTIFIER_COLUMN_NAME, values[c], values[c]));
          continue;
        }
        Map<Kind, Integer> found = counts.get(c);
        int distinct = distinctWordy.get(c).size();
        int sample = Math.min(wordy[c], DISTINCT_WORDY_KEPT);
        // free text: at least a tenth of the values are long or several words, and most of those are different
        if (!freeText.contains(name) && wordy[c] > 0 && wordy[c] * 10L >= values[c] && distinct * 2L >= sample)
          found.put(Kind.FREE_TEXT, wordy[c]);
        for (Map.Entry<Kind, Integer> e : found.entrySet())
          byColumn[c].add(new Finding(name, e.getKey(), e.getValue(), values[c]));
      }
      for (int c = 0; c + 1 < width; c++) {
        if (!scanned[c] && !scanned[c + 1]) continue;
        int split = Math.max(split(frontBack[c], both[c]), split(backFront[c], both[c]));
        if (split == 0) continue;
        for (int member : new int[] {c, c + 1}) {
          if (scanned[member] && !byName[member])
            byColumn[member].add(new Finding(header.get(member), Kind.SPLIT_RESIDENT_REGISTRATION_NUMBER, split,
                values[member]));
        }
      }
      List<Finding> findings = new ArrayList<>();
      for (int c = 0; c < width; c++) {
        if (byColumn[c] == null) continue;
        byColumn[c].stream().filter(f -> f.kind() != Kind.SPLIT_RESIDENT_REGISTRATION_NUMBER).forEach(findings::add);
        byColumn[c].stream().filter(f -> f.kind() == Kind.SPLIT_RESIDENT_REGISTRATION_NUMBER).limit(1).forEach(findings::add);
      }
      return findings;
    }

    /**
     * A split number's count if most rows where both columns have a value match (a birth-date column next to a column
     * of seven-digit codes matches in a few rows by chance, never in most); else 0.
     */
    private static int split(int matches, int both) {
      return matches > 0 && matches * 2L >= both ? matches : 0;
    }
  }

  /** How many distinct wordy values of a column the scan keeps (see {@link Scan}). */
  static final int DISTINCT_WORDY_KEPT = 50_000;

  /** A cell as one half of a split number: normalised, without separators at either end. */
  private static String half(String value) {
    String n = normalise(value);
    int start = 0;
    int end = n.length();
    while (start < end && "-./ \t".indexOf(n.charAt(start)) >= 0) start++;
    while (end > start && "-./ \t".indexOf(n.charAt(end - 1)) >= 0) end--;
    return n.substring(start, end);
  }

  /**
   * Whether a (normalised) value reads like a sentence: it has letters and is long or has several words (runs of
   * characters between whitespace, as {@code split("\\s+")} counts them).
   */
  private static boolean wordy(String value) {
    String t = value.strip();
    boolean letter = false;
    for (int i = 0; i < t.length() && !letter; ) {
      int cp = t.codePointAt(i);
      letter = Character.isLetter(cp);
      i += Character.charCount(cp);
    }
    if (!letter) return false;
    if (t.length() >= FREE_TEXT_LENGTH && t.codePointCount(0, t.length()) >= FREE_TEXT_LENGTH) return true;
    int words = 1;
    boolean inSpace = false;
    for (int i = 0; i < t.length(); i++) {
      char ch = t.charAt(i);
      boolean space = ch == ' ' || ch == '\t' || ch == '\n' || ch == 0x0B || ch == '\f' || ch == '\r';
      if (space && !inSpace) words++;
      inSpace = space;
    }
    return words >= FREE_TEXT_WORDS;
  }

  /** The kind of identifier {@code value} contains, or null. */
  static Kind kindOf(String value) {
    return kindOfNormalised(normalise(value));
  }

  private static Kind kindOfNormalised(String value) {
    // every number pattern has at least 8 digits (foreign phones; Korean phones 9, RRNs 13): fewer cannot match
    int digitCount = 0;
    boolean at = false;
    for (int i = 0; i < value.length(); i++) {
      char ch = value.charAt(i);
      if (ch >= '0' && ch <= '9') digitCount++;
      else at |= ch == '@' || ch == '[' || ch == '(' || ch == '{' || ch == '<';
    }
    boolean digits = digitCount >= 8;
    if (digits && RRN.matcher(value).find()) return Kind.RESIDENT_REGISTRATION_NUMBER;
    if (digits && (PHONE.matcher(value).find() || foreignPhone(value))) return Kind.PHONE_NUMBER;
    if (at && EMAIL.matcher(value).find()) return Kind.EMAIL_ADDRESS;
    return null;
  }

  /**
   * Whether {@code value} holds an international number. With {@code 00} rather than {@code +} it must be written
   * with a separator somewhere, as people write phone numbers: zero-padded record numbers ({@code 0012345678}) are
   * not phones.
   */
  private static boolean foreignPhone(String value) {
    Matcher m = FOREIGN_PHONE.matcher(value);
    while (m.find()) {
      if (m.group(1).equals("+")) return true;
      String number = m.group().substring(2);
      for (int i = 0; i < number.length(); i++) if (number.charAt(i) < '0' || number.charAt(i) > '9') return true;
    }
    return false;
  }
}
