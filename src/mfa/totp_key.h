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
// A KEK set after users enrolled under totp.key: new secrets are sealed
// under the KEK, and the file, while it exists, still opens the earlier
// ones (else those users would lose their second factor).
//
//   auto keys = open_totp_key(config.jwt.key_encryption_key, users_in_postgres, config.data_dir, random);
//   if (!keys) -> exit 2 with keys.error().text()
//   TotpService totp(users, std::move(*keys), ...);
#include <optional>
#include <string>
#include <string_view>

#include "core/key_encryption.h"
#include "core/random.h"
#include "core/result.h"

namespace cloakroom {

inline constexpr char kTotpKeyFile[] = "totp.key";

struct TotpKeys {
  // Implicit on purpose: one key is a key set with nothing earlier.
  TotpKeys(KeyEncryptionKey sealing, std::optional<KeyEncryptionKey> earlier_key = std::nullopt)
      : seal(std::move(sealing)), earlier(std::move(earlier_key)) {}
  KeyEncryptionKey seal;                    // seals new secrets, and opens them
  std::optional<KeyEncryptionKey> earlier;  // opens only: totp.key kept beside a later KEK

  // `blob` opened with the sealing key, else with the earlier one.
  Result<std::string> open(std::string_view blob, std::string_view purpose) const;
  // `blob` as the sealing key opens it: unchanged when it does already,
  // else opened with the earlier key and sealed again (store migrate moves
  // secrets enrolled under totp.key to the KEK, which every node has). The
  // sealing key's error when neither key opens it.
  Result<std::string> resealed(std::string_view blob, std::string_view purpose, Random& random) const;
};

// What a TOTP secret of this user is sealed for (the associated data): a
// sealed secret copied into another user's row does not open there.
std::string totp_purpose(const std::string& user_id);

// `kek_text`: the configured KEK (already checked by config), empty for none.
// A totp.key that exists beside a KEK must pass the same checks as when it
// is the key (it opens secrets): a bad one is refused, not skipped.
Result<TotpKeys> open_totp_key(std::string_view kek_text, bool users_shared, const std::string& data_dir,
                                       Random& random);

}  // namespace cloakroom
