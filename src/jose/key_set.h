#pragma once
// The keys cloakroom signs and verifies with: one active signing key, older
// keys kept for verification until retired. Immutable: rotation builds a new
// KeySet (see KeysFile), readers keep the one they started with.
//
//   KeySet keys({active, older}, active.kid());
//   const Jwk* k = keys.find("kid-1");       // byte-for-byte kid match
//   const Jwk& signer = keys.active();
#include <optional>
#include <string>
#include <vector>

#include "jose/jwk.h"

namespace cloakroom::jose {

class KeySet {
 public:
  KeySet() = default;
  // `active_kid` empty: the first key signs.
  KeySet(std::vector<Jwk> keys, std::string active_kid = {});

  static Result<KeySet, JoseError> from_jwks(const json::Value& jwks, const std::string& active_kid = {});

  const Jwk* find(std::string_view kid) const;
  const Jwk* active() const { return active_ < keys_.size() ? &keys_[active_] : nullptr; }
  const std::vector<Jwk>& keys() const { return keys_; }
  bool empty() const { return keys_.empty(); }

  // {"keys":[...]}; with include_private = false, public members only and no
  // symmetric keys at all (for /.well-known/jwks.json).
  std::string to_jwks(bool include_private) const;

 private:
  std::vector<Jwk> keys_;
  std::size_t active_ = 0;
};

}  // namespace cloakroom::jose
