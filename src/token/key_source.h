#pragma once
// Where the signing key set is kept, and the one way it changes: the keys
// file (jwt.keys, the embedded default) or, with the users in a shared store
// (PostgreSQL), that store, sealed under the key-encryption key. AccessTokens
// reloads through it; the `key` commands change keys through it, and each
// change records keys_changed on the change feed itself (the shared store in
// the same transaction), so every process reloads.
//
//   auto source = open_key_source(config, stores);                // the store's, or the file's
//   bool created = false;
//   auto keys = (*source)->load_or_create(&created);              // a new ES256 set when none is kept yet
//   auto next = (*source)->update([&](const jose::KeySet& k) -> Result<jose::KeySet> { return k.with_key(fresh); });
//   auto fresh = (*source)->reload_if_changed();                  // maintenance: nullopt when unchanged
//
// Every set read or written passes jose::parse_signing_keys (valid JWKS,
// trusted keys, signing_kid present, a private, unretired active key).
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "config/config.h"
#include "core/result.h"
#include "jose/key_set.h"
#include "store/change_feed.h"
#include "store/key_store.h"

namespace cloakroom {

struct Stores;

class KeySource {
 public:
  virtual ~KeySource() = default;

  // The kept set, retired keys included. When none is kept yet, one with a
  // new ES256 key is made and *created set; two processes doing this at
  // once end up with the one set that was kept first.
  virtual Result<jose::KeySet> load_or_create(bool* created) = 0;
  // The kept set, or nullopt when none is kept yet (nothing is made).
  virtual Result<std::optional<jose::KeySet>> load() = 0;
  // Keeps `keys` (which must pass the checks below) when no set is kept yet:
  // true; false when one was kept already, which is left as it is.
  virtual Result<bool> create(const jose::KeySet& keys) = 0;
  // The kept set when it changed since the last load or reload, nullopt
  // when it did not. A refused set (or an unreadable store) is an error once
  // per change (or per run of failures), then nullopt until it changes
  // again: the caller logs each error it gets, and is not flooded.
  virtual Result<std::optional<jose::KeySet>> reload_if_changed() = 0;
  // Read-modify-write under the source's lock (a lock file, a row lock):
  // `change` gets the kept set and returns the one to keep, which must pass
  // the checks above. Records keys_changed. Returns what was kept.
  virtual Result<jose::KeySet> update(const std::function<Result<jose::KeySet>(const jose::KeySet&)>& change) = 0;
  // `key rewrap`: a set sealed under an earlier key-encryption key is sealed
  // again under the current one, through update (keys_changed): true; false
  // when it is current already, none is kept, or it is not sealed at all
  // (the keys file, plaintext 0600 by design).
  virtual Result<bool> reseal() = 0;
  // For messages and logs: "keys file /var/lib/cloakroom/keys.jwks.json",
  // "key set in postgres:db:5432/auth".
  virtual const std::string& where() const = 0;
};

// The keys file; `feed` (may be null: nothing announced) gets keys_changed
// after each update, right after the file is replaced (a file and a feed
// cannot share a transaction; a reader that misses the entry still sees the
// file change within a second).
std::unique_ptr<KeySource> file_key_source(const Config& config, std::shared_ptr<ChangeFeed> feed);

// stores.keys when the users' store keeps the signing keys (PostgreSQL): it
// needs the key-encryption key (config_invalid, one sentence, without it),
// and opens a set sealed under jwt.previous_key_encryption_key too;
// else the keys file, announced on the users' feed.
Result<std::unique_ptr<KeySource>> open_key_source(const Config& config, const Stores& stores);

// What the key set is sealed as (the associated data): a blob sealed as
// anything else does not open as a key set.
inline constexpr std::string_view kSealedKeySet = "cloakroom:jwks:v1";

}  // namespace cloakroom
