#pragma once
// The authenticator's answer to navigator.credentials.create (WebAuthn
// §6.5.4): a CBOR map {fmt: text, attStmt: map, authData: bytes}. Parsed
// strictly (limits, no trailing bytes); the statement is not verified: see
// registration.h for the "none" policy.
//
//   auto obj = parse_attestation_object(bytes);
//   if (!obj) return obj.error();              // too_large, cbor_*, attestation_invalid, auth_data_*...
//   obj->fmt;                                   // "none", "packed", ... (recorded, not trusted)
//   obj->auth_data.attested->public_key;        // the new credential's COSE_Key bytes
#include <cstddef>
#include <string>
#include <string_view>

#include "core/result.h"
#include "webauthn/authenticator_data.h"
#include "webauthn/webauthn_error.h"

namespace cloakroom::webauthn {

struct AttestationObject {
  std::string fmt;
  std::string auth_data_bytes;  // as signed (registration does not check a signature, but keep them)
  AuthenticatorData auth_data;
};

Result<AttestationObject, WebauthnError> parse_attestation_object(std::string_view bytes);

}  // namespace cloakroom::webauthn
