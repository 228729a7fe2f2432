#include "session/session_token.h"

#include <cstring>

namespace cloakroom {

bool is_base64url(std::string_view s) {
  for (char c : s) {
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
    if (!ok) return false;
  }
  return true;
}

SessionKey session_key(std::string_view id) {
  SessionKey k{};
  std::memcpy(k.data(), id.data(), std::min(id.size(), k.size()));
  return k;
}

SessionToken SessionToken::generate(Random& rng) {
  return SessionToken(random_token(rng, 16) + "." + random_token(rng, 32));
}

std::optional<SessionTokenView> parse_session_token(std::string_view text) {
  if (text.size() != kSessionIdChars + 1 + kSessionSecretChars || text[kSessionIdChars] != '.') return std::nullopt;
  SessionTokenView v{text.substr(0, kSessionIdChars), text.substr(kSessionIdChars + 1)};
  if (!is_base64url(v.id) || !is_base64url(v.secret)) return std::nullopt;
  return v;
}

SessionKey SessionToken::key() const { return session_key(id()); }

}  // namespace cloakroom
