#pragma once
// Token mode: an access JWT plus a rotating refresh token that belongs to a
// refresh family (one login on one device). The stateless half of cloakroom,
// with revocation that still works at once.
//
//   TokenService tokens(deps);
//   tokens.load();                                   // startup: denylist and epochs into memory
//   auto issued = tokens.issue(user, ip, ua, remember, AuthMethods::password());   // login
//   auto next = tokens.refresh(presented, ip, ua);   // rotation; reuse revokes the family
//   tokens.logout(claims);                           // jti denied until exp, family revoked
//   tokens.revoke_user(user_id);                     // logout-all: families end, epoch rises
//
// Refresh (RFC 9700 §4.14): every use rotates. The family row holds a hash of
// the current secret and a chain key; secret n+1 = HMAC(chain key, secret n).
// So the server can tell
//   - the current token: rotate (a compare-and-swap on the generation, so
//     of concurrent uses exactly one rotates);
//   - the previous token again within jwt.refresh_grace of its rotation: a
//     repeat (several tabs, a retry) - answered with the same next token,
//     re-derived, not stored; at most jwt.refresh_repeats times per
//     rotation, since a thief replaying it looks the same: one more is reuse;
//   - any older token of the family: reuse - the family is revoked with
//     every access token it issued;
//   - anything else: invalid, and nothing happens to the family.
// That decision is classify_refresh (token/refresh_classifier.h), pure;
// refresh() does the reads, the rotation and the repeat count around it.
//
// issue() and revoke_user() of one user are linearisable (the user's lock
// spans the store write and the access token's epoch): a login racing a
// logout-all never leaves a live access token for an ended family. A
// refresh racing one, on any process, mints its access token with the
// epoch read together with the family (find_family_and_epoch), and
// logout-all raises the epoch and removes the families in one store step:
// the refresh either finds no family or mints a token the raise ends.
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "config/config.h"
#include "core/audit_log.h"
#include "core/clock.h"
#include "core/random.h"
#include "core/striped_locks.h"
#include "identity/credential_info.h"
#include "identity/principal.h"
#include "identity/user_directory.h"
#include "metrics/metrics.h"
#include "store/session_store.h"
#include "store/token_store.h"
#include "token/access_tokens.h"
#include "token/refresh_token.h"
#include "token/revocation_list.h"

namespace cloakroom {

struct IssuedTokens {
  std::string access_token;
  long long expires_in = 0;  // seconds the access token lives
  std::string refresh_token;
  CredentialInfo family;
  std::shared_ptr<const Principal> principal;
};

struct TokenDeps {
  const Config& config;
  TokenStore& store;
  UserDirectory& users;
  AccessTokens& access;
  RevocationList& revocations;
  const Clock& clock;
  Random& random;
  Metrics& metrics;
  const AuditLog& audit;  // refresh_reused, refresh_repeated
};

class TokenService {
 public:
  explicit TokenService(TokenDeps deps);

  // The denylist and epochs, into the RevocationList.
  Result<void> load();
  // `amr`: the methods this sign-in used; the family keeps them and their
  // time, and every access token it issues carries both (a refresh is not
  // a new sign-in).
  Result<IssuedTokens> issue(const User& user, std::string_view ip, std::string_view user_agent, bool remember,
                             AuthMethods amr);
  // invalid_refresh_token, refresh_token_reused, account_disabled, store errors;
  // each refusal names its reason (Error::reason, for the access log).
  // `ip`, `user_agent` and `request_id` (the caller's) only go to the audit
  // events of repeats and reuse.
  Result<IssuedTokens> refresh(std::string_view refresh_token, std::string_view ip, std::string_view user_agent,
                               std::string_view request_id = {});
  // Logout with an access token: its jti is denied until its exp and the
  // family that issued it (sid) is revoked.
  Result<void> logout(const jose::VerifiedClaims& claims);
  // One family, with every access token it issued. true when it existed.
  Result<bool> revoke_family(const std::string& id);
  // The same, only for a live family of `user_id`: false, and nothing
  // removed or denied, for anyone else's or an expired one.
  Result<bool> revoke_family(const std::string& id, const std::string& user_id);
  // Every family of the user ends and the user's epoch rises, so every
  // access token issued before now fails. The families ended. `keep` (a
  // family id; empty: none) stays: a password change keeps the caller's
  // family, whose next access token (refresh, or mint_access now) carries
  // the new epoch.
  Result<std::size_t> revoke_user(const std::string& user_id, const std::string& keep = {});
  Result<std::vector<CredentialInfo>> list_user(const std::string& user_id);

  // Background work (App's housekeeping thread).
  void purge_expired();

  // How long a revoked family's access tokens stay denied: until the last
  // one it could have issued has expired (access_ttl + leeway from now).
  long long family_denial_until(long long now_ms) const;

 private:
  long long now_ms() const { return unix_millis(d_.clock.now()); }
  // `epoch`: the one the access token carries (a refresh's, read with its
  // family); none: the user's current one in this process (a login).
  Result<IssuedTokens> tokens_for(const RefreshFamilyRecord& family, long long generation, const RefreshSecret& secret,
                                  std::shared_ptr<const Principal> principal,
                                  std::optional<long long> epoch = std::nullopt);
  Result<IssuedTokens> reuse_detected(const RefreshFamilyRecord& family, std::string_view why,
                                      const AuditContext& from);
  // Counts one repeat of the family's previous token; the count so far for
  // its current generation, this one included.
  int count_repeat(const RefreshFamilyRecord& family, long long now);


  TokenDeps d_;
  StripedLocks<64> user_locks_;  // create/issue vs revoke_user, per user
  const long long refresh_ttl_ms_;
  const long long grace_ms_;

  // Repeats per family in its current grace window. In memory: an entry
  // matters only for jwt.refresh_grace (≤ 5 min), and only families that
  // were repeated have one; windows that ended are pruned in bulk when the
  // table has doubled since the last pass.
  struct Repeats {
    long long generation = 0;
    int count = 0;
    long long window_end_ms = 0;
  };
  std::mutex repeats_mu_;
  std::unordered_map<std::string, Repeats> repeats_;
  std::size_t repeats_prune_at_;
};

}  // namespace cloakroom
