#include "token/refresh_token.h"

#include <sodium.h>

#include <charconv>

#include "core/digest.h"
#include "jose/base64url.h"

namespace cloakroom {

std::optional<RefreshTokenView> parse_refresh_token(std::string_view text) {
  if (text.size() > kFamilyIdChars + kMaxGenerationDigits + kRefreshSecretChars + 2) return std::nullopt;
  auto first = text.find('.');
  auto last = text.rfind('.');
  if (first != kFamilyIdChars || last == first) return std::nullopt;
  std::string_view id = text.substr(0, first);
  std::string_view gen = text.substr(first + 1, last - first - 1);
  std::string_view secret = text.substr(last + 1);
  if (!jose::is_base64url(id) || secret.size() != kRefreshSecretChars) return std::nullopt;
  if (gen.empty() || gen.size() > kMaxGenerationDigits || (gen.size() > 1 && gen[0] == '0')) return std::nullopt;
  long long generation = 0;
  auto [end, ec] = std::from_chars(gen.data(), gen.data() + gen.size(), generation);
  if (ec != std::errc() || end != gen.data() + gen.size() || generation < 0) return std::nullopt;
  std::string raw;
  if (!jose::base64url_decode_into(secret, raw) || raw.size() != RefreshSecret{}.size()) return std::nullopt;
  RefreshTokenView out{id, generation, {}};
  std::copy(raw.begin(), raw.end(), out.secret.begin());
  sodium_memzero(raw.data(), raw.size());
  return out;
}

RefreshSecret random_refresh_secret(Random& rng) {
  RefreshSecret s;
  rng.fill(s);
  return s;
}

RefreshSecret next_refresh_secret(std::string_view chain_key, const RefreshSecret& secret) {
  static_assert(crypto_auth_hmacsha256_BYTES == RefreshSecret{}.size());
  RefreshSecret next;
  crypto_auth_hmacsha256_state st;
  crypto_auth_hmacsha256_init(&st, reinterpret_cast<const unsigned char*>(chain_key.data()), chain_key.size());
  crypto_auth_hmacsha256_update(&st, secret.data(), secret.size());
  crypto_auth_hmacsha256_final(&st, next.data());
  return next;
}

std::string refresh_token_text(std::string_view family_id, long long generation, const RefreshSecret& secret) {
  std::string out(family_id);
  out += '.';
  out += std::to_string(generation);
  out += '.';
  out += base64url_encode(secret);
  return out;
}

namespace {
Sha256 secret_digest(const RefreshSecret& secret) {
  return sha256(std::string_view(reinterpret_cast<const char*>(secret.data()), secret.size()));
}
}  // namespace

std::string refresh_secret_hash(const RefreshSecret& secret) {
  Sha256 h = secret_digest(secret);
  return std::string(reinterpret_cast<const char*>(h.data()), h.size());
}

bool refresh_secret_matches(const RefreshSecret& secret, std::string_view stored_hash) {
  Sha256 h = secret_digest(secret);
  return stored_hash.size() == h.size() &&
         constant_time_equal(h, std::span(reinterpret_cast<const unsigned char*>(stored_hash.data()), stored_hash.size()));
}

}  // namespace cloakroom
