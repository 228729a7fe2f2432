#include "auth/authenticator.h"

namespace cloakroom {

Result<Authenticated> Authenticator::authenticate(const http::Request& req) const {
  Credential credential = extract_credential(req, names_);
  switch (credential.source) {
    case Credential::Source::none:
      return Error{ErrorCode::unauthenticated, "No credential: send a session cookie, X-Session-ID or a bearer token."}
          .because("no_credential");
    case Credential::Source::bearer:
    case Credential::Source::access_cookie: {
      auto claims = tokens_.verify(credential.value);
      if (!claims) {
        // The holder of a revoked token may know it was revoked; why any other
        // token failed (a signature, a kid, a claim) helps only a forger.
        if (claims.error() == jose::JoseError::revoked)
          return Error{ErrorCode::unauthenticated, "The access token has been revoked; log in again."}.because("revoked");
        return Error{ErrorCode::unauthenticated, "The access token is not valid."}.because(
            jose::reason_name(claims.error()));
      }
      // Revocation state is consulted in memory: a disabled user's tokens fail at once.
      if (users_.is_disabled((*claims)->claims.subject))
        return Error{ErrorCode::unauthenticated, "The account is disabled."}.because("account_disabled");
      // The principal lives inside the cached entry: share it, do not rebuild it.
      std::shared_ptr<const VerifiedAccessToken> token = std::move(*claims);
      std::shared_ptr<const Principal> p(token, &token->principal);
      const long long expires_ms = token->expires_at * 1000;
      return Authenticated{std::move(p), credential, expires_ms, std::move(token)};
    }
    case Credential::Source::session_header:
    case Credential::Source::session_cookie: {
      auto session = sessions_.authenticate(credential.value);
      if (!session) return session.error();
      return Authenticated{std::move(session->principal), credential, session->expires_ms, session->id};
    }
  }
  return Error{ErrorCode::unauthenticated}.because("no_credential");
}

}  // namespace cloakroom
