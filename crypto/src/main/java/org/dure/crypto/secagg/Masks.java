package org.dure.crypto.secagg;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.security.GeneralSecurityException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import javax.crypto.Cipher;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.crypto.generators.HKDFBytesGenerator;
import org.bouncycastle.crypto.params.HKDFParameters;

/**
 * Key derivation (HKDF-SHA256, BouncyCastle) and mask expansion: a 32-byte key is expanded with the JDK's
 * AES-256-CTR (counter block starting at zero) into a keystream read as little-endian 32-bit ints, which is
 * added to or subtracted from a vector modulo 2^32 (Java int arithmetic wraps).
 *
 * <p>Many masks are applied chunk by chunk: for each 32 KiB slice of the vector, every mask's keystream for that
 * slice is generated and added while the slice stays in cache. A range of the vector starting at int index
 * {@code from} (a multiple of 4) starts the counter at block {@code from / 4}, so ranges can be expanded
 * independently and in parallel, with exactly the same result.
 */
final class Masks {
  static final int CHUNK_INTS = 8192;
  private static final byte[] ZEROS = new byte[CHUNK_INTS * 4];
  private static final VarHandle INT_LE = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);

  /** One mask to apply: the AES key it is expanded from and whether it is added or subtracted. */
  record Job(byte[] key, boolean subtract) {}

  private Masks() {}

  /** HKDF-SHA256 (RFC 5869) of {@code ikm} with {@code salt} and {@code info}, 32 bytes. */
  static byte[] derive(byte[] ikm, byte[] salt, byte[] info) {
    HKDFBytesGenerator hkdf = new HKDFBytesGenerator(new SHA256Digest());
    hkdf.init(new HKDFParameters(ikm, salt, info));
    byte[] out = new byte[32];
    hkdf.generateBytes(out, 0, 32);
    return out;
  }

  /** {@code length} bytes of AES-256-CTR keystream under {@code key}. */
  static byte[] keystream(byte[] key, int length) {
    try {
      Cipher c = ctr(key, 0);
      return c.update(new byte[length]);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES/CTR/NoPadding is not available in this JDK", e);
    }
  }

  /** Applies every job to {@code acc[from, to)}; {@code from} must be a multiple of 4. */
  static void apply(int[] acc, List<Job> jobs, int from, int to) {
    if (from % 4 != 0) throw new IllegalArgumentException("from must be a multiple of 4, was " + from);
    if (jobs.isEmpty() || from >= to) return;
    try {
      Cipher[] ciphers = new Cipher[jobs.size()];
      for (int j = 0; j < ciphers.length; j++) ciphers[j] = ctr(jobs.get(j).key(), from / 4);
      byte[] bytes = new byte[CHUNK_INTS * 4];
      for (int start = from; start < to; start += CHUNK_INTS) {
        int len = Math.min(CHUNK_INTS, to - start);
        for (int j = 0; j < ciphers.length; j++) {
          ciphers[j].update(ZEROS, 0, len * 4, bytes, 0);
          // Read the keystream in place as little-endian ints (an intrinsic), without an intermediate copy.
          if (jobs.get(j).subtract()) {
            for (int i = 0; i < len; i++) acc[start + i] -= (int) INT_LE.get(bytes, i << 2);
          } else {
            for (int i = 0; i < len; i++) acc[start + i] += (int) INT_LE.get(bytes, i << 2);
          }
        }
      }
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES/CTR/NoPadding failed: " + e.getMessage(), e);
    }
  }

  /** Applies every job to the whole of {@code acc}, splitting it into {@code threads} ranges. */
  static void applyParallel(int[] acc, List<Job> jobs, int threads) {
    int parts = Math.max(1, Math.min(threads, acc.length / (4 * CHUNK_INTS)));
    if (parts == 1) {
      apply(acc, jobs, 0, acc.length);
      return;
    }
    int step = (acc.length / parts + 3) & ~3;
    ExecutorService pool = Executors.newFixedThreadPool(parts, r -> {
      Thread t = new Thread(r, "secagg-unmask");
      t.setDaemon(true);
      return t;
    });
    try {
      List<Future<?>> done = new ArrayList<>();
      for (int p = 0; p < parts; p++) {
        int from = p * step, to = p == parts - 1 ? acc.length : Math.min(acc.length, from + step);
        done.add(pool.submit(() -> apply(acc, jobs, from, to)));
      }
      for (Future<?> f : done) f.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while removing masks", e);
    } catch (ExecutionException e) {
      throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
    } finally {
      pool.shutdownNow();
    }
  }

  private static Cipher ctr(byte[] key, long startBlock) throws GeneralSecurityException {
    byte[] iv = new byte[16];
    for (int i = 0; i < 8; i++) iv[15 - i] = (byte) (startBlock >>> (8 * i));
    Cipher c = Cipher.getInstance("AES/CTR/NoPadding");
    c.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(key, "AES"), new IvParameterSpec(iv));
    return c;
  }
}
