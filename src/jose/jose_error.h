#pragma once
// Why a token, a key or a key set was refused: one closed set, so tests
// assert the exact reason and logs/metrics can count each. On the wire every
// one of them is 401 `unauthenticated` (a client learns nothing from the
// difference); the reason goes to logs.
#include <string_view>

namespace cloakroom::jose {

enum class JoseError {
  too_large,              // token over the size limit (checked first, before any parsing)
  malformed,              // not three dot-separated parts of base64url
  jwe_not_supported,      // five parts: an encrypted token (JWE), which we never accept
  not_canonical,          // base64url with padding, bad characters, or non-zero trailing bits
  header_invalid,         // header is not a JSON object, or a member has the wrong type
  payload_invalid,        // payload is not a JSON object
  duplicate_member,       // a JSON object repeats a member name
  too_deep,               // JSON nested beyond the limit
  alg_none,               // "none" in any letter case: never accepted
  alg_unsupported,        // an alg we do not implement
  alg_mismatch,           // the header alg is not the one the key is pinned to
  crit_unsupported,       // "crit" names an extension we do not understand
  unencoded_payload,      // "b64": false (RFC 7797)
  embedded_key,           // jwk, jku, x5u, x5c or x5t in the header: keys come from our set only
  typ_invalid,            // typ other than at+jwt, JWT or absent
  kid_missing,            // several keys configured and no kid
  kid_unknown,            // no key with this kid (byte-for-byte)
  signature_malformed,    // wrong length, or ECDSA r/s outside [1, n-1]
  signature_invalid,      // the signature does not verify
  exp_missing,            // no exp claim
  claim_invalid,          // a registered claim has the wrong type or an absurd value
  expired,                // exp + leeway <= now
  not_yet_valid,          // nbf > now + leeway
  issued_in_future,       // iat > now + leeway
  issuer_mismatch,        // iss missing or not ours
  audience_mismatch,      // aud missing or none of ours
  subject_missing,        // sub missing or not a string
  revoked,                // valid, but denylisted (logout), its family revoked, or older than the user's epoch
  key_invalid,            // a JWK that cannot be used (bad members, wrong sizes, no alg)
  key_not_private,        // signing needs a private key
  internal,               // an OpenSSL/libsodium failure that is not the token's fault
};

std::string_view reason_name(JoseError e);

}  // namespace cloakroom::jose
