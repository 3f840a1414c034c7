package org.dure.tabular;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A CSV file read one record at a time, in constant memory whatever its size (the text of one record at most).
 * Follows RFC 4180: fields may be quoted, a quote inside a quoted field is doubled ({@code ""}), and quoted fields
 * may contain the separator and line breaks. Also accepted: a UTF-8 byte-order mark, LF, CRLF or CR line ends, a
 * missing final line end, blank lines (skipped), and a bare quote inside an unquoted field (kept as is). Header names
 * are trimmed. The file must be UTF-8.
 *
 * <p>The separator is a comma unless declared otherwise ({@code ;}, tab or {@code |}). A header that holds no
 * separator but another of these characters is refused with that diagnosis ({@code the separator looks like ';'}),
 * naming the file and line, rather than read as one column or blamed on quoting.
 */
public final class CsvReader implements Records {
  /** The separators a site may declare. */
  public static final String SEPARATORS = ",;\t|";

  private final String file;
  private final Reader in;
  private final char separator;
  private final char[] buf = new char[1 << 16];
  private int pos;
  private int limit;
  private boolean first = true;
  private boolean lastWasCr;
  private int line = 1;
  private List<String> header;
  private String[] current;
  private int currentLine;
  private final List<String> fields = new ArrayList<>();
  private final StringBuilder field = new StringBuilder();

  private CsvReader(String file, Reader in, char separator) {
    this.file = file;
    this.in = in;
    this.separator = separator;
  }

  /**
   * Opens {@code file} and reads its header.
   *
   * @param separator one of {@link #SEPARATORS}
   * @throws DataException if the file is empty, not UTF-8, has a duplicate column name, or its header looks like it
   *     uses another separator
   * @throws IOException if the file cannot be read
   */
  public static CsvReader open(Path file, char separator) throws IOException, DataException {
    String name = file.getFileName() == null ? file.toString() : file.getFileName().toString();
    return open(name, Files.newInputStream(file), separator);
  }

  /** As {@link #open(Path, char)}, over a stream named {@code name} in messages; closing the reader closes it. */
  public static CsvReader open(String name, InputStream stream, char separator) throws IOException, DataException {
    if (SEPARATORS.indexOf(separator) < 0)
      throw new IllegalArgumentException("the separator must be one of , ; tab |, was '" + separator + "'");
    var decoder = StandardCharsets.UTF_8.newDecoder()
        .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
    CsvReader r = new CsvReader(name, new InputStreamReader(new BufferedInputStream(stream, 1 << 16), decoder), separator);
    try {
      r.readHeader();
    } catch (IOException | DataException | RuntimeException e) {
      r.close();
      throw e;
    }
    return r;
  }

  /** How messages name a separator: {@code comma}, {@code semicolon}, {@code tab}, {@code vertical bar}. */
  public static String separatorName(char c) {
    return switch (c) {
      case ',' -> "comma";
      case ';' -> "semicolon";
      case '\t' -> "tab";
      case '|' -> "vertical bar";
      default -> "'" + c + "'";
    };
  }

  /** The separator as written in the agent configuration: {@code ","}, {@code ";"}, {@code "\t"}, {@code "|"}. */
  public static String separatorJson(char c) {
    return c == '\t' ? "\\t" : String.valueOf(c);
  }

  @Override public String sourceName() {
    return file;
  }

  @Override public List<String> header() {
    return header;
  }

  @Override public String value(int column) {
    return current[column];
  }

  @Override public int line() {
    return currentLine;
  }

  /** The current record's values (the array is the reader's: copy it to keep it). */
  public String[] record() {
    return current;
  }

  @Override public void close() throws IOException {
    in.close();
  }

  private void readHeader() throws IOException, DataException {
    int headerLine = parseRecord();
    if (headerLine < 0)
      throw new DataException(file, 0, null, "the file is empty; expected a header row naming the columns");
    List<String> names = fields.stream().map(String::trim).toList();
    if (names.size() == 1) {
      char other = otherSeparator(fields.get(0));
      if (other != 0) throw separatorLooksLike(headerLine, other);
    }
    Map<String, Integer> seen = new HashMap<>();
    for (int i = 0; i < names.size(); i++) {
      Integer prev = seen.putIfAbsent(names.get(i), i);
      if (prev != null)
        throw new DataException(file, headerLine, names.get(i), "the header names this column twice (fields "
            + (prev + 1) + " and " + (i + 1) + "); rename one of them");
    }
    header = List.copyOf(names);
  }

  /** The separator candidate (other than ours) that {@code text} holds, the most frequent one; 0 if none. */
  private char otherSeparator(String text) {
    char best = 0;
    int bestCount = 0;
    for (char c : SEPARATORS.toCharArray()) {
      if (c == separator) continue;
      int n = 0;
      for (int i = 0; i < text.length(); i++) if (text.charAt(i) == c) n++;
      if (n > bestCount) {
        best = c;
        bestCount = n;
      }
    }
    return best;
  }

  private DataException separatorLooksLike(int headerLine, char other) {
    String declare = "\"data\": {\"csv\": \"" + file + "\", \"separator\": \"" + separatorJson(other) + "\"}";
    String fix = separator == ','
        ? "save it comma-separated (e.g. \"CSV UTF-8 (Comma delimited)\" in a spreadsheet), or declare the separator in"
            + " the agent configuration: " + declare
        : "declare the separator the file uses in the agent configuration: " + declare;
    return new DataException(file, headerLine, null, String.format(Locale.ROOT,
        "the header has no %s between column names but has %ss; the separator looks like '%s', not '%s': %s",
        separatorName(separator), separatorName(other), separatorJson(other), separatorJson(separator), fix));
  }

  @Override public boolean next() throws IOException, DataException {
    int recordLine = parseRecord();
    if (recordLine < 0) {
      current = null;
      return false;
    }
    if (fields.size() != header.size()) {
      String sep = separatorName(separator);
      throw new DataException(file, recordLine, null, "expected " + header.size() + " fields as in the header, found "
          + fields.size() + (fields.size() > header.size()
              ? "; quote values that contain " + (separator == '|' ? "vertical bars" : sep + "s")
              : "; check for a missing field or separator"));
    }
    current = fields.toArray(current == null ? new String[header.size()] : current);
    currentLine = recordLine;
    return true;
  }

  private int read() throws IOException, DataException {
    if (pos == limit) {
      try {
        limit = in.read(buf, 0, buf.length);
      } catch (CharacterCodingException e) {
        throw new DataException(file, line, null,
            "the file is not valid UTF-8 (near this line); save it as UTF-8, e.g. \"CSV UTF-8\" in a spreadsheet");
      }
      pos = 0;
      if (limit <= 0) {
        limit = 0;
        return -1;
      }
    }
    return buf[pos++];
  }

  /**
   * Parses the next non-blank record into {@link #fields}.
   *
   * @return the line it starts on, or -1 at the end of the file
   */
  private int parseRecord() throws IOException, DataException {
    fields.clear();
    field.setLength(0);
    int recordLine = line;
    int quoteLine = 0;
    boolean content = false;  // anything seen in this record, even an empty quoted field
    State state = State.FIELD_START;
    for (int c = read(); ; c = read()) {
      if (first) {
        first = false;
        if (c == '\uFEFF') continue;
      }
      if (c == -1) {
        if (state == State.QUOTED)
          throw new DataException(file, quoteLine, columnName(fields.size()),
              "the quoted field opened on this line is never closed; check for a missing closing quote");
        if (content) {
          fields.add(field.toString());
          return recordLine;
        }
        return -1;
      }
      char ch = (char) c;
      boolean crlf = ch == '\n' && lastWasCr;
      lastWasCr = ch == '\r';
      if (crlf) {
        if (state == State.QUOTED) field.append(ch);
        continue;  // the CR already ended the line (and the record, unless quoted)
      }
      boolean lineEnd = ch == '\n' || ch == '\r';
      switch (state) {
        case QUOTED -> {
          if (ch == '"') {
            state = State.QUOTE_IN_QUOTED;
          } else {
            field.append(ch);
            if (!lineEnd) {
              // the rest of the quoted text up to a quote or line end, at once
              int start = pos;
              while (pos < limit) {
                char d = buf[pos];
                if (d == '"' || d == '\n' || d == '\r') break;
                pos++;
              }
              field.append(buf, start, pos - start);
            }
          }
        }
        case QUOTE_IN_QUOTED -> {
          if (ch == '"') {
            field.append('"');
            state = State.QUOTED;
          } else if (ch == separator) {
            fields.add(field.toString());
            field.setLength(0);
            state = State.FIELD_START;
          } else if (!lineEnd) {
            if (header == null && ch != separator && SEPARATORS.indexOf(ch) >= 0) throw separatorLooksLike(line, ch);
            throw new DataException(file, line, columnName(fields.size()), "unexpected character '" + ch
                + "' after the closing quote of field " + (fields.size() + 1)
                + "; a quote inside a quoted field must be doubled (\"\")"
                + (SEPARATORS.indexOf(ch) >= 0 ? ", and fields are separated by " + separatorName(separator) + "s"
                    + (separator == ',' ? " unless \"separator\" is declared in \"data\"" : "") : ""));
          }
        }
        case FIELD_START, UNQUOTED -> {
          if (ch == separator) {
            fields.add(field.toString());
            field.setLength(0);
            state = State.FIELD_START;
            content = true;
          } else if (ch == '"' && state == State.FIELD_START) {
            state = State.QUOTED;
            quoteLine = line;
            content = true;
          } else if (!lineEnd) {
            field.append(ch);
            // the rest of the unquoted field, at once (a bare quote inside it is kept)
            int start = pos;
            while (pos < limit) {
              char d = buf[pos];
              if (d == separator || d == '\n' || d == '\r') break;
              pos++;
            }
            field.append(buf, start, pos - start);
            state = State.UNQUOTED;
            content = true;
          }
        }
      }
      if (lineEnd) {
        if (line == Integer.MAX_VALUE)
          throw new DataException(file, line, null, "the file has more than " + Integer.MAX_VALUE + " lines; split it");
        line++;
        if (state != State.QUOTED) {
          if (content) {
            fields.add(field.toString());
            return recordLine;
          }
          field.setLength(0);
          state = State.FIELD_START;
          recordLine = line;
        }
      }
    }
  }

  private String columnName(int field) {
    return header != null && field < header.size() ? header.get(field) : null;
  }

  private enum State { FIELD_START, UNQUOTED, QUOTED, QUOTE_IN_QUOTED }
}
