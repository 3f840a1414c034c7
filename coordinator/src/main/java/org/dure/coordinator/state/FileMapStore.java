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

  @Override public String load(String key) {
    try {
      Path f = file(key);
      return Files.exists(f) ? Files.readString(f, StandardCharsets.UTF_8) : null;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

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
