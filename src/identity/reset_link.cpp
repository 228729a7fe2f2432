#include "identity/reset_link.h"

#include "core/digest.h"

namespace cloakroom {

NewResetLink make_reset_link(Random& random, const std::string& user_id, long long now_ms,
                             std::chrono::milliseconds ttl) {
  NewResetLink link;
  link.token = random_token(random, 32);
  link.record = PasswordReset{reset_token_hash(link.token), user_id, now_ms + ttl.count()};
  return link;
}

std::string reset_token_hash(std::string_view token) {
  static constexpr char kHex[] = "0123456789abcdef";
  const Sha256 digest = sha256(token);
  std::string out;
  out.reserve(2 * digest.size());
  for (unsigned char b : digest) {
    out += kHex[b >> 4];
    out += kHex[b & 0xf];
  }
  return out;
}

bool well_formed_reset_token(std::string_view token) {
  if (token.size() != kResetTokenChars) return false;
  for (char c : token) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
    if (!ok) return false;
  }
  return true;
}

std::string reset_url(std::string_view public_url, std::string_view token) {
  return std::string(public_url) + "/reset?token=" + std::string(token);
}

}  // namespace cloakroom
