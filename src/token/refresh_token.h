#pragma once
// Refresh tokens: "<family id>.<generation>.<secret>".
//
//   auto t = parse_refresh_token(text);                    // views into `text`; nullopt unless that shape
//   RefreshSecret s = random_refresh_secret(rng);          // generation 0: 32 bytes from the CSPRNG
//   RefreshSecret next = next_refresh_secret(chain_key, s); // generation n+1 = HMAC-SHA256(chain_key, secret n)
//   std::string text = refresh_token_text(family_id, 1, next);
//   std::string stored = refresh_secret_hash(next);        // what a family row keeps
//   bool same = refresh_secret_matches(next, stored);      // constant time
//
// Chaining secrets lets the server recognise any earlier token of a family
// (reuse detection) and re-derive the current one for a repeat inside the
// grace window, while storing only a hash of the current secret. The chain
// key is random per family, so a stolen old token cannot be walked forward
// by anyone but the server.
#include <array>
#include <optional>
#include <string>
#include <string_view>

#include "core/random.h"

namespace cloakroom {

inline constexpr std::size_t kFamilyIdChars = 22;       // 16 bytes
inline constexpr std::size_t kRefreshSecretChars = 43;  // 32 bytes = 256 bits
inline constexpr std::size_t kChainKeyBytes = 32;
// Why: generations are counted in decimal; 15 digits outlast any family.
inline constexpr std::size_t kMaxGenerationDigits = 15;

using RefreshSecret = std::array<unsigned char, 32>;

struct RefreshTokenView {
  std::string_view family_id;
  long long generation;
  RefreshSecret secret;
};

// Exactly 22 base64url chars, '.', a decimal generation without leading
// zeros, '.', 43 canonical base64url chars.
std::optional<RefreshTokenView> parse_refresh_token(std::string_view text);

RefreshSecret random_refresh_secret(Random& rng);
RefreshSecret next_refresh_secret(std::string_view chain_key, const RefreshSecret& secret);
std::string refresh_token_text(std::string_view family_id, long long generation, const RefreshSecret& secret);

// SHA-256 of the secret, 32 raw bytes: all a family row keeps of it.
std::string refresh_secret_hash(const RefreshSecret& secret);
// Whether `stored_hash` is the hash of `secret`, compared in constant time.
bool refresh_secret_matches(const RefreshSecret& secret, std::string_view stored_hash);

}  // namespace cloakroom
