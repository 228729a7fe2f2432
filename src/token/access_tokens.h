#pragma once
// Access JWTs: mint them with the active key, verify them against our key set
// with the configured policy, and follow rotations of the keys file.
//
//   AccessTokens tokens(cfg, keys, clock, random, revocations, source.get());  // source: where `keys` came from
//   auto jwt = tokens.mint_access(user_id, username, roles, family_id, amr, auth_time_ms);  // header {"alg","kid","typ":"at+jwt"}
//   auto claims = tokens.verify(bearer);                             // cache hit: a hash lookup
//   tokens.reload_if_changed();                                      // users' feed thread, once a second
//
// Keys in force: the stored set (the keys file) without the retired keys
// whose grace (jwt.access_ttl + jwt.leeway after their retirement) has
// passed; those stop verifying and leave the JWKS, with no file change needed.
//
// Verification = parse_jws → verify_jws (RFC 8725 rules) with a verified-token
// cache in front, then revocation (denylist, family, epoch) from the
// in-process RevocationList. A cached token found clean remembers the list's
// version, so repeats skip the lookups until something new is revoked; the
// cache never serves a revoked token.
#include <atomic>
#include <mutex>
#include <unordered_map>
#include <memory>
#include <string>
#include <vector>

#include "config/config.h"
#include "core/clock.h"
#include "core/random.h"
#include "identity/principal.h"
#include "jose/jws_verifier.h"
#include "jose/key_set.h"
#include "jose/token_policy.h"
#include "jose/verified_token_cache.h"
#include "token/key_source.h"
#include "token/revocation_list.h"

namespace cloakroom {

// What a verified access token yields, built once per token and cached with it,
// so a repeat request allocates nothing.
struct VerifiedAccessToken {
  jose::VerifiedClaims claims;
  Principal principal;  // user_id = sub; username falls back to sub
  long long expires_at;  // = claims.expires_at (the cache reads it)
  AuthMethods amr;       // from the `amr` claim (names we do not know and "mfa" skipped); empty when absent
  // The RevocationList version at which this token was last found not revoked.
  mutable std::atomic<std::uint64_t> clean_as_of{0};
};

class AccessTokens {
 public:
  // `keys` as loaded from `source` (retired keys included); a null source:
  // the keys never change (tests, one-shot CLI commands).
  AccessTokens(const Config& config, jose::KeySet keys, const Clock& clock, Random& random,
               const RevocationList& revocations, KeySource* source = nullptr);

  // An access token for one of our users (jwt.access_ttl), carrying
  // `epoch` (none: the user's current one here), when issued for a refresh
  // family its id as `sid`, and how and when the user signed in as `amr`
  // and `auth_time` (RFC 8176, OIDC Core: seconds).
  Result<std::string, jose::JoseError> mint_access(const std::string& user_id, const std::string& username,
                                                   const std::vector<std::string>& roles,
                                                   const std::string& family_id, AuthMethods amr,
                                                   long long auth_time_ms,
                                                   std::optional<long long> epoch = std::nullopt);

  // `audience` empty: jwt.audience (an access token for cloakroom's users).
  Result<std::string, jose::JoseError> mint(const std::string& subject, const std::string& username,
                                            const std::vector<std::string>& roles, std::chrono::seconds ttl,
                                            const std::vector<std::pair<std::string, std::string>>& extra = {},
                                            const std::string& audience = {});
  // `epoch` < 0: no epoch claim; empty `family_id`: no sid claim; empty
  // `amr`: neither amr nor auth_time.
  Result<std::string, jose::JoseError> sign(const std::string& subject, const std::string& username,
                                            const std::vector<std::string>& roles, std::chrono::seconds ttl,
                                            const std::vector<std::pair<std::string, std::string>>& extra,
                                            const std::string& audience, const std::string& family_id,
                                            long long epoch, AuthMethods amr = {}, long long auth_time_ms = 0);
  // A short-lived token for upstreams behind forward auth (aud =
  // forward_auth.identity_audience), reused while more than half its life
  // remains so a busy user costs one signature per half-TTL, not per request.
  Result<std::string, jose::JoseError> identity_token(const std::string& subject, const std::string& username,
                                                      const std::vector<std::string>& roles,
                                                      const std::string& roles_key);
  // Signature, claims, then revocation (JoseError::revoked).
  Result<std::shared_ptr<const VerifiedAccessToken>, jose::JoseError> verify(std::string_view token);

  // The keys in force: what signs (active()), verifies and is published.
  std::shared_ptr<const jose::KeySet> keys() const { return keys_.load(); }
  // Reloads from the source when the kept set changed (the keys file's
  // contents, mode or inode; the shared store's version), and drops retired
  // keys whose grace has passed (logged as key_dropped); true when the keys
  // in force changed. A changed set passes the startup checks or is refused
  // with a logged reason (keys_reload_failed), and the keys in use stay.
  // One thread at a time (App's users' feed thread, or keys_changed under App's keys_mu).
  bool reload_if_changed();
  // True from a refused reload of a changed set (not a store that did not
  // answer: that is retried) until a later change loads: this process then
  // verifies with an older set than the one kept. Any thread.
  bool reload_refused() const { return refused_.load(std::memory_order_relaxed); }
  // How long a retired key keeps verifying: the longest an access token it
  // signed can still be accepted (jwt.access_ttl + jwt.leeway).
  static std::chrono::seconds retirement_grace(const Config& config);
  const jose::TokenPolicy& policy() const { return policy_; }

 private:
  const Config& config_;
  const Clock& clock_;
  Random& random_;
  const RevocationList& revocations_;
  jose::TokenPolicy policy_;
  std::atomic<std::shared_ptr<const jose::KeySet>> keys_;  // in force
  jose::KeySet stored_;  // as last read, retired keys included (the reloading thread only)
  std::atomic<bool> refused_{false};
  KeySource* source_;
  jose::VerifiedTokenCache<VerifiedAccessToken> cache_;
  struct IdentityEntry {
    std::string token;
    long long refresh_at;  // seconds: mint a new one after this
    std::string kid;       // the key that signed it (a rotation invalidates it)
  };
  std::mutex identity_mu_;
  std::unordered_map<std::string, IdentityEntry> identity_;  // subject + '\n' + roles
};

}  // namespace cloakroom
