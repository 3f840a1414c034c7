package org.dure.protocol.wire;

import java.util.Objects;
import org.dure.crypto.secagg.EncryptedShare;
import org.dure.crypto.secagg.RevealedShare;

/**
 * Values carried by the secure-aggregation messages, and their conversion to the protocol records of
 * {@code org.dure.crypto.secagg}. Byte arrays travel as base64 in the JSON text messages; the masked input
 * itself travels as a binary {@link Frames.Kind#MASKED_INPUT} frame.
 */
public final class SecAggWire {
  private SecAggWire() {}

  /** Every secure-aggregation message names the study, round and attempt it belongs to. */
  public interface Addressed {
    String studyId();

    int round();

    int attempt();
  }

  /** One site's key advertisement as relayed to its peers, with the PEM certificate that verifies its signature. */
  public record PeerKeys(String siteId, String certificate, byte[] cPublicKey, byte[] sPublicKey, byte[] signature) {
    public PeerKeys {
      Objects.requireNonNull(siteId, "siteId");
      Objects.requireNonNull(certificate, "certificate");
      Objects.requireNonNull(cPublicKey, "cPublicKey");
      Objects.requireNonNull(sPublicKey, "sPublicKey");
      Objects.requireNonNull(signature, "signature");
    }
  }

  /** An encrypted share from {@code sender} to {@code recipient}. */
  public record Share(String sender, String recipient, byte[] nonce, byte[] ciphertext) {
    public Share {
      Objects.requireNonNull(sender, "sender");
      Objects.requireNonNull(recipient, "recipient");
      Objects.requireNonNull(nonce, "nonce");
      Objects.requireNonNull(ciphertext, "ciphertext");
    }

    public static Share of(EncryptedShare s) {
      return new Share(s.sender(), s.recipient(), s.nonce(), s.ciphertext());
    }

    public EncryptedShare toShare() {
      return new EncryptedShare(sender, recipient, nonce, ciphertext);
    }
  }

  /** A revealed Shamir share of {@code owner}'s secret; {@code kind} is {@code SELF_MASK_SEED} or {@code MASK_KEY}. */
  public record Revealed(String owner, String kind, byte[] share) {
    public Revealed {
      Objects.requireNonNull(owner, "owner");
      Objects.requireNonNull(kind, "kind");
      Objects.requireNonNull(share, "share");
    }

    public static Revealed of(RevealedShare r) {
      return new Revealed(r.owner(), r.kind().name(), r.share());
    }

    /** @throws IllegalArgumentException for an unknown kind */
    public RevealedShare toShare() {
      RevealedShare.Kind k;
      try {
        k = RevealedShare.Kind.valueOf(kind);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("unknown share kind '" + kind + "'; expected SELF_MASK_SEED or MASK_KEY");
      }
      return new RevealedShare(owner, k, share);
    }
  }
}
