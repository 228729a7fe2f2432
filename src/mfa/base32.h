#pragma once
// Base32 (RFC 4648 §6, upper case, no '=' padding): how a TOTP secret is
// shown to a person and put in an otpauth:// URI, as authenticator apps
// expect it.
//
//   std::string text = base32_encode(secret);   // 20 bytes -> 32 characters
//   auto bytes = base32_decode("JBSWY3DPEHPK3PXP");   // nullopt: not base32
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace cloakroom {

std::string base32_encode(std::span<const unsigned char> data);
// Upper or lower case, without padding; nullopt on any other character or
// a length no encoder produces (leftover bits must be zero).
std::optional<std::string> base32_decode(std::string_view text);

}  // namespace cloakroom
