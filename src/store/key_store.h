#pragma once
// The signing key set kept in a shared store, for nodes that share no data
// dir: one sealed blob (the private JWKS, encrypted by the caller under the
// key-encryption key: the store never sees a private key in the clear) and a
// version that grows with every change. The embedded default keeps the keys
// file instead (jose/keys_file.h); Stores::keys is null then.
//
//   auto stored = keys.load();                          // not_found: none stored yet
//   auto first = keys.create(sealed);                   // the first node's set wins: returns what is stored
//   keys.update([&](const SealedKeys& now) -> Result<std::string> { return resealed(now); });
//                                                       // + keys_changed on the feed, in one transaction
//   if (*keys.version() != seen) reload();              // cheap: one primary-key read
#include <functional>
#include <string>

#include "core/result.h"

namespace cloakroom {

struct SealedKeys {
  long long version = 0;  // 1 for the first set, + 1 per change
  std::string sealed;     // opaque bytes
};

class KeyStore {
 public:
  virtual ~KeyStore() = default;

  // not_found when no key set is stored yet.
  virtual Result<SealedKeys> load() = 0;
  // The stored version; 0 when none is stored.
  virtual Result<long long> version() = 0;
  // Stores `sealed` as version 1 unless a set is stored already (another
  // node started first); returns what is stored afterwards, either way.
  virtual Result<SealedKeys> create(const std::string& sealed) = 0;
  // Read-modify-write under the set's lock: `change` gets what is stored and
  // returns the blob to store (an error stores nothing). The new version and
  // a keys_changed change feed entry are written in one transaction.
  // not_found when no key set is stored.
  virtual Result<SealedKeys> update(const std::function<Result<std::string>(const SealedKeys&)>& change) = 0;
  // "postgres:HOST:PORT/DB": no user, no password.
  virtual const std::string& name() const = 0;
};

}  // namespace cloakroom
