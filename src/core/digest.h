#pragma once
// SHA-256 through OpenSSL EVP with the digest fetched once (fetching per
// call costs more than hashing a short token).
//
//   std::array<unsigned char, 32> h = sha256(secret);
//   bool same = constant_time_equal(h, stored);   // CRYPTO_memcmp
#include <array>
#include <span>
#include <string>
#include <string_view>

namespace cloakroom {

using Sha256 = std::array<unsigned char, 32>;

Sha256 sha256(std::string_view data);

// Lower-case hex of `bytes` ("\x01\xff" -> "01ff").
std::string lower_hex(std::string_view bytes);

// Constant-time comparison of equal-length byte strings (false when lengths differ).
bool constant_time_equal(std::span<const unsigned char> a, std::span<const unsigned char> b);
// The same for text (a stored hash, a challenge as sent).
bool constant_time_equal(std::string_view a, std::string_view b);

}  // namespace cloakroom
