package org.dure.ledger;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/** Reads a JSON-lines file line by line with each line's byte offset, bounding line length. */
final class LineScanner implements Closeable {
  /**
   * One line without its newline.
   *
   * @param number 0-based line number
   * @param offset byte offset of the line's first byte
   * @param bytes the line, or the first {@code maxLine} bytes of a longer one
   * @param length the line's full length in bytes
   * @param terminated whether a newline ends it (false only for an incomplete last line)
   */
  record Line(long number, long offset, byte[] bytes, long length, boolean terminated) {
    boolean tooLong() {
      return length > bytes.length;
    }
  }

  private final InputStream in;
  private final int maxLine;
  private final byte[] buffer = new byte[1 << 16];
  private int position;
  private int limit;
  private long bufferOffset;
  private long number;

  LineScanner(Path file, int maxLine) throws IOException {
    this.in = Files.newInputStream(file);
    this.maxLine = maxLine;
  }

  /** The next line, or null at the end of the file. */
  Line next() throws IOException {
    long start = bufferOffset + position;
    byte[] line = new byte[256];
    int kept = 0;
    long length = 0;
    while (true) {
      if (position == limit && !fill()) {
        if (length == 0) return null;
        return new Line(number++, start, Arrays.copyOf(line, kept), length, false);
      }
      int from = position;
      int nl = from;
      while (nl < limit && buffer[nl] != '\n') nl++;
      int n = nl - from;
      int keep = Math.min(n, Math.max(0, maxLine - kept));
      if (keep > 0) {
        if (kept + keep > line.length) line = Arrays.copyOf(line, Math.max(kept + keep, line.length * 2));
        System.arraycopy(buffer, from, line, kept, keep);
        kept += keep;
      }
      length += n;
      position = nl;
      if (nl < limit) {
        position++;
        return new Line(number++, start, Arrays.copyOf(line, kept), length, true);
      }
    }
  }

  private boolean fill() throws IOException {
    bufferOffset += limit;
    position = 0;
    limit = 0;
    int n = in.readNBytes(buffer, 0, buffer.length);
    limit = n;
    return n > 0;
  }

  @Override public void close() throws IOException {
    in.close();
  }
}
