#pragma once
// Turns a request into an authenticated principal, or says why not.
//
//   Authenticator auth(names, sessions);
//   Result<Authenticated> who = auth.authenticate(req);
//   if (!who) -> 401 (who.error() says why, for logs and the message)
//
// Order of checks: find the credential (extract_credential) → verify it with
// the model that owns it: the session service, or the access-token verifier
// (a JWT signed by one of our keys is accepted on its own merits, then
// checked against the in-process revocation state: denylist, family, epoch,
// disabled user).
// It does not authorise (roles, CSRF): callers do.
#include <memory>

#include "auth/credential_extractor.h"
#include "auth/principal.h"
#include "session/session_service.h"
#include "token/access_tokens.h"

namespace cloakroom {

struct Authenticated {
  std::shared_ptr<const Principal> principal;
  Credential credential;
  SessionKey session_id;  // for session credentials
  long long expires_ms = 0;
  std::shared_ptr<const VerifiedAccessToken> token;  // for access-token credentials
  // The session id, or for an access token the refresh family that issued it
  // (empty when none): what /auth/sessions calls "id".
  std::string_view session_id_view() const {
    return token ? std::string_view(token->claims.session_id) : std::string_view(session_id.data(), session_id.size());
  }
  bool is_session() const { return credential.is_session(); }
};

class Authenticator {
 public:
  Authenticator(CookieNames names, SessionService& sessions, AccessTokens& tokens, UserDirectory& users)
      : names_(std::move(names)), sessions_(sessions), tokens_(tokens), users_(users) {}

  Result<Authenticated> authenticate(const http::Request& req) const;
  const CookieNames& names() const { return names_; }

 private:
  CookieNames names_;
  SessionService& sessions_;
  AccessTokens& tokens_;
  UserDirectory& users_;
};

}  // namespace cloakroom
