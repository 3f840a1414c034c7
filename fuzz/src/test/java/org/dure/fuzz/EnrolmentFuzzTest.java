package org.dure.fuzz;

import static org.dure.fuzz.Contract.check;
import static org.dure.fuzz.Contract.refusesOnlyWith;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.security.cert.X509Certificate;
import java.time.Duration;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.dure.crypto.pki.ConsortiumCa;
import org.dure.crypto.pki.SiteKeys;
import org.junit.jupiter.api.Tag;

/**
 * What {@code dure admin enrol-site} takes from a site ({@code ConsortiumAdmin.enrolSite}): a PEM certification
 * request, read and then signed by the consortium CA only if its signature verifies, its key is EC P-256 and its
 * subject is exactly one CN holding a valid site id.
 */
@Tag("fuzz")
class EnrolmentFuzzTest {
  private static final ConsortiumCa CA = ConsortiumCa.create("Fuzz consortium CA", Duration.ofDays(30));

  @FuzzTest(maxDuration = "10s")
  void enrol(FuzzedDataProvider data) {
    String pem = data.consumeBoolean()
        ? PemFuzzTest.armoured("CERTIFICATE REQUEST", data.consumeRemainingAsBytes())
        : data.consumeRemainingAsString();
    PKCS10CertificationRequest csr =
        refusesOnlyWith(pem, () -> SiteKeys.readCertificationRequest(pem), IllegalArgumentException.class);
    if (csr == null) return;
    X509Certificate cert = refusesOnlyWith(pem, () -> CA.signSite(csr, Duration.ofDays(1)), IllegalArgumentException.class);
    if (cert == null) return;
    String cn = cert.getSubjectX500Principal().getName();
    check(cn.startsWith("CN=") && !cn.contains(","), "the CA signed a subject other than one CN: " + cn);
  }
}
