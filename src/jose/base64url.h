#pragma once
// Strict base64url (RFC 4648 §5, no padding) as JWS requires (RFC 7515 §2):
// only the canonical encoding of each byte string is accepted.
//
//   auto bytes = base64url_decode("eyJhbGciOiJFUzI1NiJ9");   // nullopt when not canonical
//   std::string text = base64url_encode(bytes);
//   bool ok = is_base64url(cookie_id);                     // alphabet check only, no decoding
#include <optional>
#include <string>
#include <string_view>

namespace cloakroom::jose {

// Refuses padding, characters outside [A-Za-z0-9_-], a length of 1 mod 4,
// and non-zero bits in the last character's unused low bits (so every byte
// string has exactly one accepted text: no malleable tokens).
std::optional<std::string> base64url_decode(std::string_view text);
// The same into `out` (its capacity is reused: no allocation when it is large enough).
bool base64url_decode_into(std::string_view text, std::string& out);
std::string base64url_encode(std::string_view bytes);
// True when every character is in [A-Za-z0-9_-] (also for ""). Says nothing
// about length or trailing bits: for ids whose length the caller checks.
bool is_base64url(std::string_view text);

}  // namespace cloakroom::jose
