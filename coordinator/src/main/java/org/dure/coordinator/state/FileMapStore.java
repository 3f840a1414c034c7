package org.dure.coordinator.state;

import com.hazelcast.map.MapStore;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Write-through persistence for a Hazelcast map of JSON strings: one file per key in a directory,
 * written to a temporary file and renamed, so the coordinator's state survives a restart.
 * Keys are restricted to a safe file-name alphabet.
 */
final class FileMapStore implements MapStore<String, String> {
  private static final Pattern SAFE_KEY = Pattern.compile("[A-Za-z0-9._-]{1,200}");
  private final Path dir;

  FileMapStore(Path dir) {
    this.dir = dir;
    try {
      org.dure.crypto.SecureFiles.createOwnerOnlyDirectories(dir);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create state directory " + dir, e);
    }
  }

  private Path file(String key) {
    if (!SAFE_KEY.matcher(key).matches()) throw new IllegalArgumentException("unsafe state key '" + key + "'");
    return dir.resolve(key + ".json");
  }

  @Override public void store(String key, String value) {
    try {
      Path tmp = Files.createTempFile(dir, ".tmp-", ".json", org.dure.crypto.SecureFiles.ownerOnlyFile(dir));
      Files.writeString(tmp, value, StandardCharsets.UTF_8);
      Files.move(tmp, file(key), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot persist " + key + " to " + dir, e);
    }
  }

  @Override public void storeAll(Map<String, String> map) {
    map.forEach(this::store);
  }

  @Override public void delete(String key) {
    try {
      Files.deleteIfExists(file(key));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override public void deleteAll(Collection<String> keys) {
    keys.forEach(this::delete);
  }

  /**
   * The stored JSON of {@code key}, or null. A file that is not one well-formed JSON document is refused naming it: the
   * coordinator does not start on state it cannot read (no silent reset), and the file is left as it is.
   */
  @Override public String load(String key) {
    Path f = file(key);
    String json;
    try {
      if (!Files.exists(f)) return null;
      json = Files.readString(f, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the state file " + f.toAbsolutePath() + ": " + e.getMessage(), e);
    }
    try (com.fasterxml.jackson.core.JsonParser p = WELL_FORMED.createParser(json)) {
      while (p.nextToken() != null) p.skipChildren();
    } catch (IOException e) {
      String where = e instanceof com.fasterxml.jackson.core.JsonProcessingException j && j.getLocation() != null
          ? " (line " + j.getLocation().getLineNr() + ", column " + j.getLocation().getColumnNr() + ")" : "";
      throw new IllegalStateException("the state file " + f.toAbsolutePath() + " is not valid JSON" + where
          + "; the coordinator does not start on state it cannot read: restore the file from a backup, or move it out of "
          + dir.toAbsolutePath() + " to drop that entry");
    }
    return json;
  }

  /** Loads every stored entry once, so that a file that cannot be read stops the start naming it. */
  void requireReadable() {
    for (String key : loadAllKeys()) load(key);
  }

  private static final com.fasterxml.jackson.core.JsonFactory WELL_FORMED = new com.fasterxml.jackson.core.JsonFactory();

  @Override public Map<String, String> loadAll(Collection<String> keys) {
    Map<String, String> out = new HashMap<>();
    for (String k : keys) {
      String v = load(k);
      if (v != null) out.put(k, v);
    }
    return out;
  }

  @Override public Iterable<String> loadAllKeys() {
    try (var s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString())
          .filter(n -> n.endsWith(".json") && !n.startsWith("."))
          .map(n -> n.substring(0, n.length() - 5))
          .collect(Collectors.toCollection(java.util.TreeSet::new));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
