#include "token/token_service.h"

#include <algorithm>

#include "core/log.h"
#include "core/unreachable.h"
#include "token/refresh_classifier.h"

namespace cloakroom {
namespace {

// Same caps as sessions: ip and user agent are shown back to the user.
constexpr std::size_t kMaxIpBytes = 64;
constexpr std::size_t kMaxUserAgentBytes = 512;
// Why: pruning below this size is not worth a scan.
constexpr std::size_t kRepeatsPruneFloor = 1024;

// `message` is what the client reads; `reason` is for the log only.
Error invalid(const char* message, std::string_view reason) {
  return Error{ErrorCode::invalid_refresh_token, message}.because(reason);
}

// An expired or invalid verdict, as the client reads it.
Error refused(const RefreshVerdict& v) {
  return invalid(v.outcome == RefreshVerdict::Outcome::expired ? "The refresh token has expired; log in again."
                                                               : "The refresh token is not valid.",
                 v.reason);
}

// Same bound and reason as SessionService's user lock.
constexpr std::chrono::milliseconds kUserLockWait{2000};
Error user_busy() { return Error{ErrorCode::store_unavailable, "Another change to this account is still in progress."}; }

}  // namespace

TokenService::TokenService(TokenDeps deps)
    : d_(deps),
      refresh_ttl_ms_(deps.config.jwt.refresh_ttl.count()),
      grace_ms_(deps.config.jwt.refresh_grace.count()),
      repeats_prune_at_(kRepeatsPruneFloor) {}

long long TokenService::family_denial_until(long long now) const {
  return now + d_.config.jwt.access_ttl.count() + d_.config.jwt.leeway.count();
}

Result<void> TokenService::load() {
  auto denylist = d_.store.load_denylist(now_ms());
  if (!denylist) return denylist.error();
  auto epochs = d_.store.load_epochs();
  if (!epochs) return epochs.error();
  d_.revocations.load(*denylist, *epochs);
  return {};
}

Result<IssuedTokens> TokenService::tokens_for(const RefreshFamilyRecord& family, long long generation,
                                              const RefreshSecret& secret, std::shared_ptr<const Principal> principal,
                                              std::optional<long long> epoch) {
  auto access = d_.access.mint_access(principal->user_id, principal->username, principal->roles, family.id, family.amr,
                                      family.auth_time_ms, epoch);
  if (!access) {
    log_line("error", "access_token_mint_failed", {{"reason", std::string(jose::reason_name(access.error()))}});
    return Error{ErrorCode::internal, "The access token could not be signed."};
  }
  d_.metrics.inc(Counter::access_tokens_issued);
  return IssuedTokens{std::move(*access),
                      std::chrono::duration_cast<std::chrono::seconds>(d_.config.jwt.access_ttl).count(),
                      refresh_token_text(family.id, generation, secret), info_of(family), std::move(principal)};
}

Result<IssuedTokens> TokenService::issue(const User& user, std::string_view ip, std::string_view user_agent,
                                         bool remember, AuthMethods amr) {
  const long long now = now_ms();
  RefreshFamilyRecord f;
  f.id = random_token(d_.random, 16);
  f.user_id = user.id;
  f.chain_key.resize(kChainKeyBytes);
  d_.random.fill(std::span(reinterpret_cast<unsigned char*>(f.chain_key.data()), f.chain_key.size()));
  RefreshSecret secret = random_refresh_secret(d_.random);
  f.current_hash = refresh_secret_hash(secret);
  f.generation = 0;
  f.created_ms = now;
  f.rotated_ms = now;
  f.expires_ms = now + refresh_ttl_ms_;
  f.ip = std::string(ip.substr(0, kMaxIpBytes));
  f.user_agent = std::string(user_agent.substr(0, kMaxUserAgentBytes));
  f.remember = remember;
  f.amr = amr;
  f.auth_time_ms = now;
  auto lock = user_locks_.lock(user.id, kUserLockWait);
  if (!lock) return user_busy();
  if (auto stored = d_.store.create_family(f); !stored) return stored.error();
  return tokens_for(f, 0, secret, d_.users.adopt(user)->load());
}

Result<IssuedTokens> TokenService::reuse_detected(const RefreshFamilyRecord& family, std::string_view why,
                                                  const AuditContext& from) {
  // Someone holds a token that was already exchanged: the thief or the
  // victim. We cannot tell which, so the whole login ends (RFC 9700 §4.14).
  d_.metrics.inc(Counter::refresh_reused);
  d_.audit.record(AuditEvent::refresh_token_reused, from, family.user_id, {{"family_id", family.id}, {"reason", why}});
  if (auto r = revoke_family(family.id); !r) return r.error();
  return Error{ErrorCode::refresh_token_reused}.because(why);
}

int TokenService::count_repeat(const RefreshFamilyRecord& family, long long now) {
  std::lock_guard lock(repeats_mu_);
  if (repeats_.size() >= repeats_prune_at_) {
    std::erase_if(repeats_, [&](const auto& e) { return e.second.window_end_ms < now; });
    repeats_prune_at_ = std::max(kRepeatsPruneFloor, 2 * repeats_.size());
  }
  Repeats& r = repeats_[family.id];
  if (r.generation != family.generation || r.window_end_ms == 0)
    r = Repeats{family.generation, 0, family.rotated_ms + grace_ms_};
  return ++r.count;
}

// The I/O around classify_refresh: read the family, look at the user, then
// act on the verdict (rotate by compare-and-swap, answer a bounded repeat,
// revoke on reuse, refuse). Every refusal names its reason.
Result<IssuedTokens> TokenService::refresh(std::string_view presented, std::string_view ip,
                                           std::string_view user_agent, std::string_view request_id) {
  const AuditContext from = AuditContext::api(ip.substr(0, kMaxIpBytes), user_agent, request_id);
  auto token = parse_refresh_token(presented);
  if (!token) {
    d_.metrics.inc(Counter::refresh_invalid);
    return invalid("The refresh token is malformed.", "refresh_malformed");
  }
  const std::string family_id(token->family_id);
  // A lost compare-and-swap means a concurrent request rotated this very
  // token; the next pass treats ours as its repeat. Bounded, in case the
  // family keeps moving under us.
  for (int attempt = 0; attempt < 3; ++attempt) {
    const long long now = now_ms();
    // The family with its user's epoch, read together: the access token
    // below carries that epoch, so a logout-all after this read ends it
    // (even if this process learns the new epoch before it mints), and a
    // logout-all before it left no family (end_user_families is one step).
    auto read = d_.store.find_family_and_epoch(family_id);
    if (!read) {
      if (read.error().code != ErrorCode::not_found) return read.error();  // fail closed
      d_.metrics.inc(Counter::refresh_invalid);
      return invalid("The refresh token has ended (logout, revocation or expiry); log in again.", "family_unknown");
    }
    const RefreshFamilyRecord& f = read->family;
    const long long epoch = read->user_epoch;
    const RefreshVerdict verdict = classify_refresh(*token, f, now, grace_ms_);
    // Expiry answers before the user is looked at.
    if (verdict.outcome == RefreshVerdict::Outcome::expired) {
      d_.metrics.inc(Counter::refresh_invalid);
      return refused(verdict);
    }
    auto user = d_.users.slot(f.user_id);
    if (!user) {
      if (user.error().code != ErrorCode::not_found) return user.error();
      d_.metrics.inc(Counter::refresh_invalid);
      return invalid("The account no longer exists.", "user_unknown");
    }
    std::shared_ptr<const Principal> principal = (*user)->load();
    // A disabled user's login does not go on; reuse still ends the family.
    const bool goes_on =
        verdict.outcome == RefreshVerdict::Outcome::current || verdict.outcome == RefreshVerdict::Outcome::repeat;
    if (goes_on && principal->disabled) {
      d_.metrics.inc(Counter::refresh_disabled);
      return Error{ErrorCode::account_disabled}.because("account_disabled");
    }

    // This process already knows of a later logout-all (or the store lost
    // the epoch it raised): a token with the epoch read would be refused on
    // arrival, so say what happened instead of minting it.
    if (goes_on && d_.revocations.epoch(f.user_id) > epoch) {
      d_.metrics.inc(Counter::refresh_invalid);
      return invalid("The refresh token has ended (logout, revocation or expiry); log in again.", "epoch_raised");
    }

    switch (verdict.outcome) {
      case RefreshVerdict::Outcome::current: {
        auto rotated =
            d_.store.rotate_family(f.id, f.generation, refresh_secret_hash(verdict.secret), now, now + refresh_ttl_ms_);
        if (!rotated) return rotated.error();
        if (!*rotated) continue;  // lost the race: re-read, this is now a repeat
        d_.metrics.inc(Counter::refresh_rotated);
        RefreshFamilyRecord after = f;
        after.generation = f.generation + 1;
        after.rotated_ms = now;
        after.expires_ms = now + refresh_ttl_ms_;
        return tokens_for(after, after.generation, verdict.secret, std::move(principal), epoch);
      }
      case RefreshVerdict::Outcome::repeat: {
        // The same request again within the grace window: the same next token
        // (re-derived), and a fresh access token. Not a second branch. A thief
        // replaying the previous token looks just the same, hence the bound and
        // a log line for each.
        const int n = count_repeat(f, now);
        const bool over = n > d_.config.jwt.refresh_repeats;
        d_.audit.record(AuditEvent::refresh_repeated, from, f.user_id,
                        {{"family_id", f.id}, {"repeat", std::to_string(n)}});
        if (over) return reuse_detected(f, "too_many_repeats", from);
        d_.metrics.inc(Counter::refresh_repeated);
        return tokens_for(f, f.generation, verdict.secret, std::move(principal), epoch);
      }
      case RefreshVerdict::Outcome::reuse:
        return reuse_detected(f, verdict.reason, from);
      case RefreshVerdict::Outcome::expired:
      case RefreshVerdict::Outcome::invalid:
        d_.metrics.inc(Counter::refresh_invalid);
        return refused(verdict);
    }
    unreachable();
  }
  d_.metrics.inc(Counter::refresh_invalid);
  return invalid("The refresh token is not valid.", "rotation_contended");
}

Result<bool> TokenService::revoke_family(const std::string& id) {
  const long long until = family_denial_until(now_ms());
  auto existed = d_.store.revoke_family(id, until);
  if (!existed) return existed.error();
  d_.revocations.add(Revocation{Revocation::Kind::family, id, until});
  if (*existed) d_.metrics.inc(Counter::revoked_family);
  return existed;
}

Result<bool> TokenService::revoke_family(const std::string& id, const std::string& user_id) {
  const long long now = now_ms();
  const long long until = family_denial_until(now);
  auto owned = d_.store.revoke_family(id, user_id, now, until);
  if (!owned || !*owned) return owned;
  d_.revocations.add(Revocation{Revocation::Kind::family, id, until});
  d_.metrics.inc(Counter::revoked_family);
  return true;
}

Result<void> TokenService::logout(const jose::VerifiedClaims& claims) {
  // Ours always carry both; a token signed with our key elsewhere may carry
  // neither, and saying "logged out" while it stays valid would be a lie.
  if (claims.jwt_id.empty() && claims.session_id.empty())
    return Error{ErrorCode::invalid_field,
                 "This access token has no jti and no sid, so it cannot be revoked on its own; use /auth/logout-all."};
  if (!claims.jwt_id.empty()) {
    // Denied until the token could no longer pass verification anyway.
    Revocation r{Revocation::Kind::token, claims.jwt_id, claims.expires_at * 1000 + d_.config.jwt.leeway.count()};
    if (auto stored = d_.store.deny(r); !stored) return stored.error();
    d_.revocations.add(r);
    d_.metrics.inc(Counter::revoked_access_token);
  }
  if (!claims.session_id.empty())
    if (auto r = revoke_family(claims.session_id); !r) return r.error();
  return {};
}

Result<std::size_t> TokenService::revoke_user(const std::string& user_id, const std::string& keep) {
  // From the epoch's rise on, no access token of the user issued before
  // this moment passes, whatever happens next.
  auto lock = user_locks_.lock(user_id, kUserLockWait);
  if (!lock) return user_busy();
  // One store step for both (see end_user_families): a refresh on another
  // process sees the old epoch with the family, or neither.
  auto ended = d_.store.end_user_families(user_id, keep);
  if (!ended) return ended.error();
  d_.revocations.raise_epoch(user_id, ended->epoch);
  d_.metrics.inc(Counter::revoked_user_tokens);
  for (std::size_t i = 0; i < ended->ids.size(); ++i) d_.metrics.inc(Counter::revoked_family);
  return ended->ids.size();
}

Result<std::vector<CredentialInfo>> TokenService::list_user(const std::string& user_id) {
  auto families = d_.store.list_user_families(user_id, now_ms());
  if (!families) return families.error();
  std::vector<CredentialInfo> out;
  out.reserve(families->size());
  for (const auto& f : *families) out.push_back(info_of(f));
  return out;
}

void TokenService::purge_expired() {
  d_.revocations.purge(now_ms());
  if (auto r = d_.store.purge_expired(now_ms()); !r)
    log_line("warn", "token_purge_failed", {{"detail", std::string(r.error().text())}});
}

}  // namespace cloakroom
