#pragma once
// Verifies a registration response (navigator.credentials.create, WebAuthn
// §7.1) and returns the credential to store. No I/O: the caller took the
// challenge from the challenge store (single use, short-lived) and stores
// the result.
//
//   auto cred = verify_registration({.client_data_json = cdj, .attestation_object = ao,
//                                    .expected_challenge = issued}, rp);
//   if (!cred) -> refuse, log reason_name(cred.error())
//   store: cred->credential_id, cred->public_key (COSE bytes), cred->alg, cred->sign_count, cred->user_verified...
//
// Order: sizes, clientDataJSON (type webauthn.create, challenge, origin,
// crossOrigin), attestationObject (CBOR limits, no trailing bytes),
// rpIdHash == SHA-256(rpId), UP set, UV if required, AT present, the
// COSE_Key usable (ES256, EdDSA or RS256; else key_unsupported).
//
// Attestation policy "none": we ask for attestation "none", and accept any
// fmt without verifying its statement (it is recorded, not trusted): we do
// not restrict which authenticator models may register, so a statement
// could prove nothing we act on. A "none" fmt must have an empty statement.
// Not checked here: that the credential id is new (the store's unique key
// refuses a duplicate) and excludeCredentials (the browser's job).
#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.h"
#include "webauthn/cose_key.h"
#include "webauthn/relying_party.h"
#include "webauthn/webauthn_error.h"

namespace cloakroom::webauthn {

struct RegistrationResponse {
  std::string_view client_data_json;    // raw bytes (the client sends base64url; the caller decodes)
  std::string_view attestation_object;  // raw bytes
  std::string_view expected_challenge;  // the raw bytes we issued
  bool require_user_verification = false;
};

struct NewCredential {
  std::string credential_id;
  std::string public_key;  // COSE_Key bytes, as the authenticator sent them
  CoseAlg alg = CoseAlg::ES256;
  std::uint32_t sign_count = 0;
  bool user_verified = false;
  bool backup_eligible = false;
  bool backed_up = false;
  std::string aaguid;              // 16 bytes
  std::string attestation_format;  // recorded only
};

Result<NewCredential, WebauthnError> verify_registration(const RegistrationResponse& response,
                                                         const RelyingParty& rp);

}  // namespace cloakroom::webauthn
