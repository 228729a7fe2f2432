#pragma once
// Argon2id password hashing (libsodium), PHC string format.
//
//   PasswordHasher hasher({.memory_kib = 19456, .iterations = 2});
//   Result<std::string> phc = hasher.hash("correct horse");   // "$argon2id$v=19$m=19456,t=2,p=1$..."
//   bool ok = hasher.verify(*phc, "correct horse");
//   if (ok && hasher.needs_rehash(*phc)) ...                 // parameters changed: store a new hash
//
// Every call costs one full Argon2id computation (~21 ms at OWASP
// parameters) and must run on the hashing WorkPool, never on an I/O thread.
// verify_or_dummy() lets "no such user" take the same time as "wrong password".
#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.h"

namespace cloakroom {

struct Argon2Params {
  std::uint64_t memory_kib = 19 * 1024;
  std::uint64_t iterations = 2;
};

class PasswordHasher {
 public:
  // Computes the dummy hash once, so it costs one hash at startup.
  explicit PasswordHasher(Argon2Params params);

  Result<std::string> hash(std::string_view password) const;
  // Constant-time comparison inside libsodium. A malformed stored hash is "no".
  bool verify(std::string_view phc, std::string_view password) const;
  // Verifies against `phc`, or against a dummy hash when `phc` is null, so the
  // caller spends the same time either way; always false for the dummy.
  bool verify_or_dummy(const std::string* phc, std::string_view password) const;
  bool needs_rehash(std::string_view phc) const;

  const Argon2Params& params() const { return params_; }

 private:
  Argon2Params params_;
  std::string dummy_;
};

}  // namespace cloakroom
