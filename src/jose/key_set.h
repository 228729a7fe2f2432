#pragma once
// The keys cloakroom signs and verifies with: one active signing key, other
// keys kept for verification, some of them retired (each remembers when, so
// every process drops it once the tokens it signed have expired).
// Immutable: a change builds a new KeySet, readers keep the one they started with.
//
//   KeySet keys({active, older}, active.kid());
//   const Jwk* k = keys.find("kid-1");                  // byte-for-byte kid match
//   const Jwk* signer = keys.active();
//   KeySet r = keys.retired(older.kid(), now);          // verifies until now + grace
//   KeySet in_force = r.without_retired_before(now - grace);
//   std::string stored = keys.to_jwks(true);            // private members + "retired_at"
#include <optional>
#include <string>
#include <vector>

#include "jose/jwk.h"

namespace cloakroom::jose {

class KeySet {
 public:
  KeySet() = default;
  // `active_kid` empty: the first key signs. `retired_at` (unix seconds, 0:
  // not retired) runs parallel to `keys`; empty: none retired.
  KeySet(std::vector<Jwk> keys, std::string active_kid = {}, std::vector<long long> retired_at = {});

  // Reads a JWKS; a key may carry "retired_at" (a positive integer, unix seconds).
  static Result<KeySet, JoseError> from_jwks(const json::Value& jwks, const std::string& active_kid = {});

  const Jwk* find(std::string_view kid) const;
  const Jwk* active() const { return active_ < keys_.size() ? &keys_[active_] : nullptr; }
  const std::vector<Jwk>& keys() const { return keys_; }
  bool empty() const { return keys_.empty(); }
  // When the key `kid` was retired (unix seconds); 0 when it was not, or is not here.
  long long retired_at(std::string_view kid) const;

  // Copies with one change each; an unknown kid changes nothing. The active
  // key is the one named at construction (or the first), whatever the order.
  KeySet with_key(Jwk key) const;                          // appended, verifies only
  KeySet retired(std::string_view kid, long long at) const;
  KeySet without(std::string_view kid) const;
  // The first key signs: moves `kid` to the front (jwt.signing_kid still wins).
  KeySet activated(std::string_view kid, const std::string& signing_kid) const;
  // Without the keys retired at or before `cutoff` (unix seconds): what
  // still verifies once their grace has passed.
  KeySet without_retired_before(long long cutoff) const;
  // The earliest retirement among the keys here; 0 when none is retired.
  long long earliest_retirement() const;

  // {"keys":[...]}. include_private = true is the stored form: private
  // members and each key's "retired_at". false is what /.well-known/jwks.json
  // publishes: public members only and no symmetric keys at all.
  std::string to_jwks(bool include_private) const;

 private:
  std::string active_kid() const;
  std::vector<Jwk> keys_;
  std::vector<long long> retired_at_;  // parallel to keys_
  std::size_t active_ = 0;
};

}  // namespace cloakroom::jose
