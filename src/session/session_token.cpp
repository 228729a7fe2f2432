#include "session/session_token.h"

#include <cstring>

#include "jose/base64url.h"

namespace cloakroom {

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
  if (!jose::is_base64url(v.id) || !jose::is_base64url(v.secret)) return std::nullopt;
  return v;
}

SessionKey SessionToken::key() const { return session_key(id()); }

}  // namespace cloakroom
