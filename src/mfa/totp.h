#pragma once
// TOTP (RFC 6238) as every authenticator app does it by default: HMAC-SHA-1,
// 6 digits, 30-second steps counted from the Unix epoch, and a code is
// accepted for the step before and after the current one (clock drift and
// typing time). No I/O, no state: the replay guard (a step at or before the
// last accepted one is refused) lives in the store and TotpService.
//
//   TotpSecret secret = new_totp_secret(random);          // 20 bytes (RFC 4226 §4: 160 bits)
//   std::string shown = base32_encode(secret);            // for typing in by hand
//   std::string uri = otpauth_uri(secret, "cloakroom", "alice");
//   std::optional<long long> step = match_totp(secret, "287082", unix_seconds(now));
//   if (step && *step > last_accepted) ... accepted
#include <array>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "core/random.h"

namespace cloakroom {

inline constexpr int kTotpDigits = 6;
inline constexpr long long kTotpPeriodSeconds = 30;
// Why ±1: RFC 6238 §5.2 recommends at most one step of allowed drift.
inline constexpr long long kTotpDriftSteps = 1;

using TotpSecret = std::array<unsigned char, 20>;

// 20 bytes from the CSPRNG.
TotpSecret new_totp_secret(Random& random);

// The step a Unix time falls in: floor(seconds / 30); negative times give negative steps.
long long totp_step(long long unix_seconds);

// The code at `step` (RFC 4226 HOTP with the step as counter): 6 digits,
// zero-padded. Any key length works (the RFC test vectors use 20, 32 and 64
// bytes); `digest` picks SHA-1 (the default), SHA-256 or SHA-512 for those
// vectors only: cloakroom itself always uses SHA-1.
enum class TotpDigest { sha1, sha256, sha512 };
std::string totp_code(std::span<const unsigned char> key, long long step, int digits = kTotpDigits,
                      TotpDigest digest = TotpDigest::sha1);

// The step, within ±1 of now's, whose code `code` is; nullopt when it is none
// of them or not exactly 6 ASCII digits. Every candidate is computed and
// compared in constant time, so the answer's timing says nothing about which
// step matched. When two steps give the same code (one chance in a
// million), the latest is returned.
std::optional<long long> match_totp(std::span<const unsigned char> key, std::string_view code, long long unix_seconds);

// otpauth://totp/ISSUER:NAME?secret=BASE32&issuer=ISSUER&algorithm=SHA1&digits=6&period=30
// (Google Authenticator's Key URI format); issuer and name are
// percent-encoded, so a ':' or '&' in either cannot change the fields.
std::string otpauth_uri(std::span<const unsigned char> key, std::string_view issuer, std::string_view username);

}  // namespace cloakroom
