#pragma once
// Recovery codes: ten one-time codes shown once when TOTP is turned on, for
// the day the phone is lost. Each is 12 characters from Crockford's base32
// alphabet (no i, l, o, u: nothing to misread), grouped "7kq4-m2xd-9hzc":
// 60 random bits.
//
//   std::vector<std::string> shown = new_recovery_codes(random);   // to the user, once
//   std::vector<std::string> kept;  for (auto& c : shown) kept.push_back(*recovery_code_hash(user_id, c));
//   auto h = recovery_code_hash(user_id, typed);   // nullopt: cannot be a code
//   if (h && *users.use_recovery_code(user_id, *h)) ... accepted, and now used up
//
// Stored as SHA-256, not Argon2: a password needs a slow hash because people
// choose guessable ones, but these are 60 bits from the CSPRNG. With the
// users table stolen, a GPU doing 10^10 SHA-256 a second needs about two
// years per code on average; the user id is hashed in, so one guess tests
// one account, never all of them at once. (Fifty bits would fall in a day.)
// A fast hash also lets the store find a code by its hash (an indexed
// lookup), with no per-code salt to try in turn.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/random.h"

namespace cloakroom {

inline constexpr int kRecoveryCodeCount = 10;
inline constexpr std::size_t kRecoveryCodeChars = 12;

// Ten fresh codes, formatted for showing ("xxxx-xxxx-xxxx", lower case).
std::vector<std::string> new_recovery_codes(Random& random);

// The 32-byte hash kept for a code: SHA-256 of user id, a NUL byte and the
// code's 12 characters. `typed` may use either case, dashes and spaces
// anywhere, and i/l for 1 or o for 0 (Crockford's reading); nullopt when it
// is not 12 such characters, so the caller can refuse without a lookup.
std::optional<std::string> recovery_code_hash(std::string_view user_id, std::string_view typed);

}  // namespace cloakroom
