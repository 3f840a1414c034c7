/**
 * Secure aggregation with dropout recovery: the coordinator learns only the sum of the surviving sites' quantised
 * updates, never one site's update. This is the semi-honest protocol of Bonawitz et al., "Practical Secure
 * Aggregation for Privacy-Preserving Machine Learning" (CCS 2017), with the sparse neighbour graph of Bell et al.,
 * "Secure Single-Server Aggregation with (Poly)Logarithmic Overhead" (SecAgg+, CCS 2020) for large rosters.
 *
 * <p>One round, for the sites of a {@link org.dure.crypto.secagg.RoundContext} (sorted roster, threshold
 * {@code t}, neighbour count {@code k}):
 * <ol>
 *   <li><b>Advertise keys.</b> Each site makes two fresh X25519 key pairs, {@code c} (share encryption) and
 *       {@code s} (pairwise masks), and sends both public keys signed with its long-term key
 *       ({@link org.dure.crypto.secagg.AdvertiseKeys}). The coordinator forwards all advertisements to all.</li>
 *   <li><b>Share keys.</b> Each site draws a self-mask seed {@code b}, Shamir-shares {@code b} and its {@code s}
 *       private key among its holders (its graph neighbours and itself; any {@code shareThreshold} of them can
 *       reconstruct) and encrypts each holder's pair of shares with AES-256-GCM under an HKDF key from the
 *       {@code c}-key agreement ({@link org.dure.crypto.secagg.ShareKeys}); the coordinator routes them.</li>
 *   <li><b>Masked input.</b> Each site sends {@code y = x + PRG(b) + Σ ±PRG(s_uv)} mod 2^32 over the neighbours
 *       {@code v} whose shares it received, {@code +} if its index is lower, {@code −} if higher; PRG is
 *       AES-256-CTR keyed by HKDF ({@link org.dure.crypto.secagg.MaskedInput}). The coordinator adds each
 *       {@code y} into one running sum.</li>
 *   <li><b>Unmask.</b> The coordinator names survivors and dropped sites
 *       ({@link org.dure.crypto.secagg.UnmaskRequest}); each survivor reveals its shares of survivors' {@code b} and
 *       of dropped sites' {@code s} key — never both for one site. The coordinator reconstructs them, subtracts
 *       every survivor's {@code PRG(b)} and the dangling pairwise masks of the dropped sites, and obtains the sum
 *       of the survivors' {@code x} ({@link org.dure.crypto.secagg.UnmaskedSum}).</li>
 * </ol>
 * Fewer than {@code t} participants at any stage abort the round with a reason and nothing revealed.
 * {@link org.dure.crypto.secagg.Quantizer} turns weighted float updates into ints whose sum cannot wrap.
 * The site side is {@link org.dure.crypto.secagg.SecAggSite}, the coordinator side
 * {@link org.dure.crypto.secagg.SecAggCoordinator}; both are transport-agnostic state machines. See
 * {@code docs/secure-aggregation.md} for the threat model, parameters and costs.
 */
package org.dure.crypto.secagg;
