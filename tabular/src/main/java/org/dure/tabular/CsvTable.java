package org.dure.tabular;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A CSV file read into memory as strings: a header row naming the columns, then records of exactly as
 * many fields. Follows RFC 4180: fields may be quoted, a quote inside a quoted field is doubled
 * ({@code ""}), and quoted fields may contain commas and line breaks. Also accepted: a UTF-8 byte-order
 * mark, LF, CRLF or CR line ends, a missing final line end, blank lines (skipped), and a bare quote inside
 * an unquoted field (kept as is). Header names are trimmed. The file must be UTF-8.
 *
 * <p>Each record remembers the physical line on which it starts, so that errors found later can point
 * the data manager at the right line.
 */
public final class CsvTable {
  private final String fileName;
  private final List<String> header;
  private final Map<String, Integer> index;
  private final List<String[]> records;
  private final int[] lines;

  private CsvTable(String fileName, List<String> header, List<String[]> records, int[] lines) {
    this.fileName = fileName;
    this.header = List.copyOf(header);
    this.records = records;
    this.lines = lines;
    Map<String, Integer> idx = new HashMap<>();
    for (int i = 0; i < header.size(); i++) idx.put(header.get(i), i);
    this.index = idx;
  }

  /**
   * A table built in memory (from a database query, or by transforming another table).
   *
   * @param sourceName what errors name as the source (a file name, or e.g. {@code "query hospital-a.sql"})
   * @param lines for each record, the line (or row number) that errors should point at
   * @throws IllegalArgumentException on a duplicate column name, a record of the wrong width, or mismatched lengths
   */
  public static CsvTable of(String sourceName, List<String> header, List<String[]> records, int[] lines) {
    if (records.size() != lines.length)
      throw new IllegalArgumentException(records.size() + " records but " + lines.length + " line numbers");
    if (new java.util.HashSet<>(header).size() != header.size())
      throw new IllegalArgumentException(sourceName + ": duplicate column name in " + header);
    for (int i = 0; i < records.size(); i++) {
      if (records.get(i).length != header.size())
        throw new IllegalArgumentException(sourceName + ", line " + lines[i] + ": " + records.get(i).length
            + " fields, expected " + header.size());
    }
    return new CsvTable(sourceName, header, List.copyOf(records), lines.clone());
  }

  /**
   * Reads {@code file}.
   *
   * @throws DataException if the file is empty, not UTF-8, has a duplicate column name, a record with
   *     the wrong number of fields, or broken quoting
   * @throws IOException if the file cannot be read
   */
  public static CsvTable read(Path file) throws IOException, DataException {
    String name = file.getFileName() == null ? file.toString() : file.getFileName().toString();
    var decoder = StandardCharsets.UTF_8.newDecoder()
        .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
    try (Reader in = new BufferedReader(new InputStreamReader(Files.newInputStream(file), decoder), 1 << 16)) {
      return new Parser(name, in).parse();
    }
  }

  /** The file's name, as used in error messages. */
  public String fileName() {
    return fileName;
  }

  /** Column names in file order. */
  public List<String> header() {
    return header;
  }

  /** Position of column {@code name} in the header, or -1 if the file has no such column. */
  public int columnIndex(String name) {
    return index.getOrDefault(name, -1);
  }

  /** Number of records, not counting the header. */
  public int rowCount() {
    return records.size();
  }

  /** The raw (untrimmed) value of {@code column} in record {@code row} (both 0-based). */
  public String value(int row, int column) {
    return records.get(row)[column];
  }

  /** The 1-based physical line on which record {@code row} (0-based) starts; the header is on line 1 or later. */
  public int line(int row) {
    return lines[row];
  }

  /** A character-level RFC 4180 state machine that never holds more than one record beyond the result. */
  private static final class Parser {
    private final String file;
    private final Reader in;
    private List<String> header;
    private final List<String[]> records = new ArrayList<>();
    private final List<Integer> recordLines = new ArrayList<>();

    private int line = 1;
    private boolean lastWasCr;

    Parser(String file, Reader in) {
      this.file = file;
      this.in = in;
    }

    CsvTable parse() throws IOException, DataException {
      List<String> fields = new ArrayList<>();
      StringBuilder field = new StringBuilder();
      int recordLine = 1;
      int quoteLine = 0;
      boolean content = false;  // anything seen in this record, even an empty quoted field
      State state = State.FIELD_START;
      boolean first = true;
      try {
        for (int c = in.read(); ; c = in.read()) {
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
              endRecord(fields, recordLine);
            }
            break;
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
              if (ch == '"') state = State.QUOTE_IN_QUOTED;
              else field.append(ch);
            }
            case QUOTE_IN_QUOTED -> {
              if (ch == '"') {
                field.append('"');
                state = State.QUOTED;
              } else if (ch == ',') {
                fields.add(field.toString());
                field.setLength(0);
                state = State.FIELD_START;
              } else if (!lineEnd) {
                throw new DataException(file, line, columnName(fields.size()), "unexpected character '" + ch
                    + "' after the closing quote of field " + (fields.size() + 1)
                    + "; a quote inside a quoted field must be doubled (\"\")");
              }
            }
            case FIELD_START, UNQUOTED -> {
              if (ch == ',') {
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
                state = State.UNQUOTED;
                content = true;
              }
            }
          }
          if (lineEnd) {
            if (state != State.QUOTED) {
              if (content) {
                fields.add(field.toString());
                endRecord(fields, recordLine);
              }
              fields = new ArrayList<>();
              field.setLength(0);
              content = false;
              state = State.FIELD_START;
              recordLine = line + 1;
            }
            line++;
          }
        }
      } catch (CharacterCodingException e) {
        throw new DataException(file, line, null,
            "the file is not valid UTF-8 (near this line); save it as UTF-8, e.g. \"CSV UTF-8\" in a spreadsheet");
      }
      if (header == null)
        throw new DataException(file, 0, null, "the file is empty; expected a header row naming the columns");
      int[] lines = recordLines.stream().mapToInt(Integer::intValue).toArray();
      return new CsvTable(file, header, Collections.unmodifiableList(records), lines);
    }

    private void endRecord(List<String> fields, int recordLine) throws DataException {
      if (header == null) {
        List<String> names = fields.stream().map(String::trim).toList();
        Map<String, Integer> seen = new HashMap<>();
        for (int i = 0; i < names.size(); i++) {
          Integer prev = seen.putIfAbsent(names.get(i), i);
          if (prev != null)
            throw new DataException(file, recordLine, names.get(i), "the header names this column twice (fields "
                + (prev + 1) + " and " + (i + 1) + "); rename one of them");
        }
        header = names;
        return;
      }
      if (fields.size() != header.size()) {
        throw new DataException(file, recordLine, null, "expected " + header.size() + " fields as in the header, found "
            + fields.size() + (fields.size() > header.size()
                ? "; quote values that contain commas" : "; check for a missing field or separator"));
      }
      records.add(fields.toArray(new String[0]));
      recordLines.add(recordLine);
    }

    private String columnName(int field) {
      return header != null && field < header.size() ? header.get(field) : null;
    }
  }

  private enum State { FIELD_START, UNQUOTED, QUOTED, QUOTE_IN_QUOTED }
}
