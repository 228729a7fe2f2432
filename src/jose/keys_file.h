#pragma once
// The signing keys on disk: a JWKS with private members (RFC 7517), file mode
// 0600, written atomically (temp file + fsync + rename). The first key is the
// active signer unless jwt.signing_kid names another.
//
//   auto keys = load_or_create_keys(cfg.jwt.keys, cfg.jwt.signing_kid);   // creates an ES256 key on first start
//   auto saved = save_keys(path, key_set);
#include <string>

#include "core/result.h"
#include "jose/key_set.h"

namespace cloakroom::jose {

// Loads the file, or creates it with one new ES256 key when it does not exist.
// Refuses (config_invalid, one sentence) a file that is not a valid JWKS, a
// key we would not trust, an unknown signing_kid, or a file readable by others.
Result<KeySet> load_or_create_keys(const std::string& path, const std::string& signing_kid);
// Reads a JWKS file without creating anything (the CLI's --jwks, public keys allowed).
Result<KeySet> load_keys(const std::string& path, const std::string& signing_kid = {});
Result<void> save_keys(const std::string& path, const KeySet& keys);

}  // namespace cloakroom::jose
