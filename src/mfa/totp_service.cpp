#include "mfa/totp_service.h"

#include <sodium.h>

#include <algorithm>

#include "core/unreachable.h"
#include "mfa/base32.h"
#include "mfa/qr_svg.h"
#include "mfa/recovery_codes.h"
#include "mfa/totp.h"

namespace cloakroom {
namespace {

std::string purpose(const std::string& user_id) { return totp_purpose(user_id); }

std::span<const unsigned char> bytes(const std::string& s) {
  return {reinterpret_cast<const unsigned char*>(s.data()), s.size()};
}

// Wipes a plaintext secret when it goes out of scope.
struct Wiped {
  std::string value;
  ~Wiped() { sodium_memzero(value.data(), value.size()); }
};

// What the store keeps of new recovery codes (codes we made: each hashes).
std::vector<std::string> hashes_of(const std::string& user_id, const std::vector<std::string>& codes) {
  std::vector<std::string> hashes;
  for (const auto& c : codes) hashes.push_back(*recovery_code_hash(user_id, c));
  return hashes;
}

}  // namespace

std::string_view to_string(TotpVerdict verdict) {
  switch (verdict) {
    case TotpVerdict::accepted: return "accepted";
    case TotpVerdict::wrong: return "wrong";
    case TotpVerdict::replayed: return "replayed";
    case TotpVerdict::not_enrolled: return "not_enrolled";
  }
  unreachable();
}

TotpService::TotpService(UserStore& users, KeyRing keys, const Clock& clock, Random& random,
                         std::string issuer)
    : users_(users), keys_(std::move(keys)), clock_(clock), random_(random), issuer_(std::move(issuer)) {}

Result<std::string> TotpService::open(const std::string& user_id, const std::string& sealed) const {
  return keys_.open(sealed, purpose(user_id));
}

Result<TotpEnrollment> TotpService::begin_enroll(const User& user) {
  auto state = users_.totp(user.id);
  if (!state) return state.error();
  if (!state->secret.empty())
    return Error{ErrorCode::conflict, "Two-factor authentication is on already; turn it off first."};
  TotpSecret secret = new_totp_secret(random_);
  const std::string_view raw(reinterpret_cast<const char*>(secret.data()), secret.size());
  const std::string sealed = keys_.seal(raw, purpose(user.id), random_);
  TotpEnrollment out{base32_encode(secret), otpauth_uri(secret, issuer_, user.username), {}};
  sodium_memzero(secret.data(), secret.size());
  auto svg = qr_svg(out.otpauth_uri);
  if (!svg) return svg.error();
  out.qr_svg = std::move(*svg);
  if (auto kept = users_.begin_totp(user.id, sealed, unix_seconds(clock_.now())); !kept) return kept.error();
  return out;
}

Result<TotpConfirmation> TotpService::confirm(const std::string& user_id, std::string_view code) {
  auto state = users_.totp(user_id);
  if (!state) return state.error();
  const long long now = unix_seconds(clock_.now());
  if (state->pending.empty() || now - state->pending_created > kTotpEnrollSeconds)
    return TotpConfirmation{TotpVerdict::not_enrolled, {}};
  auto opened = open(user_id, state->pending);
  if (!opened) return opened.error();
  const Wiped secret{std::move(*opened)};
  const auto step = match_totp(bytes(secret.value), code, now);
  if (!step) return TotpConfirmation{TotpVerdict::wrong, {}};
  std::vector<std::string> codes = new_recovery_codes(random_);
  // The step is kept as the last accepted one: the code that confirmed is used up.
  auto confirmed = users_.confirm_totp(user_id, state->pending, *step, hashes_of(user_id, codes));
  if (!confirmed) return confirmed.error();
  if (!*confirmed) return TotpConfirmation{TotpVerdict::not_enrolled, {}};  // another enrolment replaced it
  return TotpConfirmation{TotpVerdict::accepted, std::move(codes)};
}

Result<TotpConfirmation> TotpService::renew_recovery_codes(const std::string& user_id) {
  std::vector<std::string> codes = new_recovery_codes(random_);
  auto replaced = users_.replace_recovery_codes(user_id, hashes_of(user_id, codes));
  if (!replaced) return replaced.error();
  if (!*replaced) return TotpConfirmation{TotpVerdict::not_enrolled, {}};
  return TotpConfirmation{TotpVerdict::accepted, std::move(codes)};
}

Result<TotpVerdict> TotpService::verify(const std::string& user_id, std::string_view code) {
  auto state = users_.totp(user_id);
  if (!state) return state.error();
  if (state->secret.empty()) return TotpVerdict::not_enrolled;
  auto opened = open(user_id, state->secret);
  if (!opened) return opened.error();
  const Wiped secret{std::move(*opened)};
  const auto step = match_totp(bytes(secret.value), code, unix_seconds(clock_.now()));
  if (!step) return TotpVerdict::wrong;
  if (*step <= state->last_step) return TotpVerdict::replayed;
  auto accepted = users_.accept_totp_step(user_id, *step);
  if (!accepted) return accepted.error();
  // false: another request (maybe on another node) took this step, or a
  // later one, between our read and our write: the same replay.
  return *accepted ? TotpVerdict::accepted : TotpVerdict::replayed;
}

Result<TotpVerdict> TotpService::use_recovery_code(const std::string& user_id, std::string_view code) {
  auto state = users_.totp(user_id);
  if (!state) return state.error();
  if (state->secret.empty()) return TotpVerdict::not_enrolled;
  const auto hash = recovery_code_hash(user_id, code);
  if (!hash) return TotpVerdict::wrong;
  auto used = users_.use_recovery_code(user_id, *hash);
  if (!used) return used.error();
  return *used ? TotpVerdict::accepted : TotpVerdict::wrong;
}

Result<TotpStatus> TotpService::status(const std::string& user_id) {
  auto state = users_.totp(user_id);
  if (!state) return state.error();
  return TotpStatus{!state->secret.empty(), state->recovery_codes_left};
}

Result<void> TotpService::disable(const std::string& user_id) { return users_.clear_totp(user_id); }

Result<TotpRewrap> TotpService::rewrap(std::size_t batch) {
  batch = std::max<std::size_t>(batch, 1);  // a page of none would never end
  TotpRewrap out;
  std::string after;
  for (;;) {
    auto page = users_.sealed_totp(after, batch);
    if (!page) return page.error();
    std::vector<TotpReseal> reseals;
    for (const auto& row : *page) {
      bool unopened = false;
      for (const bool pending : {true, false}) {
        const std::string& was = pending ? row.pending : row.secret;
        if (was.empty() || keys_.is_current(was)) continue;
        auto opened = open(row.user_id, was);
        if (!opened) {
          unopened = true;
          continue;
        }
        const Wiped secret{std::move(*opened)};
        reseals.push_back({row.user_id, pending, was, keys_.seal(secret.value, purpose(row.user_id), random_)});
      }
      if (unopened) out.unopened.push_back(row.user_id);
    }
    if (!reseals.empty()) {
      auto changed = users_.reseal_totp(reseals);
      if (!changed) return changed.error();
      out.resealed += *changed;
    }
    if (page->size() < batch) break;
    after = page->back().user_id;
  }
  // What is left, counted afresh: a reseal that lost a race, a write by a
  // node still sealing under the old key, the unopened.
  after.clear();
  for (;;) {
    auto page = users_.sealed_totp(after, batch);
    if (!page) return page.error();
    for (const auto& row : *page)
      for (const std::string* sealed : {&row.pending, &row.secret})
        if (!sealed->empty() && !keys_.is_current(*sealed)) ++out.left;
    if (page->size() < batch) break;
    after = page->back().user_id;
  }
  return out;
}

}  // namespace cloakroom
