#include "password/password_hasher.h"

#include <sodium.h>

#include <stdexcept>

namespace cloakroom {
namespace {
std::size_t memlimit(const Argon2Params& p) { return static_cast<std::size_t>(p.memory_kib) * 1024; }
}  // namespace

PasswordHasher::PasswordHasher(Argon2Params params) : params_(params) {
  if (sodium_init() < 0) throw std::runtime_error("libsodium failed to initialise");
  unsigned char random[32];
  randombytes_buf(random, sizeof random);
  auto h = hash(std::string_view(reinterpret_cast<const char*>(random), sizeof random));
  if (!h) throw std::runtime_error("Argon2id failed at startup (not enough memory?)");
  dummy_ = std::move(*h);
}

Result<std::string> PasswordHasher::hash(std::string_view password) const {
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str_alg(out, password.data(), password.size(), params_.iterations, memlimit(params_),
                            crypto_pwhash_ALG_ARGON2ID13) != 0)
    return Error{ErrorCode::overloaded, "Password hashing ran out of memory."};
  return std::string(out);
}

bool PasswordHasher::verify(std::string_view phc, std::string_view password) const {
  // libsodium needs a NUL-terminated string; bound it first.
  if (phc.size() >= crypto_pwhash_STRBYTES) return false;
  std::string stored(phc);
  return crypto_pwhash_str_verify(stored.c_str(), password.data(), password.size()) == 0;
}

bool PasswordHasher::verify_or_dummy(const std::string* phc, std::string_view password) const {
  if (phc) return verify(*phc, password);
  (void)verify(dummy_, password);
  return false;
}

bool PasswordHasher::needs_rehash(std::string_view phc) const {
  if (phc.size() >= crypto_pwhash_STRBYTES) return true;
  std::string stored(phc);
  // 1: different parameters, -1: not an Argon2id string at all; both rehash.
  return crypto_pwhash_str_needs_rehash(stored.c_str(), params_.iterations, memlimit(params_)) != 0;
}

}  // namespace cloakroom
