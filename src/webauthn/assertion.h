#pragma once
// Verifies a sign-in response (navigator.credentials.get, WebAuthn §7.2)
// against the stored credential. No I/O: the caller took the challenge from
// the challenge store (single use), found the credential by the response's
// id, and afterwards records the new sign count (an atomic compare-and-set,
// see UserStore::record_passkey_use).
//
//   auto r = verify_assertion({.credential_id = id, .client_data_json = cdj, .authenticator_data = ad,
//                              .signature = sig, .user_handle = uh, .expected_challenge = issued},
//                             rp, stored);
//   if (!r) -> refuse; if r.error() == sign_count_regressed: refuse, and flag the credential
//   r->user_verified: a passkey with UV counts as two factors (possession + PIN or biometric)
//
// Order: sizes, the credential id and user handle against the stored ones,
// clientDataJSON (type webauthn.get, challenge, origin, crossOrigin),
// authenticator data, rpIdHash, UP, UV if required, then the signature
// over authData || SHA-256(clientDataJSON) with the stored key, and last
// the sign count: a valid signature with a counter that did not go up
// (both non-zero) hints at a cloned authenticator. We refuse it
// (sign_count_regressed) and the caller should flag the credential for
// the user and the admin; the caller decides whether to disable it.
#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.h"
#include "webauthn/relying_party.h"
#include "webauthn/webauthn_error.h"

namespace cloakroom::webauthn {

struct AssertionResponse {
  std::string_view credential_id;       // rawId
  std::string_view client_data_json;    // raw bytes
  std::string_view authenticator_data;  // raw bytes
  std::string_view signature;
  std::string_view user_handle;         // may be empty (non-discoverable sign-in)
  std::string_view expected_challenge;  // the raw bytes we issued
  bool require_user_verification = false;
};

// What verification needs of the stored credential.
struct StoredCredential {
  std::string_view credential_id;
  std::string_view user_handle;
  std::string_view public_key;  // COSE bytes
  std::uint32_t sign_count = 0;
};

struct AssertionResult {
  std::uint32_t sign_count = 0;  // the new counter, to store
  bool user_verified = false;
  bool backup_eligible = false;
  bool backed_up = false;
};

// Why 2 KB: an RS256 signature with an 8192-bit key is 1 KB; ES256 is at most 72 bytes.
inline constexpr std::size_t kMaxSignature = 2048;
// Why 64: WebAuthn §5.4.3 caps user.id at 64 bytes.
inline constexpr std::size_t kMaxUserHandle = 64;

Result<AssertionResult, WebauthnError> verify_assertion(const AssertionResponse& response, const RelyingParty& rp,
                                                        const StoredCredential& stored);

}  // namespace cloakroom::webauthn
