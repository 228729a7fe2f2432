#pragma once
// A credential public key as WebAuthn carries it (a COSE_Key, RFC 9053),
// turned into an OpenSSL key that verifies assertion signatures.
//
//   auto key = CoseKey::parse(stored.public_key);          // the COSE bytes kept at registration
//   if (!key) return key.error();                          // key_malformed, key_unsupported, key_weak
//   auto ok = key->verify(signed_bytes, signature);        // signature_malformed / signature_invalid
//
// Only three algorithms, each pinned to its key type: ES256 (kty EC2, crv
// P-256, alg -7), EdDSA (kty OKP, crv Ed25519, alg -8) and RS256 (kty RSA,
// alg -257, 2048 to 8192 bits). Anything else is refused with
// key_unsupported; the key's own alg decides how it verifies, never the
// response. Immutable; safe to share between threads.
#include <openssl/evp.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>

#include "core/result.h"
#include "webauthn/cbor.h"
#include "webauthn/webauthn_error.h"

namespace cloakroom::webauthn {

// COSE algorithm identifiers (IANA), the ones we ask for in pubKeyCredParams.
enum class CoseAlg : std::int64_t { ES256 = -7, EdDSA = -8, RS256 = -257 };

std::optional<CoseAlg> cose_alg_from_int(std::int64_t value);
std::string_view cose_alg_name(CoseAlg alg);

class CoseKey {
 public:
  // Exactly one COSE_Key map in `cose` (no trailing bytes).
  static Result<CoseKey, WebauthnError> parse(std::string_view cose);
  // A COSE_Key already decoded (authenticator data holds it inline).
  static Result<CoseKey, WebauthnError> from_item(const cbor_item_t* key);

  CoseAlg alg() const { return alg_; }
  // Checks `signature` over `message` with this key's algorithm: ES256 an
  // ASN.1 DER ECDSA signature (strict DER), EdDSA 64 raw bytes, RS256
  // PKCS#1 v1.5 of the modulus' length, each over SHA-256 but EdDSA.
  Result<void, WebauthnError> verify(std::string_view message, std::string_view signature) const;

 private:
  struct PkeyFree {
    void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
  };
  CoseKey(CoseAlg alg, std::shared_ptr<EVP_PKEY> pkey) : alg_(alg), pkey_(std::move(pkey)) {}
  CoseAlg alg_;
  std::shared_ptr<EVP_PKEY> pkey_;
};

}  // namespace cloakroom::webauthn
