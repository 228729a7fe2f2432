#pragma once
// The key TOTP secrets are sealed under (core/key_encryption.h), chosen once
// at start:
//   - the key-encryption key (jwt.key_encryption_key_file or
//     CLOAKROOM_JWT_KEY_ENCRYPTION_KEY) when one is configured: every node
//     that shares the users can then open every secret;
//   - else, with users in PostgreSQL, none: refused (config_invalid), since
//     each node would make its own key and could not open the others' secrets;
//   - else the dedicated key file <data dir>/totp.key (32 random bytes,
//     base64url, mode 0600), made by the first open_totp_key() with no
//     KEK (serve's start), before anyone enrols.
// Either way the key lives outside the database it protects: a copy of the
// database alone does not give the secrets away.
//
// A KEK set after users enrolled under totp.key: new secrets are sealed
// under the KEK, and the file, while it exists, still opens the earlier
// ones (else those users would lose their second factor), as does the
// previous KEK while one is rotated. `cloakroom key rewrap` reseals both
// kinds under the KEK; the file can then go.
//
//   auto keys = open_totp_key(kek, previous_kek, users_in_postgres, config.data_dir, random);
//   if (!keys) -> exit 2 with keys.error().text()
//   TotpService totp(users, std::move(*keys), ...);
#include <string>
#include <string_view>

#include "core/key_encryption.h"
#include "core/random.h"
#include "core/result.h"

namespace cloakroom {

inline constexpr char kTotpKeyFile[] = "totp.key";

// `kek_text`, `previous_kek_text`: the configured KEKs (already checked by
// config), empty for none. A totp.key that exists beside a KEK must pass
// the same checks as when it is the key (it opens secrets): a bad one is
// refused, not skipped. `quiet`: no totp_key_file_left warning (`key
// rewrap`, which is what retires the file, says it itself).
Result<KeyRing> open_totp_key(std::string_view kek_text, std::string_view previous_kek_text, bool users_shared,
                              const std::string& data_dir, Random& random, bool quiet = false);

// What a TOTP secret of this user is sealed for (the associated data): a
// sealed secret copied into another user's row does not open there.
std::string totp_purpose(const std::string& user_id);

}  // namespace cloakroom
