#pragma once
// The browser's half of a ceremony: clientDataJSON (WebAuthn §5.8.1), checked
// against what we expect. The signature covers SHA-256 of these exact bytes,
// so they are checked as received, never re-serialised.
//
//   auto ok = check_client_data(client_data_json, Ceremony::get, issued_challenge, rp);
//   if (!ok) return ok.error();   // type_mismatch, challenge_mismatch, origin_mismatch, cross_origin...
//
// Checked: a JSON object of at most kMaxClientData bytes, no duplicate
// members; type; challenge (base64url of the bytes we issued, compared in
// constant time); origin == rp.origin exactly; crossOrigin absent or false.
// Not checked: topOrigin and tokenBinding (we run in no iframe, and no
// browser ships token binding); members we do not know are ignored, as the
// spec requires.
#include <cstddef>
#include <string_view>

#include "core/result.h"
#include "webauthn/relying_party.h"
#include "webauthn/webauthn_error.h"

namespace cloakroom::webauthn {

// Why 4 KB: browsers send ~200 bytes (type, challenge, origin, crossOrigin,
// and Chrome's "other_keys_can_be_added_here" note).
inline constexpr std::size_t kMaxClientData = 4096;

enum class Ceremony { create, get };  // registration ("webauthn.create") / sign-in ("webauthn.get")

Result<void, WebauthnError> check_client_data(std::string_view client_data_json, Ceremony ceremony,
                                              std::string_view expected_challenge, const RelyingParty& rp);

}  // namespace cloakroom::webauthn
