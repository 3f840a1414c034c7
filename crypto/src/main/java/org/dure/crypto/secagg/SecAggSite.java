package org.dure.crypto.secagg;

import java.math.BigInteger;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The site side of one secure-aggregation round: a state machine whose four stage methods must be called in order
 * ({@link #advertiseKeys}, {@link #shareKeys}, {@link #maskedInput}, {@link #unmask}); a call out of order throws
 * {@link IllegalStateException} naming the expected stage. A refused message aborts the site's round
 * ({@link Stage#ABORTED}) and throws {@link SecAggException}; the site's secrets are then wiped.
 *
 * <p>The site protects its own input: it signs its keys, only accepts peers' keys with valid signatures, sends
 * masked input only when at least the share threshold of holders took part, and answers exactly one unmask
 * request, refusing any request that names a site both as survivor and as dropped, names fewer survivors than the
 * threshold, or contradicts what it saw. Not thread-safe: drive it from one thread (or one event loop).
 * The protocol is described in the package documentation and {@code docs/secure-aggregation.md}.
 */
public final class SecAggSite {
  /** The site's stages, in order. */
  public enum Stage { NEW, KEYS_ADVERTISED, SHARES_SENT, MASKED_INPUT_SENT, DONE, ABORTED }

  private static final int PLAINTEXT_BYTES = 2 * Shamir.SHARE_BYTES;

  private final RoundContext context;
  private final String siteId;
  private final int index;
  private final SecAggSigner signer;
  private final SecAggVerifier verifier;
  private final SecureRandom random;
  private final byte[] digest;
  private final NeighbourGraph graph;
  private Stage stage = Stage.NEW;

  private X25519Keys.Pair cKeys;
  private X25519Keys.Pair sKeys;
  private byte[] selfSeed;
  private AdvertiseKeys ownAdvertisement;
  private Map<String, AdvertiseKeys> advertised;
  /** Owner → [mask-key share, self-mask-seed share], for every owner whose shares this site holds (incl. itself). */
  private final Map<String, byte[][]> held = new HashMap<>();

  public SecAggSite(RoundContext context, String siteId, SecAggSigner signer, SecAggVerifier verifier) {
    this(context, siteId, signer, verifier, new SecureRandom());
  }

  public SecAggSite(RoundContext context, String siteId, SecAggSigner signer, SecAggVerifier verifier,
      SecureRandom random) {
    this.context = Objects.requireNonNull(context, "context");
    this.siteId = Objects.requireNonNull(siteId, "siteId");
    this.signer = Objects.requireNonNull(signer, "signer");
    this.verifier = Objects.requireNonNull(verifier, "verifier");
    this.random = Objects.requireNonNull(random, "random");
    if (!context.contains(siteId)) {
      throw new IllegalArgumentException("site " + siteId + " is not in the roster of " + context.describe());
    }
    this.index = context.indexOf(siteId);
    this.digest = context.digest();
    this.graph = NeighbourGraph.of(context);
  }

  public Stage stage() {
    return stage;
  }

  public String siteId() {
    return siteId;
  }

  public RoundContext context() {
    return context;
  }

  /** Stage 1: generates the round's two X25519 key pairs and returns their signed advertisement. */
  public AdvertiseKeys advertiseKeys() {
    expect(Stage.NEW, "advertise keys");
    cKeys = X25519Keys.generate(random);
    sKeys = X25519Keys.generate(random);
    byte[] signature = signer.sign(AdvertiseKeys.signedBytes(context, siteId, cKeys.publicKey(), sKeys.publicKey()));
    ownAdvertisement = new AdvertiseKeys(siteId, cKeys.publicKey(), sKeys.publicKey(), signature);
    stage = Stage.KEYS_ADVERTISED;
    return ownAdvertisement;
  }

  /**
   * Stage 2: checks the advertisements the coordinator forwarded (roster membership, own keys unchanged, at least
   * {@code t} sites, and the signature of every neighbour's: the only keys this site uses), then Shamir-shares this round's mask key and a fresh self-mask seed among
   * its holders (its neighbours that advertised keys, and itself) and encrypts each holder's shares for it.
   */
  public ShareKeys shareKeys(List<AdvertiseKeys> advertisements) {
    expect(Stage.KEYS_ADVERTISED, "share keys");
    Objects.requireNonNull(advertisements, "advertisements");
    return guarded(() -> {
      Map<String, AdvertiseKeys> keys = new LinkedHashMap<>();
      for (AdvertiseKeys a : advertisements) {
        if (!context.contains(a.siteId())) {
          throw refuse(SecAggException.Reason.NOT_IN_ROUND, "key advertisement from " + a.siteId()
              + ", which is not in the roster");
        }
        if (keys.put(a.siteId(), a) != null) {
          throw refuse(SecAggException.Reason.DUPLICATE_MESSAGE, "two key advertisements for site " + a.siteId());
        }
        if (a.siteId().equals(siteId) || graph.adjacent(siteId, a.siteId())) {
          checkAdvertisement(context, verifier, a, "site " + siteId);
        }
      }
      if (!ownAdvertisement.equals(keys.get(siteId))) {
        throw refuse(SecAggException.Reason.MALFORMED_MESSAGE, "the forwarded key list does not contain this "
            + "site's own advertisement unchanged; the coordinator (or the route to it) altered or dropped it");
      }
      if (keys.size() < context.threshold()) {
        throw refuse(SecAggException.Reason.TOO_FEW_SURVIVORS, "only " + keys.size() + " sites advertised keys, "
            + "threshold is " + context.threshold());
      }
      advertised = keys;
      List<String> holders = new ArrayList<>();
      for (String peer : graph.neighboursOf(siteId)) if (keys.containsKey(peer)) holders.add(peer);
      holders.add(siteId);
      holders.sort(null);
      int t = context.shareThreshold();
      if (holders.size() < t) {
        throw refuse(SecAggException.Reason.TOO_FEW_SURVIVORS, "only " + holders.size() + " of this site's share "
            + "holders advertised keys, " + t + " are needed to share its secrets safely");
      }
      int[] xs = holders.stream().mapToInt(context::indexOf).toArray();
      selfSeed = new byte[32];
      random.nextBytes(selfSeed);
      BigInteger[] keyShares = Shamir.split(sKeys.privateKey(), t, xs, random);
      BigInteger[] seedShares = Shamir.split(selfSeed, t, xs, random);
      List<EncryptedShare> out = new ArrayList<>();
      for (int i = 0; i < holders.size(); i++) {
        String holder = holders.get(i);
        byte[] keyShare = Shamir.encode(keyShares[i]), seedShare = Shamir.encode(seedShares[i]);
        if (holder.equals(siteId)) {
          held.put(siteId, new byte[][] {keyShare, seedShare});
          continue;
        }
        byte[] agreement = agree(cKeys.privateKey(), keys.get(holder).cPublicKey(), holder);
        byte[] plaintext = new byte[PLAINTEXT_BYTES];
        System.arraycopy(keyShare, 0, plaintext, 0, Shamir.SHARE_BYTES);
        System.arraycopy(seedShare, 0, plaintext, Shamir.SHARE_BYTES, Shamir.SHARE_BYTES);
        out.add(ShareCipher.seal(ShareCipher.key(digest, agreement, siteId, holder), digest, siteId, holder,
            plaintext, random));
        Arrays.fill(plaintext, (byte) 0);
      }
      stage = Stage.SHARES_SENT;
      return new ShareKeys(siteId, out);
    });
  }

  /**
   * Stage 3: decrypts the shares the coordinator routed to this site (refusing any that fail authentication, are
   * addressed elsewhere, come from a non-neighbour or repeat a sender), then returns {@code input} plus the self
   * mask plus the pairwise masks with every neighbour whose shares arrived (added if this site's roster index is
   * lower, subtracted if higher), modulo 2^32. Wipes the round's private keys and seed afterwards.
   */
  public MaskedInput maskedInput(List<EncryptedShare> received, int[] input) {
    expect(Stage.SHARES_SENT, "send masked input");
    Objects.requireNonNull(received, "received");
    Objects.requireNonNull(input, "input");
    return guarded(() -> {
      Set<String> neighbours = new HashSet<>(graph.neighboursOf(siteId));
      List<String> peers = new ArrayList<>();
      for (EncryptedShare share : received) {
        String sender = share.sender();
        if (!share.recipient().equals(siteId)) {
          throw refuse(SecAggException.Reason.NOT_IN_ROUND, "a share addressed to " + share.recipient()
              + " was delivered to this site; the coordinator misrouted or replayed it");
        }
        if (!neighbours.contains(sender) || !advertised.containsKey(sender)) {
          throw refuse(SecAggException.Reason.NOT_IN_ROUND, "a share from " + sender + ", which is not a neighbour "
              + "that advertised keys in this round");
        }
        if (held.containsKey(sender)) {
          throw refuse(SecAggException.Reason.DUPLICATE_MESSAGE, "two shares from " + sender + " (a replay?)");
        }
        byte[] agreement = agree(cKeys.privateKey(), advertised.get(sender).cPublicKey(), sender);
        byte[] plaintext = ShareCipher.open(ShareCipher.key(digest, agreement, sender, siteId), digest, share,
            "site " + siteId + " (" + context.describe() + ")");
        if (plaintext.length != PLAINTEXT_BYTES) {
          throw refuse(SecAggException.Reason.MALFORMED_MESSAGE, "the share from " + sender + " decrypts to "
              + plaintext.length + " bytes, expected " + PLAINTEXT_BYTES);
        }
        byte[] keyShare = Arrays.copyOfRange(plaintext, 0, Shamir.SHARE_BYTES);
        byte[] seedShare = Arrays.copyOfRange(plaintext, Shamir.SHARE_BYTES, PLAINTEXT_BYTES);
        if (Shamir.decode(keyShare) == null || Shamir.decode(seedShare) == null) {
          throw refuse(SecAggException.Reason.MALFORMED_MESSAGE, "the share from " + sender
              + " is not a field element");
        }
        held.put(sender, new byte[][] {keyShare, seedShare});
        peers.add(sender);
      }
      if (held.size() < context.shareThreshold()) {
        throw refuse(SecAggException.Reason.TOO_FEW_SURVIVORS, "only " + held.size() + " sites (including this "
            + "one) completed the share exchange with this site, " + context.shareThreshold() + " are needed");
      }
      List<Masks.Job> jobs = new ArrayList<>();
      jobs.add(new Masks.Job(selfMaskKey(digest, selfSeed), false));
      for (String peer : peers) {
        byte[] agreement = agree(sKeys.privateKey(), advertised.get(peer).sPublicKey(), peer);
        jobs.add(new Masks.Job(pairwiseMaskKey(digest, agreement), index > context.indexOf(peer)));
      }
      int[] masked = input.clone();
      Masks.apply(masked, jobs, 0, masked.length);
      wipeKeys();
      stage = Stage.MASKED_INPUT_SENT;
      return new MaskedInput(siteId, masked);
    });
  }

  /**
   * Stage 4: answers the coordinator's one unmask request with this site's shares of the survivors' self-mask seeds
   * and of the dropped sites' mask keys. Refuses ({@code UNSAFE_UNMASK_REQUEST}) a request that names a site in
   * both lists or twice, omits this site from the survivors, names a survivor whose shares never reached this site
   * (it would have to be dropped), or names a dropped neighbour that never shared with it; refuses
   * ({@code TOO_FEW_SURVIVORS}) fewer survivors than {@code t}. A second request fails with
   * {@link IllegalStateException}: a site reveals shares only once per round.
   */
  public UnmaskResponse unmask(UnmaskRequest request) {
    expect(Stage.MASKED_INPUT_SENT, "answer an unmask request");
    Objects.requireNonNull(request, "request");
    return guarded(() -> {
      Set<String> survivors = new HashSet<>(request.survivors());
      Set<String> dropped = new HashSet<>(request.dropped());
      if (survivors.size() != request.survivors().size() || dropped.size() != request.dropped().size()) {
        throw refuse(SecAggException.Reason.UNSAFE_UNMASK_REQUEST, "the unmask request lists a site twice");
      }
      for (String s : request.dropped()) {
        if (survivors.contains(s)) {
          throw refuse(SecAggException.Reason.UNSAFE_UNMASK_REQUEST, "the coordinator asked for both the self-mask "
              + "seed share and the mask-key share of site " + s + "; together they would unmask its input, so this "
              + "site reveals neither");
        }
      }
      if (!survivors.contains(siteId)) {
        throw refuse(SecAggException.Reason.UNSAFE_UNMASK_REQUEST, "the unmask request does not list this site "
            + "among the survivors, yet asks it for shares");
      }
      if (survivors.size() < context.threshold()) {
        throw refuse(SecAggException.Reason.TOO_FEW_SURVIVORS, "the unmask request lists " + survivors.size()
            + " survivors, threshold is " + context.threshold());
      }
      Set<String> neighbours = new HashSet<>(graph.neighboursOf(siteId));
      List<RevealedShare> out = new ArrayList<>();
      for (String s : request.survivors()) {
        if (!context.contains(s)) {
          throw refuse(SecAggException.Reason.NOT_IN_ROUND, "survivor " + s + " is not in the roster");
        }
        if (s.equals(siteId) || neighbours.contains(s)) {
          byte[][] shares = held.get(s);
          if (shares == null) {
            throw refuse(SecAggException.Reason.UNSAFE_UNMASK_REQUEST, "site " + s + " is named as a survivor, but "
                + "its shares never reached this site, so this site counts it as dropped before masking");
          }
          out.add(new RevealedShare(s, RevealedShare.Kind.SELF_MASK_SEED, shares[1]));
        }
      }
      for (String s : request.dropped()) {
        if (!context.contains(s)) {
          throw refuse(SecAggException.Reason.NOT_IN_ROUND, "dropped site " + s + " is not in the roster");
        }
        if (neighbours.contains(s)) {
          byte[][] shares = held.get(s);
          if (shares == null) {
            throw refuse(SecAggException.Reason.UNSAFE_UNMASK_REQUEST, "site " + s + " is named as dropped after "
                + "the share exchange, but its shares never reached this site");
          }
          out.add(new RevealedShare(s, RevealedShare.Kind.MASK_KEY, shares[0]));
        }
      }
      wipeShares();
      stage = Stage.DONE;
      return new UnmaskResponse(siteId, out);
    });
  }

  static void checkAdvertisement(RoundContext context, SecAggVerifier verifier, AdvertiseKeys a, String where) {
    if (a.cPublicKey().length != X25519Keys.KEY_BYTES || a.sPublicKey().length != X25519Keys.KEY_BYTES) {
      throw new SecAggException(SecAggException.Reason.MALFORMED_MESSAGE, where + ": key advertisement of site "
          + a.siteId() + " has keys of " + a.cPublicKey().length + " and " + a.sPublicKey().length
          + " bytes, expected raw 32-byte X25519 keys");
    }
    byte[] signed = AdvertiseKeys.signedBytes(context, a.siteId(), a.cPublicKey(), a.sPublicKey());
    if (!verifier.verify(a.siteId(), signed, a.signature())) {
      throw new SecAggException(SecAggException.Reason.BAD_SIGNATURE, where + ": the key advertisement of site "
          + a.siteId() + " does not carry a valid signature by that site's long-term key for " + context.describe()
          + "; it was forged or altered, or signed for another round; check the site's certificate");
    }
  }

  static byte[] selfMaskKey(byte[] digest, byte[] seed) {
    return Masks.derive(seed, digest, new Canonical("dure-secagg self mask v1").toByteArray());
  }

  static byte[] pairwiseMaskKey(byte[] digest, byte[] agreement) {
    return Masks.derive(agreement, digest, new Canonical("dure-secagg pairwise mask v1").toByteArray());
  }

  private byte[] agree(byte[] privateKey, byte[] peerPublicKey, String peer) {
    byte[] secret = X25519Keys.agree(privateKey, peerPublicKey);
    if (secret == null) {
      throw refuse(SecAggException.Reason.MALFORMED_MESSAGE, "the X25519 key of site " + peer
          + " is a low-order point; refusing it");
    }
    return secret;
  }

  private void expect(Stage expected, String action) {
    if (stage != expected) {
      throw new IllegalStateException("site " + siteId + " cannot " + action + " in stage " + stage
          + "; expected stage " + expected + " (" + context.describe() + ")");
    }
  }

  private SecAggException refuse(SecAggException.Reason reason, String message) {
    return new SecAggException(reason, "site " + siteId + " (" + context.describe() + "): " + message);
  }

  private <T> T guarded(java.util.function.Supplier<T> body) {
    try {
      return body.get();
    } catch (SecAggException | IllegalArgumentException e) {
      stage = Stage.ABORTED;
      wipeKeys();
      wipeShares();
      throw e;
    }
  }

  private void wipeKeys() {
    if (cKeys != null) Arrays.fill(cKeys.privateKey(), (byte) 0);
    if (sKeys != null) Arrays.fill(sKeys.privateKey(), (byte) 0);
    if (selfSeed != null) Arrays.fill(selfSeed, (byte) 0);
    cKeys = null;
    sKeys = null;
    selfSeed = null;
  }

  private void wipeShares() {
    for (byte[][] shares : held.values()) {
      Arrays.fill(shares[0], (byte) 0);
      Arrays.fill(shares[1], (byte) 0);
    }
    held.clear();
  }
}
