#pragma once
// The key TOTP secrets are sealed under (core/key_encryption.h), chosen once
// at start:
//   - the key-encryption key (jwt.key_encryption_key_file or
//     CLOAKROOM_JWT_KEY_ENCRYPTION_KEY) when one is configured: every node
//     that shares the users can then open every secret;
//   - else, with users in PostgreSQL, none: refused (config_invalid), since
//     each node would make its own key and could not open the others' secrets;
//   - else the dedicated key file <data dir>/totp.key (32 random bytes,
//     base64url, mode 0600), made on first use.
// Either way the key lives outside the database it protects: a copy of the
// database alone does not give the secrets away.
//
//   auto key = open_totp_key(config.jwt.key_encryption_key, users_in_postgres, config.data_dir, random);
//   if (!key) -> exit 2 with key.error().text()
#include <string>
#include <string_view>

#include "core/key_encryption.h"
#include "core/random.h"
#include "core/result.h"

namespace cloakroom {

inline constexpr char kTotpKeyFile[] = "totp.key";

// `kek_text`: the configured KEK (already checked by config), empty for none.
Result<KeyEncryptionKey> open_totp_key(std::string_view kek_text, bool users_shared, const std::string& data_dir,
                                       Random& random);

}  // namespace cloakroom
