#pragma once
// Password reset links (`cloakroom user reset-link NAME`): a random token
// (32 bytes from the CSPRNG, base64url: 43 characters) in a URL on
// public_url. Only its SHA-256 is stored, with the user, the expiry and a
// used flag (UserStore::add_password_reset / use_password_reset).
//
//   auto link = make_reset_link(random, user.id, now_ms, std::chrono::hours(1));
//   users.add_password_reset(link.record);
//   std::cout << reset_url(config.public_url, link.token);   // stdout only, never a log
//   ...
//   auto user_id = users.use_password_reset(reset_token_hash(presented), now_ms);
#include <chrono>
#include <string>
#include <string_view>

#include "core/random.h"
#include "store/user_store.h"

namespace cloakroom {

// Why these bounds: under a minute is too short to open a mail or a chat;
// past a week an unused link is a standing key to the account.
inline constexpr std::chrono::minutes kResetTtlMin{1};
inline constexpr std::chrono::hours kResetTtlMax{24 * 7};
inline constexpr std::size_t kResetTokenChars = 43;  // 32 bytes, base64url without padding

struct NewResetLink {
  std::string token;     // goes into the URL, once; never stored
  PasswordReset record;  // what the store keeps
};

// `ttl` must be within [kResetTtlMin, kResetTtlMax] (the CLI checks it).
NewResetLink make_reset_link(Random& random, const std::string& user_id, long long now_ms,
                             std::chrono::milliseconds ttl);
// Lower-case hex SHA-256 of the token: the store's key. Does not check the form.
std::string reset_token_hash(std::string_view token);
// 43 base64url characters: anything else is refused before any store read.
bool well_formed_reset_token(std::string_view token);
// public_url + "/reset?token=" + token.
std::string reset_url(std::string_view public_url, std::string_view token);

}  // namespace cloakroom
