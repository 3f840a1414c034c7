package org.dure.crypto.secagg;

/**
 * A message of the secure-aggregation protocol. Site → coordinator: {@link AdvertiseKeys}, {@link ShareKeys},
 * {@link MaskedInput}, {@link UnmaskResponse}. Coordinator → sites: the list of advertisements, each site's
 * {@link EncryptedShare}s, and {@link UnmaskRequest}. The transport envelope carries the study, round and attempt;
 * the cryptography binds them anyway (see {@link RoundContext#digest()}).
 */
public sealed interface SecAggMessage permits AdvertiseKeys, ShareKeys, MaskedInput, UnmaskRequest, UnmaskResponse {
}
