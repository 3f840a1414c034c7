package org.dure.crypto.secagg;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The coordinator side of one secure-aggregation round: it relays keys and encrypted shares, sums masked inputs as
 * they arrive, and finally removes the masks from the sum with the shares the survivors reveal. It never holds a
 * single site's unmasked input: each masked input is added into one running sum (memory O(d), not O(n·d)) and
 * dropped.
 *
 * <p>Each stage is open for {@code accept…} calls (one per site, in any order, from any thread) until the caller
 * closes it ({@code close…}, e.g. when every expected site answered or a deadline passed). Closing returns the
 * next stage's message as {@link Step.Proceed}, or {@link Step.Abort} with the reason when fewer than {@code t}
 * sites remain — the round then reveals nothing and should be retried as a new attempt with the sites online.
 * Stage methods called out of order throw {@link IllegalStateException} naming the expected stage. A refused
 * message throws {@link SecAggException} and is ignored (its site counts as not having answered); the round goes
 * on.
 *
 * <p>Stages and participant sets (Bonawitz et al.): U1 advertised keys, U2 ⊆ U1 sent shares, U3 ⊆ U2 sent masked
 * input (the survivors), U5 ⊆ U3 answered the unmask request. The sum covers exactly U3.
 */
public final class SecAggCoordinator {
  /** The coordinator's stages, in order; {@code COMPLETED} and {@code ABORTED} are final. */
  public enum Stage { COLLECTING_KEYS, COLLECTING_SHARES, COLLECTING_MASKED_INPUTS, COLLECTING_UNMASK_RESPONSES,
    COMPLETED, ABORTED }

  private final RoundContext context;
  private final int vectorLength;
  private final SecAggVerifier verifier;
  private final int threads;
  private final byte[] digest;
  private final NeighbourGraph graph;
  private Stage stage = Stage.COLLECTING_KEYS;
  private String abortReason;

  private final Map<String, AdvertiseKeys> keys = new TreeMap<>();
  private final Map<String, List<EncryptedShare>> sharesBySender = new TreeMap<>();
  private Set<String> u2;
  private int[] sum;
  private final Set<String> u3 = new TreeSet<>();
  /** Owner → (x → share), of the kind the owner's status calls for. */
  private final Map<String, Map<Integer, BigInteger>> revealed = new HashMap<>();
  private final Set<String> u5 = new HashSet<>();

  /** A coordinator unmasking with up to 2 threads (fewer on a 1-core machine). */
  public SecAggCoordinator(RoundContext context, int vectorLength, SecAggVerifier verifier) {
    this(context, vectorLength, verifier, Math.min(2, Runtime.getRuntime().availableProcessors()));
  }

  public SecAggCoordinator(RoundContext context, int vectorLength, SecAggVerifier verifier, int threads) {
    this.context = Objects.requireNonNull(context, "context");
    this.verifier = Objects.requireNonNull(verifier, "verifier");
    if (vectorLength < 1) throw new IllegalArgumentException("vectorLength must be >= 1, was " + vectorLength);
    if (threads < 1) throw new IllegalArgumentException("threads must be >= 1, was " + threads);
    this.vectorLength = vectorLength;
    this.threads = threads;
    this.digest = context.digest();
    this.graph = NeighbourGraph.of(context);
  }

  public synchronized Stage stage() {
    return stage;
  }

  /** Why the round aborted, when it did. */
  public synchronized Optional<String> abortReason() {
    return Optional.ofNullable(abortReason);
  }

  public RoundContext context() {
    return context;
  }

  /** Stage 1: records a site's key advertisement after checking its signature. */
  public synchronized void acceptKeys(AdvertiseKeys advertisement) {
    expect(Stage.COLLECTING_KEYS, "accept key advertisements");
    String site = advertisement.siteId();
    requireInRoster(site, "key advertisement");
    if (keys.containsKey(site)) throw duplicate(site, "key advertisement");
    SecAggSite.checkAdvertisement(context, verifier, advertisement, "coordinator");
    keys.put(site, advertisement);
  }

  /** Closes stage 1: the advertisements (U1) to send to every site in U1, or an abort if fewer than t. */
  public synchronized Step<List<AdvertiseKeys>> closeKeyAdvertisement() {
    expect(Stage.COLLECTING_KEYS, "close the key advertisement");
    if (keys.size() < context.threshold()) {
      return abort("only " + keys.size() + " of " + context.size() + " sites advertised keys " + missing(keys.keySet())
          + "; the threshold is " + context.threshold());
    }
    stage = Stage.COLLECTING_SHARES;
    return new Step.Proceed<>(List.copyOf(keys.values()));
  }

  /**
   * Stage 2: records a site's encrypted shares; it must hold exactly one share for each of its neighbours in U1
   * (other than itself), each with this site as sender.
   */
  public synchronized void acceptShares(ShareKeys message) {
    expect(Stage.COLLECTING_SHARES, "accept shares");
    String site = message.siteId();
    if (!keys.containsKey(site)) {
      throw new SecAggException(SecAggException.Reason.NOT_IN_ROUND, "coordinator: shares from " + site
          + ", which did not advertise keys in " + context.describe());
    }
    if (sharesBySender.containsKey(site)) throw duplicate(site, "share message");
    Set<String> expected = new TreeSet<>();
    for (String peer : graph.neighboursOf(site)) if (keys.containsKey(peer)) expected.add(peer);
    Set<String> got = new TreeSet<>();
    for (EncryptedShare s : message.shares()) {
      if (!s.sender().equals(site) || !got.add(s.recipient())) {
        throw new SecAggException(SecAggException.Reason.MALFORMED_MESSAGE, "coordinator: share message of " + site
            + " holds a share from " + s.sender() + " to " + s.recipient() + " that is foreign or repeated");
      }
    }
    if (!got.equals(expected)) {
      throw new SecAggException(SecAggException.Reason.MALFORMED_MESSAGE, "coordinator: site " + site
          + " sent shares to " + got + " but its neighbours that advertised keys are " + expected
          + "; its masks would not cancel, so its shares are refused");
    }
    sharesBySender.put(site, message.shares());
  }

  /**
   * Closes stage 2: for each site in U2 (sites that sent shares), the shares addressed to it by other U2 sites;
   * or an abort if fewer than t sites sent shares.
   */
  public synchronized Step<Map<String, List<EncryptedShare>>> closeShareExchange() {
    expect(Stage.COLLECTING_SHARES, "close the share exchange");
    if (sharesBySender.size() < context.threshold()) {
      return abort("only " + sharesBySender.size() + " of " + keys.size() + " sites sent shares "
          + missing(sharesBySender.keySet()) + "; the threshold is " + context.threshold());
    }
    u2 = new TreeSet<>(sharesBySender.keySet());
    Map<String, List<EncryptedShare>> routed = new LinkedHashMap<>();
    for (String site : u2) routed.put(site, new ArrayList<>());
    sharesBySender.forEach((sender, shares) -> {
      for (EncryptedShare s : shares) {
        List<EncryptedShare> inbox = routed.get(s.recipient());
        if (inbox != null) inbox.add(s);
      }
    });
    routed.replaceAll((site, inbox) -> List.copyOf(inbox));
    sharesBySender.clear();
    sum = new int[vectorLength];
    stage = Stage.COLLECTING_MASKED_INPUTS;
    return new Step.Proceed<>(Collections.unmodifiableMap(routed));
  }

  /** Stage 3: adds a site's masked input into the running sum and forgets it. */
  public synchronized void acceptMaskedInput(MaskedInput input) {
    expect(Stage.COLLECTING_MASKED_INPUTS, "accept masked inputs");
    String site = input.siteId();
    if (!u2.contains(site)) {
      throw new SecAggException(SecAggException.Reason.NOT_IN_ROUND, "coordinator: masked input from " + site
          + ", which did not complete the share exchange of " + context.describe());
    }
    if (u3.contains(site)) throw duplicate(site, "masked input");
    if (input.length() != vectorLength) {
      throw new SecAggException(SecAggException.Reason.MALFORMED_MESSAGE, "coordinator: masked input of " + site
          + " has " + input.length() + " elements, the round's vectors have " + vectorLength
          + "; check that the site runs the same model version");
    }
    input.addTo(sum);
    u3.add(site);
  }

  /**
   * Closes stage 3: the unmask request for the survivors (U3), or an abort if fewer than t survived or some
   * site's masks could no longer be removed (sparse mode: too few of its holders survived).
   */
  public synchronized Step<UnmaskRequest> closeMaskedInputs() {
    expect(Stage.COLLECTING_MASKED_INPUTS, "close the masked-input collection");
    if (u3.size() < context.threshold()) {
      return abort("only " + u3.size() + " of " + u2.size() + " sites sent masked input " + missing(u3)
          + "; the threshold is " + context.threshold());
    }
    for (String owner : u2) {
      long holders = holders(owner).stream().filter(u3::contains).count();
      if (holders < context.shareThreshold()) {
        return abort("only " + holders + " of the share holders of site " + owner + " survived, "
            + context.shareThreshold() + " are needed to remove its masks");
      }
    }
    List<String> dropped = u2.stream().filter(s -> !u3.contains(s)).toList();
    stage = Stage.COLLECTING_UNMASK_RESPONSES;
    return new Step.Proceed<>(new UnmaskRequest(List.copyOf(u3), dropped));
  }

  /** Stage 4: records a survivor's revealed shares, checking each is of the kind and holder the round allows. */
  public synchronized void acceptUnmaskResponse(UnmaskResponse response) {
    expect(Stage.COLLECTING_UNMASK_RESPONSES, "accept unmask responses");
    String site = response.siteId();
    if (!u3.contains(site)) {
      throw new SecAggException(SecAggException.Reason.NOT_IN_ROUND, "coordinator: unmask response from " + site
          + ", which is not a survivor of " + context.describe());
    }
    if (u5.contains(site)) throw duplicate(site, "unmask response");
    int x = context.indexOf(site);
    Map<String, BigInteger> accepted = new HashMap<>();
    for (RevealedShare r : response.shares()) {
      String owner = r.owner();
      if (!u2.contains(owner) || !(owner.equals(site) || graph.adjacent(owner, site))) {
        throw new SecAggException(SecAggException.Reason.MALFORMED_MESSAGE, "coordinator: " + site
            + " revealed a share of " + owner + ", which it does not hold");
      }
      RevealedShare.Kind expected = u3.contains(owner) ? RevealedShare.Kind.SELF_MASK_SEED
          : RevealedShare.Kind.MASK_KEY;
      BigInteger value = Shamir.decode(r.share());
      if (r.kind() != expected || value == null || accepted.put(owner, value) != null) {
        throw new SecAggException(SecAggException.Reason.MALFORMED_MESSAGE, "coordinator: " + site + " revealed a "
            + r.kind() + " share of " + owner + " that is repeated, malformed or not the " + expected
            + " share the request asked for");
      }
    }
    accepted.forEach((owner, value) -> revealed.computeIfAbsent(owner, o -> new TreeMap<>()).put(x, value));
    u5.add(site);
  }

  /**
   * Closes stage 4: reconstructs the survivors' self-mask seeds and the dropped sites' mask keys, removes all
   * remaining masks from the sum and returns it; or aborts if fewer than t survivors answered, a secret lacks
   * shares, or a reconstructed mask key does not match the key its owner advertised.
   */
  public synchronized Step<UnmaskedSum> closeUnmasking() {
    expect(Stage.COLLECTING_UNMASK_RESPONSES, "close the unmasking");
    if (u5.size() < context.threshold()) {
      return abort("only " + u5.size() + " of " + u3.size() + " survivors answered the unmask request "
          + missing(u5) + "; the threshold is " + context.threshold());
    }
    int t = context.shareThreshold();
    Map<String, BigInteger[]> lagrangeCache = new HashMap<>();
    List<Masks.Job> jobs = new ArrayList<>();
    for (String owner : u2) {
      Map<Integer, BigInteger> shares = revealed.getOrDefault(owner, Map.of());
      if (shares.size() < t) {
        return abort("only " + shares.size() + " shares of site " + owner + "'s "
            + (u3.contains(owner) ? "self-mask seed" : "mask key") + " were revealed, " + t + " are needed");
      }
      int[] xs = new int[t];
      BigInteger[] ys = new BigInteger[t];
      int i = 0;
      for (Map.Entry<Integer, BigInteger> e : shares.entrySet()) {
        if (i == t) break;
        xs[i] = e.getKey();
        ys[i++] = e.getValue();
      }
      BigInteger[] lagrange = lagrangeCache.computeIfAbsent(Arrays.toString(xs), k -> Shamir.lagrangeAtZero(xs));
      byte[] secret = Shamir.combine(lagrange, ys);
      if (secret == null) return abort("the revealed shares of site " + owner + " do not reconstruct a 32-byte secret");
      if (u3.contains(owner)) {
        jobs.add(new Masks.Job(SecAggSite.selfMaskKey(digest, secret), true));
      } else {
        if (!Arrays.equals(X25519Keys.publicKeyOf(secret), keys.get(owner).sPublicKey())) {
          return abort("the mask key of dropped site " + owner + " reconstructed from the revealed shares does not "
              + "match its advertised key; a survivor revealed a wrong share");
        }
        int ownerIndex = context.indexOf(owner);
        for (String peer : graph.neighboursOf(owner)) {
          if (!u3.contains(peer)) continue;
          byte[] agreement = X25519Keys.agree(secret, keys.get(peer).sPublicKey());
          if (agreement == null) return abort("the mask key of survivor " + peer + " is a low-order point");
          // The survivor added the mask when its index is lower, so remove it by subtracting; else add it back.
          jobs.add(new Masks.Job(SecAggSite.pairwiseMaskKey(digest, agreement), context.indexOf(peer) < ownerIndex));
        }
      }
      Arrays.fill(secret, (byte) 0);
    }
    Masks.applyParallel(sum, jobs, threads);
    List<String> dropped = u2.stream().filter(s -> !u3.contains(s)).toList();
    UnmaskedSum result = new UnmaskedSum(sum, List.copyOf(u3), dropped);
    sum = null;
    revealed.clear();
    stage = Stage.COMPLETED;
    return new Step.Proceed<>(result);
  }

  /** The number of masks {@link #closeUnmasking} expands (known after stage 3): for cost estimates. */
  synchronized int pendingMaskCount() {
    int count = u3.size();
    for (String owner : u2) {
      if (!u3.contains(owner)) count += (int) graph.neighboursOf(owner).stream().filter(u3::contains).count();
    }
    return count;
  }

  /** Sites holding shares of {@code owner}: itself and its neighbours in U2. */
  private Set<String> holders(String owner) {
    Set<String> h = new HashSet<>();
    h.add(owner);
    for (String peer : graph.neighboursOf(owner)) if (u2.contains(peer)) h.add(peer);
    return h;
  }

  private <T> Step<T> abort(String reason) {
    Stage at = stage;
    stage = Stage.ABORTED;
    abortReason = reason;
    sum = null;
    revealed.clear();
    return new Step.Abort<>(at, context.describe() + " aborted: " + reason);
  }

  private String missing(Set<String> present) {
    List<String> absent = context.roster().stream().filter(s -> !present.contains(s)).toList();
    if (absent.size() > 10) return "(" + absent.size() + " missing)";
    return "(missing: " + String.join(", ", absent) + ")";
  }

  private void requireInRoster(String site, String what) {
    if (!context.contains(site)) {
      throw new SecAggException(SecAggException.Reason.NOT_IN_ROUND, "coordinator: " + what + " from " + site
          + ", which is not in the roster of " + context.describe());
    }
  }

  private SecAggException duplicate(String site, String what) {
    return new SecAggException(SecAggException.Reason.DUPLICATE_MESSAGE, "coordinator: a second " + what + " from "
        + site + " in " + context.describe() + " was ignored");
  }

  private void expect(Stage expected, String action) {
    if (stage != expected) {
      throw new IllegalStateException("coordinator cannot " + action + " in stage " + stage + "; expected stage "
          + expected + " (" + context.describe() + ")");
    }
  }
}
