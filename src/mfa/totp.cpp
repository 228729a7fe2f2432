#include "mfa/totp.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "core/ascii.h"
#include "core/unreachable.h"
#include "mfa/base32.h"

namespace cloakroom {
namespace {

const EVP_MD* md(TotpDigest digest) {
  switch (digest) {
    case TotpDigest::sha1: return EVP_sha1();
    case TotpDigest::sha256: return EVP_sha256();
    case TotpDigest::sha512: return EVP_sha512();
  }
  unreachable();
}

bool six_digits(std::string_view code) {
  if (code.size() != static_cast<std::size_t>(kTotpDigits)) return false;
  for (char c : code)
    if (c < '0' || c > '9') return false;
  return true;
}

}  // namespace

TotpSecret new_totp_secret(Random& random) {
  TotpSecret secret{};
  random.fill(secret);
  return secret;
}

long long totp_step(long long unix_seconds) {
  // Floor, not truncation: C++ division rounds toward zero.
  long long q = unix_seconds / kTotpPeriodSeconds;
  if (unix_seconds % kTotpPeriodSeconds < 0) --q;
  return q;
}

std::string totp_code(std::span<const unsigned char> key, long long step, int digits, TotpDigest digest) {
  unsigned char counter[8];
  auto value = static_cast<unsigned long long>(step);
  for (int i = 7; i >= 0; --i) {
    counter[i] = static_cast<unsigned char>(value & 0xFF);
    value >>= 8;
  }
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  // A failed HMAC (or a digest shorter than truncation needs) is no code at all.
  if (!HMAC(md(digest), key.data(), static_cast<int>(key.size()), counter, sizeof counter, mac, &length) ||
      length < 20 || digits < 1 || digits > 9)
    return {};
  // Dynamic truncation (RFC 4226 §5.3).
  const unsigned offset = mac[length - 1] & 0x0F;
  const unsigned long binary = (static_cast<unsigned long>(mac[offset] & 0x7F) << 24) |
                               (static_cast<unsigned long>(mac[offset + 1]) << 16) |
                               (static_cast<unsigned long>(mac[offset + 2]) << 8) | mac[offset + 3];
  OPENSSL_cleanse(mac, sizeof mac);
  unsigned long modulus = 1;
  for (int i = 0; i < digits; ++i) modulus *= 10;
  std::string out = std::to_string(binary % modulus);
  return std::string(static_cast<std::size_t>(digits) - out.size(), '0') + out;
}

std::optional<long long> match_totp(std::span<const unsigned char> key, std::string_view code, long long unix_seconds) {
  if (!six_digits(code)) return std::nullopt;
  const long long now = totp_step(unix_seconds);
  std::optional<long long> matched;
  for (long long step = now - kTotpDriftSteps; step <= now + kTotpDriftSteps; ++step) {
    std::string expected = totp_code(key, step);
    if (expected.size() == code.size() && CRYPTO_memcmp(expected.data(), code.data(), code.size()) == 0)
      matched = step;
    OPENSSL_cleanse(expected.data(), expected.size());
  }
  return matched;
}

std::string otpauth_uri(std::span<const unsigned char> key, std::string_view issuer, std::string_view username) {
  const std::string encoded_issuer = url_encode(issuer);
  return "otpauth://totp/" + encoded_issuer + ":" + url_encode(username) + "?secret=" + base32_encode(key) +
         "&issuer=" + encoded_issuer + "&algorithm=SHA1&digits=" + std::to_string(kTotpDigits) +
         "&period=" + std::to_string(kTotpPeriodSeconds);
}

}  // namespace cloakroom
