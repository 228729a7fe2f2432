#pragma once
// Turns a request into an authenticated principal, or says why not.
//
//   Authenticator auth(names, sessions, tokens, users, store_pool, freshness);
//   Result<Authenticated> who = co_await auth.authenticate(req);
//   if (!who) co_return http::refusal(who.error());   // 401 denied, or 503 unavailable
//   if (const VerifiedAccessToken* t = who->token()) ... else who->session_id_view() ...
//
// Order of checks: find the credential (extract_credential) → refuse with
// 503 feed_stale while this process cannot confirm recent revocations (the
// change feed went unread past feed.max_staleness: fail closed, but never a
// 401 that would make an app drop its user) → verify it with
// the model that owns it: the session service, or the access-token verifier
// (a JWT signed by one of our keys is accepted on its own merits, then
// checked against the in-process revocation state: denylist, family, epoch,
// disabled user). A session this process has not cached costs one store
// read on the store pool (the only suspension); a store that fails or a full
// pool is store_unavailable / overloaded (503), never a 401.
// It does not authorise (roles, CSRF): callers do. A refusal's message is
// safe for the client (it never names a JOSE reason); its `reason` says
// exactly why, for the access log.
#include <boost/asio/awaitable.hpp>
#include <memory>

#include "core/freshness.h"
#include <variant>

#include "auth/credential_extractor.h"
#include "core/work_pool.h"
#include "identity/principal.h"
#include "session/session_service.h"
#include "token/access_tokens.h"

namespace cloakroom {

// Who sent the request, and what proved it: a server-side session or an
// access token, never both.
struct Authenticated {
  using Proof = std::variant<SessionKey, std::shared_ptr<const VerifiedAccessToken>>;

  std::shared_ptr<const Principal> principal;
  Credential credential;  // where it came from (cookie or header): the CSRF rule needs it
  long long expires_ms = 0;
  Proof proof;
  // How and when the user signed in: a session's cached record, an access
  // token's `amr` and `auth_time` (empty and 0 when it carries none).
  AuthMethods amr;
  long long auth_time_ms = 0;

  bool is_session() const { return proof.index() == 0; }
  // nullptr for a session.
  const VerifiedAccessToken* token() const {
    auto* t = std::get_if<1>(&proof);
    return t ? t->get() : nullptr;
  }
  // The session id, or for an access token the refresh family that issued it
  // (empty when none): what /auth/sessions calls "id".
  std::string_view session_id_view() const {
    if (const auto* key = std::get_if<0>(&proof)) return {key->data(), key->size()};
    return std::get<1>(proof)->claims.session_id;
  }
};

class Authenticator {
 public:
  Authenticator(CookieNames names, SessionService& sessions, AccessTokens& tokens, UserDirectory& users,
                WorkPool& store_pool, const Freshness& freshness)
      : names_(std::move(names)),
        sessions_(sessions),
        tokens_(tokens),
        users_(users),
        store_pool_(store_pool),
        freshness_(freshness) {}

  // `req` must outlive the await (a handler's request does).
  boost::asio::awaitable<Result<Authenticated>> authenticate(const http::Request& req) const;
  const CookieNames& names() const { return names_; }
  // feed_stale (503) while this process cannot confirm recent changes: for
  // anything that vouches for a user from in-process state (a refresh too).
  Result<void> can_vouch() const {
    if (!freshness_.fresh()) return feed_stale_error();
    return {};
  }

 private:
  CookieNames names_;
  SessionService& sessions_;
  AccessTokens& tokens_;
  UserDirectory& users_;
  WorkPool& store_pool_;
  const Freshness& freshness_;
};

}  // namespace cloakroom
