#pragma once
// Session tokens: "<public id>.<secret>".
//
//   SessionToken t = SessionToken::generate(rng);   // 16-byte id, 32-byte secret, base64url
//   std::string cookie_value = t.text();            // 22 + 1 + 43 characters
//   auto parsed = parse_session_token(cookie_value);  // views into the input; nullopt unless that shape
//   Sha256 stored = t.secret_hash();                // only this is stored
//
// The id locates the record (it is shown in /auth/sessions and is not a
// credential); the secret proves possession and is never stored.
#include <array>
#include <optional>
#include <string>
#include <string_view>

#include "core/digest.h"
#include "core/random.h"

namespace cloakroom {

inline constexpr std::size_t kSessionIdChars = 22;      // 16 bytes
inline constexpr std::size_t kSessionSecretChars = 43;  // 32 bytes = 256 bits

using SessionKey = std::array<char, kSessionIdChars>;

// A presented token, as views into the request (no allocation).
struct SessionTokenView {
  std::string_view id;
  std::string_view secret;
};

// Accepts exactly 22 base64url chars, '.', 43 base64url chars.
std::optional<SessionTokenView> parse_session_token(std::string_view text);

class SessionToken {
 public:
  static SessionToken generate(Random& rng);

  std::string_view id() const { return std::string_view(text_).substr(0, kSessionIdChars); }
  std::string_view secret() const { return std::string_view(text_).substr(kSessionIdChars + 1); }
  SessionKey key() const;
  Sha256 secret_hash() const { return sha256(secret()); }
  const std::string& text() const { return text_; }

 private:
  explicit SessionToken(std::string text) : text_(std::move(text)) {}
  std::string text_;
};

SessionKey session_key(std::string_view id);  // id must be 22 chars

}  // namespace cloakroom
