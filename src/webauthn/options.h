#pragma once
// The options a page hands to navigator.credentials.create / .get, as JSON
// in the WebAuthn Level 3 JSON shape (binary members base64url), so the
// page can use PublicKeyCredential.parseCreationOptionsFromJSON() or decode
// the few binary members itself.
//
//   std::string challenge = new_challenge(rng);          // 32 CSPRNG bytes; keep them in the challenge store
//   std::string handle = new_user_handle(rng);           // once per user, stored with each of their passkeys
//   std::string json = creation_options_json({.rp = rp, .challenge = challenge, .user_handle = handle,
//                                             .user_name = "alice", .display_name = "Alice",
//                                             .exclude_credential_ids = ids, .timeout_ms = 300000});
//   std::string get = request_options_json({.rp = rp, .challenge = challenge, .timeout_ms = 300000});
//
// Fixed policy, not options: pubKeyCredParams ES256, EdDSA, RS256 (in that
// order of preference); residentKey "required" (usernameless sign-in);
// userVerification "preferred"; attestation "none".
#include <string>
#include <string_view>
#include <vector>

#include "core/random.h"
#include "webauthn/relying_party.h"

namespace cloakroom::webauthn {

// Why 32 bytes: WebAuthn §13.4.3 asks for at least 16 random bytes.
inline constexpr std::size_t kChallengeBytes = 32;
// Why 32: random and opaque (never the username or user id, §14.6.1), at most 64.
inline constexpr std::size_t kUserHandleBytes = 32;

// Raw random bytes (not encoded).
std::string new_challenge(Random& rng);
std::string new_user_handle(Random& rng);

struct CreationOptions {
  const RelyingParty& rp;
  std::string_view challenge;    // raw bytes
  std::string_view user_handle;  // raw bytes
  std::string_view user_name;
  std::string_view display_name;
  std::vector<std::string> exclude_credential_ids;  // raw bytes: the user's passkeys, so one authenticator registers once
  long long timeout_ms = 300'000;
};

struct RequestOptions {
  const RelyingParty& rp;
  std::string_view challenge;  // raw bytes
  // Empty: a discoverable-credential ("Sign in with a passkey") request.
  std::vector<std::string> allow_credential_ids;
  long long timeout_ms = 300'000;
};

std::string creation_options_json(const CreationOptions& options);
std::string request_options_json(const RequestOptions& options);

}  // namespace cloakroom::webauthn
