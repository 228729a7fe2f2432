#pragma once
// One JSON Web Key (RFC 7517) pinned to one algorithm, able to sign and
// verify with it. Immutable and cheap to copy (shared state); safe to use
// from many threads at once.
//
//   auto key = Jwk::generate(Alg::ES256);                // kid = RFC 7638 thumbprint
//   auto imported = Jwk::from_json(jwk_object);         // "alg" decides the pin for RSA and oct keys
//   auto sig = key->sign(signing_input);                 // JWS signature bytes (ES256: raw r||s)
//   auto ok  = key->verify(signing_input, sig);          // Result<void, JoseError>
//   json::Writer w; key->write_json(w, /*include_private=*/false);
//
// Import refuses keys we would not trust: RSA under 2048 bits, EC points not
// on P-256 or coordinates of the wrong length, HMAC secrets shorter than the
// hash, Ed25519 seeds that do not match their public key.
#include <memory>
#include <string>
#include <string_view>

#include "core/json.h"
#include "core/result.h"
#include "jose/algorithm.h"
#include "jose/jose_error.h"

namespace cloakroom::jose {

class Jwk {
 public:
  static Result<Jwk, JoseError> from_json(const json::Value& jwk);
  static Result<Jwk, JoseError> generate(Alg alg);

  // RFC 7638 thumbprint (SHA-256, base64url) of the public members.
  std::string thumbprint() const;
  // With include_private = false only public members are written (for HMAC
  // keys nothing is public: callers must not publish them at all).
  void write_json(json::Writer& w, bool include_private) const;
  // The same members without the surrounding braces, so a caller can add
  // members of its own (KeySet stores a retirement time beside them).
  void write_members(json::Writer& w, bool include_private) const;

  const std::string& kid() const;
  Alg alg() const;
  bool has_private() const;
  bool is_symmetric() const { return is_hmac(alg()); }

  Result<std::string, JoseError> sign(std::string_view signing_input) const;
  Result<void, JoseError> verify(std::string_view signing_input, std::string_view signature) const;

  // The same key under another kid (import keeps the file's kid).
  Jwk with_kid(std::string kid) const;

  struct Impl;

 private:
  explicit Jwk(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}
  std::shared_ptr<const Impl> impl_;
};

}  // namespace cloakroom::jose
