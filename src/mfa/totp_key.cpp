#include "mfa/totp_key.h"

#include <sodium.h>
#include <sys/stat.h>

#include <array>
#include <fstream>
#include <sstream>

#include "core/private_file.h"

namespace cloakroom {
namespace {

Error key_file_error(const std::string& path, const std::string& why) {
  return Error{ErrorCode::io_error, "The TOTP key file " + path + " " + why + "."};
}

Result<KeyEncryptionKey> read_key_file(const std::string& path) {
  struct stat st {};
  // Why refuse: a key others can read seals nothing.
  if (::stat(path.c_str(), &st) == 0 && (st.st_mode & 077) != 0)
    return Error{ErrorCode::config_invalid,
                 "The TOTP key file " + path + " is readable by others; chmod 600 it (it seals the TOTP secrets)."};
  std::ifstream in(path, std::ios::binary);
  if (!in) return key_file_error(path, "cannot be read");
  std::stringstream text;
  text << in.rdbuf();
  std::string s = text.str();
  auto key = KeyEncryptionKey::parse(s);
  sodium_memzero(s.data(), s.size());
  if (!key) return Error{ErrorCode::config_invalid, "The TOTP key in " + path + " " + std::string(key.error().text())};
  return key;
}

}  // namespace

Result<KeyEncryptionKey> open_totp_key(std::string_view kek_text, bool users_shared, const std::string& data_dir,
                                       Random& random) {
  if (!kek_text.empty()) return KeyEncryptionKey::parse(kek_text);
  if (users_shared)
    return Error{ErrorCode::config_invalid,
                 "TOTP with users in PostgreSQL needs the key-encryption key, so every node opens the same secrets: "
                 "set jwt.key_encryption_key_file or CLOAKROOM_JWT_KEY_ENCRYPTION_KEY."};
  const std::string path = data_dir + "/" + kTotpKeyFile;
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    std::array<unsigned char, KeyEncryptionKey::kBytes> bytes{};
    random.fill(bytes);
    std::string text = base64url_encode(bytes) + "\n";
    sodium_memzero(bytes.data(), bytes.size());
    auto placed = write_private_file(path, text, /*replace=*/false);
    sodium_memzero(text.data(), text.size());
    if (!placed) return key_file_error(path, "cannot be written: " + placed.error().message);
    // false: another process made it first; both then read the one file.
  }
  return read_key_file(path);
}

}  // namespace cloakroom
