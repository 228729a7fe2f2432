#include "token/access_tokens.h"

#include "core/json.h"
#include "core/log.h"
#include "jose/jws_signer.h"
#include "jose/keys_file.h"

namespace cloakroom {

AccessTokens::AccessTokens(const Config& config, jose::KeySet keys, const Clock& clock, Random& random,
                           const RevocationList& revocations, KeySource* source)
    : config_(config),
      clock_(clock),
      random_(random),
      revocations_(revocations),
      policy_{config.jwt.issuer, config.jwt.audience,
              std::chrono::duration_cast<std::chrono::seconds>(config.jwt.leeway)},
      keys_(std::make_shared<const jose::KeySet>(
          keys.without_retired_before(unix_seconds(clock.now()) - retirement_grace(config).count()))),
      stored_(std::move(keys)),
      source_(source),
      cache_(100'000) {}

std::chrono::seconds AccessTokens::retirement_grace(const Config& config) {
  return std::chrono::duration_cast<std::chrono::seconds>(config.jwt.access_ttl + config.jwt.leeway);
}

Result<std::string, jose::JoseError> AccessTokens::mint(const std::string& subject, const std::string& username,
                                                        const std::vector<std::string>& roles, std::chrono::seconds ttl,
                                                        const std::vector<std::pair<std::string, std::string>>& extra,
                                                        const std::string& audience) {
  return sign(subject, username, roles, ttl, extra, audience, {}, -1);
}

Result<std::string, jose::JoseError> AccessTokens::mint_access(const std::string& user_id, const std::string& username,
                                                               const std::vector<std::string>& roles,
                                                               const std::string& family_id, AuthMethods amr,
                                                               long long auth_time_ms,
                                                               std::optional<long long> epoch) {
  return sign(user_id, username, roles, std::chrono::duration_cast<std::chrono::seconds>(config_.jwt.access_ttl), {},
              {}, family_id, epoch ? *epoch : revocations_.epoch(user_id), amr, auth_time_ms);
}

Result<std::string, jose::JoseError> AccessTokens::sign(const std::string& subject, const std::string& username,
                                                        const std::vector<std::string>& roles, std::chrono::seconds ttl,
                                                        const std::vector<std::pair<std::string, std::string>>& extra,
                                                        const std::string& audience, const std::string& family_id,
                                                        long long epoch, AuthMethods amr, long long auth_time_ms) {
  auto keys = keys_.load();
  const jose::Jwk* key = keys->active();
  if (!key) return jose::JoseError::key_not_private;
  long long now = unix_seconds(clock_.now());
  json::Writer w;
  w.begin_object();
  w.key("iss"); w.string(config_.jwt.issuer);
  w.key("sub"); w.string(subject);
  w.key("aud");
  if (!audience.empty()) w.string(audience);
  else if (config_.jwt.audience.size() == 1) w.string(config_.jwt.audience.front());
  else {
    w.begin_array();
    for (const auto& a : config_.jwt.audience) w.string(a);
    w.end_array();
  }
  w.key("exp"); w.number(now + ttl.count());
  w.key("iat"); w.number(now);
  w.key("nbf"); w.number(now);
  w.key("jti"); w.string(random_token(random_, 16));
  if (!family_id.empty()) { w.key("sid"); w.string(family_id); }
  if (epoch >= 0) { w.key("epoch"); w.number(epoch); }
  if (!amr.empty()) {
    w.key("amr");
    w.begin_array();
    for (std::string_view m : amr.names()) w.string(m);
    w.end_array();
    w.key("auth_time"); w.number(auth_time_ms / 1000);
  }
  if (!username.empty()) { w.key("username"); w.string(username); }
  w.key("roles");
  w.begin_array();
  for (const auto& r : roles) w.string(r);
  w.end_array();
  for (const auto& [k, v] : extra) {
    w.key(k);
    w.string(v);
  }
  w.end_object();
  return jose::sign_jwt(*key, w.str());
}

namespace {

// The revocation check behind every verification, cached or not. Costs one
// atomic load while nothing new has been revoked since the token was last
// found clean.
bool is_revoked(const VerifiedAccessToken& t, const RevocationList& list) {
  const std::uint64_t version = list.version();
  if (t.clean_as_of.load(std::memory_order_relaxed) == version) return false;
  const auto& c = t.claims;
  if (list.revoked(c.jwt_id, c.session_id, c.subject, c.epoch)) return true;
  t.clean_as_of.store(version, std::memory_order_relaxed);
  return false;
}

}  // namespace

Result<std::shared_ptr<const VerifiedAccessToken>, jose::JoseError> AccessTokens::verify(std::string_view token) {
  long long now = unix_seconds(clock_.now());
  if (auto hit = cache_.find(token, now)) {
    if (is_revoked(*hit, revocations_)) return jose::JoseError::revoked;
    return hit;
  }
  auto parsed = jose::parse_jws(token);
  if (!parsed) return parsed.error();
  auto keys = keys_.load();
  auto claims = jose::verify_jws(*parsed, *keys, policy_, now);
  if (!claims) return claims.error();
  auto entry = std::make_shared<VerifiedAccessToken>();
  entry->principal.user_id = claims->subject;
  entry->principal.username = claims->username.empty() ? claims->subject : claims->username;
  entry->principal.roles = claims->roles;
  for (const auto& r : claims->roles)
    entry->principal.roles_header += (entry->principal.roles_header.empty() ? "" : ",") + r;
  entry->expires_at = claims->expires_at;
  entry->amr = AuthMethods::from_names(claims->amr);
  entry->claims = std::move(*claims);
  std::shared_ptr<const VerifiedAccessToken> shared = std::move(entry);
  cache_.insert(token, shared);
  if (is_revoked(*shared, revocations_)) return jose::JoseError::revoked;
  return shared;
}

Result<std::string, jose::JoseError> AccessTokens::identity_token(const std::string& subject,
                                                                  const std::string& username,
                                                                  const std::vector<std::string>& roles,
                                                                  const std::string& roles_key) {
  const long long now = unix_seconds(clock_.now());
  const std::string key = subject + '\n' + roles_key;
  const std::string kid = keys_.load()->active() ? keys_.load()->active()->kid() : "";
  {
    std::lock_guard lock(identity_mu_);
    if (auto it = identity_.find(key); it != identity_.end() && it->second.refresh_at > now && it->second.kid == kid)
      return it->second.token;
  }
  auto ttl = std::chrono::duration_cast<std::chrono::seconds>(config_.forward_auth.identity_ttl);
  auto token = mint(subject, username, roles, ttl, {}, config_.forward_auth.identity_audience);
  if (!token) return token.error();
  std::lock_guard lock(identity_mu_);
  // Why: bounded by clearing; at worst every user costs one more signature.
  if (identity_.size() >= 100'000) identity_.clear();
  identity_[key] = IdentityEntry{*token, now + ttl.count() / 2, kid};
  return token;
}

bool AccessTokens::reload_if_changed() {
  bool reloaded = false;
  if (source_) {
    auto changed = source_->reload_if_changed();
    if (!changed) {
      // Keep serving with the keys we have; say why the new set was refused.
      log_line("error", "keys_reload_failed",
               {{"keys", source_->where()}, {"detail", changed.error().text()}, {"kept", "the keys in use"}});
      // A store that did not answer is asked again (the source reports the
      // kept set once it does); anything else stands until the set changes.
      if (changed.error().code != ErrorCode::store_unavailable) refused_.store(true, std::memory_order_relaxed);
    } else if (*changed) {
      stored_ = std::move(**changed);
      reloaded = true;
      refused_.store(false, std::memory_order_relaxed);
      log_line("info", "keys_reloaded", {{"keys", source_->where()}});
    }
  }
  const long long cutoff = unix_seconds(clock_.now()) - retirement_grace(config_).count();
  auto current = keys_.load();
  const long long earliest = current->earliest_retirement();
  const bool due = earliest != 0 && earliest <= cutoff;
  if (!reloaded && !due) return false;
  for (const jose::Jwk& k : current->keys())
    if (const long long at = current->retired_at(k.kid()); at != 0 && at <= cutoff)
      log_line("info", "key_dropped", {{"kid", k.kid()}, {"retired_at", rfc3339(at * 1000)}});
  keys_.store(std::make_shared<const jose::KeySet>(stored_.without_retired_before(cutoff)));
  cache_.clear();  // a dropped or removed key's tokens must not be served from the cache
  return true;
}

}  // namespace cloakroom
