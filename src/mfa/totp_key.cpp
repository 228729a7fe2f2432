#include "mfa/totp_key.h"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>

#include "core/log.h"
#include "core/private_file.h"

namespace cloakroom {
namespace {

Error key_file_error(const std::string& path, const std::string& why) {
  return Error{ErrorCode::io_error, "The TOTP key file " + path + " " + why + "."};
}

// Why one fd: stat() then open() by name lets the file be swapped in
// between (a link to another key, a world-readable copy); every check here
// is on the file actually read. O_NOFOLLOW: a link is refused, not followed.
Result<KeyEncryptionKey> read_key_file(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    if (errno == ELOOP) return Error{ErrorCode::config_invalid, "The TOTP key file " + path + " is a symbolic link; "
                                                                "it must be the file itself."};
    return key_file_error(path, std::string("cannot be read: ") + std::strerror(errno));
  }
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  struct stat st {};
  if (::fstat(fd, &st) != 0) return key_file_error(path, std::string("cannot be read: ") + std::strerror(errno));
  if (!S_ISREG(st.st_mode))
    return Error{ErrorCode::config_invalid, "The TOTP key file " + path + " is not a regular file."};
  if (st.st_uid != ::geteuid())
    return Error{ErrorCode::config_invalid, "The TOTP key file " + path + " belongs to uid " +
                                                std::to_string(st.st_uid) + ", not to uid " +
                                                std::to_string(::geteuid()) + " that cloakroom runs as; chown it."};
  // Why refuse: a key others can read seals nothing.
  if ((st.st_mode & 077) != 0)
    return Error{ErrorCode::config_invalid,
                 "The TOTP key file " + path + " is readable by others; chmod 600 it (it seals the TOTP secrets)."};
  // Why 4096: the key is 43 characters and a newline; more is not a key file.
  std::array<char, 4096> buf{};
  std::size_t len = 0;
  while (len < buf.size()) {
    const ssize_t n = ::read(fd, buf.data() + len, buf.size() - len);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return key_file_error(path, std::string("cannot be read: ") + std::strerror(errno));
    if (n == 0) break;
    len += static_cast<std::size_t>(n);
  }
  auto key = KeyEncryptionKey::parse(std::string_view(buf.data(), len));
  sodium_memzero(buf.data(), buf.size());
  if (!key) return Error{ErrorCode::config_invalid, "The TOTP key in " + path + " " + std::string(key.error().text())};
  return key;
}

}  // namespace

Result<KeyRing> open_totp_key(std::string_view kek_text, std::string_view previous_kek_text, bool users_shared,
                              const std::string& data_dir, Random& random, bool quiet) {
  const std::string path = data_dir + "/" + kTotpKeyFile;
  if (!kek_text.empty()) {
    auto keks = parse_key_ring(kek_text, previous_kek_text);
    if (!keks) return keks.error();
    // The KEK was set after the file had been the key: what was enrolled
    // then is sealed under the file, so the file keeps opening it.
    struct stat st {};
    if (data_dir.empty() || ::lstat(path.c_str(), &st) != 0) return keks;
    auto earlier = read_key_file(path);
    if (!earlier) return earlier.error();
    if (!quiet)
      log_line("warn", "totp_key_file_left",
               {{"file", path},
                {"effect", "new TOTP secrets are sealed under the key-encryption key; secrets enrolled while this "
                           "file was the TOTP key are still opened with it: run `cloakroom key rewrap` to reseal "
                           "them under the key-encryption key, then remove the file (removing it before loses "
                           "those users' TOTP for good)"}});
    keks->add_opener(std::move(*earlier));
    return keks;
  }
  if (users_shared)
    return Error{ErrorCode::config_invalid,
                 "TOTP with users in PostgreSQL needs the key-encryption key, so every node opens the same secrets: "
                 "set jwt.key_encryption_key_file or CLOAKROOM_JWT_KEY_ENCRYPTION_KEY."};
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) {
    std::array<unsigned char, KeyEncryptionKey::kBytes> bytes{};
    random.fill(bytes);
    std::string text = base64url_encode(bytes) + "\n";
    sodium_memzero(bytes.data(), bytes.size());
    auto placed = write_private_file(path, text, /*replace=*/false);
    sodium_memzero(text.data(), text.size());
    if (!placed) return key_file_error(path, "cannot be written: " + placed.error().message);
    // false: another process made it first; both then read the one file.
  }
  auto key = read_key_file(path);
  if (!key) return key.error();
  return KeyRing(std::move(*key));
}

std::string totp_purpose(const std::string& user_id) { return "cloakroom:totp:v1:" + user_id; }

}  // namespace cloakroom
