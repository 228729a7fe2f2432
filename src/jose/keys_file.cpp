#include "jose/keys_file.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/private_file.h"

namespace cloakroom::jose {
namespace {
Result<bool> write_keys(const std::string& path, const KeySet& keys, bool replace);
}  // namespace
namespace {

// `where` names the key set: "keys file /x", "key set in postgres:db:5432/auth".
Error where_error(const std::string& where, const std::string& why) {
  return Error{ErrorCode::config_invalid, "The " + where + " " + why + "."};
}

Error key_error(const std::string& path, const std::string& why) { return where_error("keys file " + path, why); }

// The file system failed us, not the configuration (the CLI exits 1, not 2).
Error key_io_error(const std::string& path, const std::string& why) {
  return Error{ErrorCode::io_error, "The keys file " + path + " " + why + "."};
}

}  // namespace

Result<void> check_signer(const KeySet& keys, const std::string& where) {
  const Jwk* active = keys.active();
  // Why: with a public-only active key every token login would fail later.
  if (!active || !active->has_private()) return where_error(where, "has no private key to sign with");
  // Why: its tokens would stop verifying when the retired key is dropped.
  if (keys.retired_at(active->kid()) != 0)
    return where_error(where, "names a retired key (" + active->kid() + ") as the signing key");
  return {};
}

Result<KeySet> parse_keys(std::string_view text, const std::string& signing_kid, const std::string& where) {
  // Why: a key set with a few RSA keys is a few KiB; 1 MiB is a mistake.
  if (text.size() > 1024 * 1024) return where_error(where, "is larger than 1 MiB");
  auto doc = json::parse(text, {.max_bytes = 1024 * 1024, .max_depth = 8});
  if (!doc) return where_error(where, "is not valid JSON");
  auto keys = KeySet::from_jwks(*doc, signing_kid);
  if (!keys) {
    if (keys.error() == JoseError::kid_unknown)
      return where_error(where, "has no key with kid \"" + signing_kid + "\" (jwt.signing_kid)");
    return where_error(where, "holds a key that cannot be used (" + std::string(reason_name(keys.error())) + ")");
  }
  if (keys->empty()) return where_error(where, "holds no keys");
  return std::move(*keys);
}

Result<KeySet> parse_signing_keys(std::string_view text, const std::string& signing_kid, const std::string& where) {
  auto keys = parse_keys(text, signing_kid, where);
  if (!keys) return keys.error();
  if (auto ok = check_signer(*keys, where); !ok) return ok.error();
  return keys;
}

Result<KeySet> load_keys(const std::string& path, const std::string& signing_kid) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return key_io_error(path, "cannot be read");
  std::stringstream ss;
  ss << in.rdbuf();
  return parse_keys(ss.str(), signing_kid, "keys file " + path);
}

Result<KeySet> load_signing_keys(const std::string& path, const std::string& signing_kid) {
  struct stat st{};
  // Why: the file holds private keys; refuse to use one others can read.
  if (::stat(path.c_str(), &st) == 0 && (st.st_mode & 077) != 0)
    return key_error(path, "is readable by other users; run chmod 600 on it");
  auto keys = load_keys(path, signing_kid);
  if (!keys) return keys.error();
  if (auto ok = check_signer(*keys, "keys file " + path); !ok) return ok.error();
  return keys;
}

Result<KeySet> load_or_create_keys(const std::string& path, const std::string& signing_kid, bool* created) {
  if (created) *created = false;
  std::error_code ec;
  if (std::filesystem::exists(path, ec)) return load_signing_keys(path, signing_kid);
  if (!signing_kid.empty()) return key_error(path, "does not exist, so jwt.signing_kid cannot name a key in it");
  auto key = Jwk::generate(Alg::ES256);
  if (!key) return key_io_error(path, "could not be created (key generation failed)");
  KeySet keys({*key});
  auto written = write_keys(path, keys, /*replace=*/false);
  if (!written) return written.error();
  // Another process (a second `serve` starting on the same data dir) created
  // it first: use that one, or the two would sign with different keys.
  if (!*written) return load_signing_keys(path, signing_kid);
  if (created) *created = true;
  return keys;
}

namespace {

// write_private_file, worded for the keys file.
Result<bool> write_keys(const std::string& path, const KeySet& keys, bool replace) {
  auto placed = write_private_file(path, keys.to_jwks(true) + "\n", replace);
  if (!placed) return key_io_error(path, "cannot be written: " + placed.error().message);
  return placed;
}

}  // namespace

Result<bool> create_keys(const std::string& path, const KeySet& keys) {
  if (auto ok = check_signer(keys, "keys file " + path); !ok) return ok.error();
  return write_keys(path, keys, /*replace=*/false);
}

Result<void> save_keys(const std::string& path, const KeySet& keys) {
  auto written = write_keys(path, keys, /*replace=*/true);
  if (!written) return written.error();
  return {};
}

Result<KeySet> update_keys(const std::string& path, const std::string& signing_kid,
                           const std::function<Result<KeySet>(const KeySet&)>& change) {
  const std::string lock_path = path + ".lock";
  int lock = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (lock < 0) return key_io_error(path, std::string("cannot be locked: ") + std::strerror(errno));
  // Released by close(), on every return below.
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{lock};
  // Why no timeout: the holder is another `cloakroom key` command, which
  // keeps the lock for a read and a write, never across its waits.
  if (::flock(lock, LOCK_EX) != 0) return key_io_error(path, std::string("cannot be locked: ") + std::strerror(errno));
  auto stored = load_signing_keys(path, signing_kid);
  if (!stored) return stored.error();
  auto next = change(*stored);
  if (!next) return next.error();
  if (auto ok = check_signer(*next, "keys file " + path); !ok) return ok.error();
  if (auto saved = save_keys(path, *next); !saved) return saved.error();
  return next;
}

}  // namespace cloakroom::jose
