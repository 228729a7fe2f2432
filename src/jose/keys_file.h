#pragma once
// The signing keys on disk: a JWKS with private members (RFC 7517), file mode
// 0600, written atomically (temp file + fsync + rename). The first key is the
// active signer unless jwt.signing_kid names another.
//
//   bool created = false;
//   auto keys = load_or_create_keys(cfg.jwt.keys, cfg.jwt.signing_kid, &created);  // an ES256 key on first start
//   auto again = load_signing_keys(cfg.jwt.keys, cfg.jwt.signing_kid);    // hot reload: the same checks
//   auto saved = save_keys(path, key_set);
//   auto changed = update_keys(path, kid, [&](const KeySet& k) -> Result<KeySet> { return k.with_key(fresh); });
#include <functional>
#include <string>
#include <string_view>

#include "core/result.h"
#include "jose/key_set.h"

namespace cloakroom::jose {

// Reads a keys file to sign with. Refuses (config_invalid, one sentence) a
// file readable by others, one that is not a valid JWKS, a key we would not
// trust, an unknown signing_kid, or an active key without its private part
// or retired.
// Startup and every hot reload go through here, so a reload can never accept
// what a restart would refuse.
Result<KeySet> load_signing_keys(const std::string& path, const std::string& signing_kid);
// load_signing_keys, or, when the file does not exist, creates it with one
// new ES256 key and sets *created. Tokens signed by any earlier key then stop
// verifying: the caller, who knows whether this is a first start, warns.
Result<KeySet> load_or_create_keys(const std::string& path, const std::string& signing_kid,
                                   bool* created = nullptr);
// The checks every stored key set passes, wherever it is kept (this file,
// a shared store): a JWKS of at most 1 MiB, keys we trust, unique kids,
// signing_kid present. `where` names it in the one-sentence error
// ("keys file /x" gives "The keys file /x is not valid JSON.").
Result<KeySet> parse_keys(std::string_view text, const std::string& signing_kid, const std::string& where);
// What signing needs beyond that: an active key with its private half, not retired.
Result<void> check_signer(const KeySet& keys, const std::string& where);
// parse_keys, then check_signer.
Result<KeySet> parse_signing_keys(std::string_view text, const std::string& signing_kid, const std::string& where);
// Reads a JWKS file without creating anything (the CLI's --jwks, public keys allowed).
Result<KeySet> load_keys(const std::string& path, const std::string& signing_kid = {});
Result<void> save_keys(const std::string& path, const KeySet& keys);
// Writes `keys` (checked as load_signing_keys would) only when `path` does not
// exist: true when written, false when a file was there already (left as it is).
Result<bool> create_keys(const std::string& path, const KeySet& keys);
// Read-modify-write of the keys file under an exclusive lock (flock on
// PATH.lock), so two `cloakroom key` commands at once cannot lose each
// other's change. `change` gets the stored set (load_signing_keys) and
// returns the one to store, which must pass the same checks; an error from
// either leaves the file as it was. Returns what was stored.
Result<KeySet> update_keys(const std::string& path, const std::string& signing_kid,
                           const std::function<Result<KeySet>(const KeySet&)>& change);

}  // namespace cloakroom::jose
