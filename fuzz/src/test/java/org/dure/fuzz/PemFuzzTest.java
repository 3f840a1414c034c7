package org.dure.fuzz;

import static org.dure.fuzz.Contract.refusesOnlyWith;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.util.Base64;
import org.dure.crypto.pki.SiteKeys;
import org.junit.jupiter.api.Tag;

/**
 * The PEM readers for what a site or an administrator hands over: certificates (the {@code secagg-peers} relay, the
 * CA and site files), private keys, CRLs. Half the inputs are raw text; the other half wrap the fuzzer's bytes as the
 * DER body of a well-formed PEM block, so BouncyCastle's ASN.1 decoding is reached and not only the armour.
 */
@Tag("fuzz")
class PemFuzzTest {
  private static final String[] LABELS = {"CERTIFICATE", "PRIVATE KEY", "EC PRIVATE KEY", "X509 CRL",
      "CERTIFICATE REQUEST", "PUBLIC KEY", "ENCRYPTED PRIVATE KEY"};

  @FuzzTest(maxDuration = "10s")
  void read(FuzzedDataProvider data) {
    int reader = data.consumeInt(0, 2);
    String pem = data.consumeBoolean()
        ? armoured(LABELS[data.consumeInt(0, LABELS.length - 1)], data.consumeRemainingAsBytes())
        : data.consumeRemainingAsString();
    switch (reader) {
      case 0 -> refusesOnlyWith(pem, () -> SiteKeys.readCertificate(pem), IllegalArgumentException.class);
      case 1 -> refusesOnlyWith(pem, () -> SiteKeys.readPrivateKey(pem), IllegalArgumentException.class);
      default -> refusesOnlyWith(pem, () -> SiteKeys.readCrl(pem), IllegalArgumentException.class);
    }
  }

  static String armoured(String label, byte[] der) {
    return "-----BEGIN " + label + "-----\n" + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der)
        + "\n-----END " + label + "-----\n";
  }
}
