#pragma once
// Why a WebAuthn response (registration or assertion) was refused: one closed
// set, so tests assert the exact reason and logs/metrics can count each. The
// HTTP layer maps them all to one client answer; the reason goes to logs.
//
//   auto r = verify_assertion(input, rp, stored);
//   if (!r) log_line("info", "passkey_refused", {{"reason", std::string(reason_name(r.error()))}});
#include <string_view>

namespace cloakroom::webauthn {

enum class WebauthnError {
  too_large,               // an input over its size limit (checked before any parsing)
  cbor_malformed,          // not one well-formed CBOR item, or trailing bytes after it
  cbor_not_canonical,      // indefinite lengths, tags or floats: CTAP2 canonical CBOR has none
  cbor_too_deep,           // nesting beyond the limit
  cbor_too_many_members,   // a map or array beyond the limit
  attestation_invalid,     // attestationObject is not a map of fmt (text), attStmt (map), authData (bytes)
  auth_data_malformed,     // authenticator data too short, lengths that do not add up, or bytes left over
  attested_data_missing,   // registration: the AT flag is clear (no credential in the response)
  credential_id_invalid,   // empty, over 1023 bytes, or not the id the client named
  key_malformed,           // COSE_Key is not a map with the members its kty needs, of the right sizes
  key_unsupported,         // a COSE algorithm, key type or curve we do not verify (only ES256, EdDSA, RS256)
  key_weak,                // RSA modulus under 2048 bits (or over 8192), or an EC point not on P-256
  client_data_malformed,   // clientDataJSON is not a JSON object with string type, challenge, origin
  type_mismatch,           // type is not webauthn.create / webauthn.get for this ceremony
  challenge_mismatch,      // not the challenge we issued for this ceremony
  origin_mismatch,         // origin is not ours (scheme://host[:port] of public_url)
  cross_origin,            // crossOrigin true: the ceremony ran in a cross-origin iframe
  rp_id_mismatch,          // rpIdHash is not SHA-256 of our rpId
  user_not_present,        // the UP flag is clear
  user_verification_required,  // the caller required UV and the UV flag is clear
  user_handle_mismatch,    // assertion: userHandle is not the one stored with the credential
  signature_malformed,     // wrong length, or an ECDSA signature that is not DER
  signature_invalid,       // the signature does not verify
  sign_count_regressed,    // both counters non-zero and the new one not above the stored one (a clone?)
  internal,                // an OpenSSL or libcbor failure that is not the response's fault
};

std::string_view reason_name(WebauthnError e);

}  // namespace cloakroom::webauthn
