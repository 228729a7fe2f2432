#pragma once
// Authenticator data (WebAuthn §6.1): what the authenticator signs about a
// ceremony. Parsed strictly; no crypto and no policy here (the registration
// and assertion verifiers decide what the flags must say).
//
//   auto ad = parse_authenticator_data(bytes);
//   if (!ad) return ad.error();                    // auth_data_malformed, credential_id_invalid, cbor_*...
//   ad->rp_id_hash; ad->user_present(); ad->sign_count;
//   if (ad->attested) ad->attested->credential_id;  // registration only (AT flag)
//
// Layout: rpIdHash (32) | flags (1) | signCount (4, big-endian) |
// [AT: aaguid (16) | idLength (2) | credentialId | COSE_Key (CBOR)] |
// [ED: extensions (CBOR map)]. Nothing may follow; a flag without its data,
// or data without its flag, is malformed. The COSE_Key is kept as its bytes
// (to store) and checked to be a CBOR map within limits, not yet a usable key.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/digest.h"
#include "core/result.h"
#include "webauthn/webauthn_error.h"

namespace cloakroom::webauthn {

// Why 8 KB: 37 fixed bytes + 18 + a 1023-byte id + a COSE key (an 8192-bit
// RSA key is ~1 KB) + small extensions; real ones are a few hundred bytes.
inline constexpr std::size_t kMaxAuthenticatorData = 8192;
// WebAuthn §6.5.1: credentialIdLength at most 1023.
inline constexpr std::size_t kMaxCredentialId = 1023;

struct AttestedCredential {
  std::string aaguid;         // 16 bytes: the authenticator model (all zero with attestation "none")
  std::string credential_id;  // 1..1023 bytes
  std::string public_key;     // the COSE_Key's CBOR bytes, exactly as sent
};

struct AuthenticatorData {
  enum Flag : std::uint8_t { UP = 0x01, UV = 0x04, BE = 0x08, BS = 0x10, AT = 0x40, ED = 0x80 };

  Sha256 rp_id_hash{};
  std::uint8_t flags = 0;
  std::uint32_t sign_count = 0;
  std::optional<AttestedCredential> attested;  // present exactly when AT is set

  bool user_present() const { return flags & UP; }
  bool user_verified() const { return flags & UV; }
  bool backup_eligible() const { return flags & BE; }
  bool backed_up() const { return flags & BS; }
};

Result<AuthenticatorData, WebauthnError> parse_authenticator_data(std::string_view bytes);

}  // namespace cloakroom::webauthn
