#pragma once
// TOTP as a second factor, for the endpoints and the login's second step:
// enrolment (pending until the first right code), checking codes with a
// replay guard shared by every node, recovery codes, turning it off.
//
//   TotpService totp(users, std::move(*open_totp_key(...)), clock, random, issuer);
//   auto e = totp.begin_enroll(user);          // {secret, otpauth_uri, qr_svg}; conflict when already on
//   auto c = totp.confirm(user.id, "287082");  // verdict accepted: c->recovery_codes, shown once
//   auto v = totp.verify(user.id, code);       // accepted / wrong / replayed / not_enrolled
//   auto r = totp.use_recovery_code(user.id, "7kq4-m2xd-9hzc");   // accepted once per code
//   auto n = totp.renew_recovery_codes(user.id);  // after a code or the password: ten new, old ones void
//   totp.disable(user.id);                     // after the caller checked a code or the password
//   auto w = totp.rewrap(500);                 // `key rewrap`: every secret under the current key
//
// What this does not do: throttle. Callers count each wrong verdict as a
// failed attempt per account (auth/login_throttle.h, as for passwords) and
// bound the login's second step (store/challenge_store.h, max_attempts).
// Store errors (store_unavailable) and a secret that does not open
// (decryption_failed: another key, or moved from another user's row) come
// back as errors: fail closed. Secrets never reach a log.
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/random.h"
#include "core/result.h"
#include "mfa/totp_key.h"
#include "store/user_store.h"

namespace cloakroom {

// Why 10 minutes: time to find the phone and scan; an abandoned pending
// secret then stops being confirmable.
inline constexpr long long kTotpEnrollSeconds = 600;

enum class TotpVerdict {
  accepted,      // right, and now used up (its step, or the recovery code)
  wrong,         // not a code for this user now (or a used recovery code)
  replayed,      // right, but its step was accepted already (RFC 6238 §5.2)
  not_enrolled,  // TOTP is off (confirm: no pending enrolment, or it expired)
};
std::string_view to_string(TotpVerdict verdict);  // "accepted", "wrong", ... for logs and metrics

struct TotpEnrollment {
  std::string secret;       // base32, for typing in by hand
  std::string otpauth_uri;  // what the QR code holds
  std::string qr_svg;       // mfa/qr_svg.h
};

struct TotpConfirmation {
  TotpVerdict verdict;
  std::vector<std::string> recovery_codes;  // when accepted: shown once, stored hashed
};

// What rewrap() did: secrets (pending or confirmed) sealed again under the
// current key, those still under an earlier one afterwards, and the users
// whose secret opens under no key of the ring (ids only, never a secret).
struct TotpRewrap {
  std::size_t resealed = 0;
  std::size_t left = 0;
  std::vector<std::string> unopened;
};

struct TotpStatus {
  bool enabled = false;
  int recovery_codes_left = 0;
};

class TotpService {
 public:
  // `issuer`: the name authenticator apps show above the code (jwt.issuer's host, say).
  TotpService(UserStore& users, KeyRing keys, const Clock& clock, Random& random, std::string issuer);

  // A new secret, pending until confirm(); replaces an unconfirmed one.
  // conflict when TOTP is on already: turning it off first (which asks for
  // a code or the password) is the only way to replace a working factor.
  Result<TotpEnrollment> begin_enroll(const User& user);
  // The first code for the pending secret turns TOTP on and returns ten new
  // recovery codes (earlier ones stop working). not_enrolled: nothing
  // pending, or older than kTotpEnrollSeconds.
  Result<TotpConfirmation> confirm(const std::string& user_id, std::string_view code);
  // A code from the app, at most once per time step.
  Result<TotpVerdict> verify(const std::string& user_id, std::string_view code);
  // A recovery code instead of a code from the app; each works once.
  Result<TotpVerdict> use_recovery_code(const std::string& user_id, std::string_view code);
  // Ten new recovery codes for a user with TOTP on, every earlier one void
  // at once (after the caller checked a code or the password); verdict
  // not_enrolled, changing nothing, when TOTP is off.
  Result<TotpConfirmation> renew_recovery_codes(const std::string& user_id);
  Result<TotpStatus> status(const std::string& user_id);
  // Turns TOTP off and forgets the secret and the recovery codes.
  Result<void> disable(const std::string& user_id);
  // Reseals every secret sealed under an earlier key of the ring (previous
  // KEK, totp.key) under the current one, `batch` users per page and per
  // transaction; a secret that opens with no key is counted in `unopened`
  // and left as it is. Then counts, without decrypting, what is still under
  // an earlier key (a write by a node not restarted yet, say). Idempotent.
  // Why not on verify as well: during a rolling restart a node that has
  // only the old KEK could no longer open a secret resealed by one that
  // has the new one; this is run once every node has both.
  Result<TotpRewrap> rewrap(std::size_t batch);

 private:
  Result<std::string> open(const std::string& user_id, const std::string& sealed) const;

  UserStore& users_;
  KeyRing keys_;
  const Clock& clock_;
  Random& random_;
  std::string issuer_;
};

}  // namespace cloakroom
