#include "auth/authenticator.h"

namespace cloakroom {

Result<Authenticated> Authenticator::authenticate(const http::Request& req) const {
  Credential credential = extract_credential(req, names_);
  switch (credential.source) {
    case Credential::Source::none:
      return Error{ErrorCode::unauthenticated, "No credential: send a session cookie, X-Session-ID or a bearer token."};
    case Credential::Source::bearer:
    case Credential::Source::access_cookie: {
      auto claims = tokens_.verify(credential.value);
      if (!claims) return Error{ErrorCode::unauthenticated, "The access token is not valid (" +
                                                                std::string(jose::reason_name(claims.error())) + ")."};
      // Revocation state is consulted in memory: a disabled user's tokens fail at once.
      if (users_.is_disabled((*claims)->subject)) return Error{ErrorCode::unauthenticated, "The account is disabled."};
      auto p = std::make_shared<Principal>();
      p->user_id = (*claims)->subject;
      // username and roles are optional claims; X-Auth-User falls back to sub.
      p->username = (*claims)->username.empty() ? (*claims)->subject : (*claims)->username;
      p->roles = (*claims)->roles;
      for (const auto& r : p->roles) p->roles_header += (p->roles_header.empty() ? "" : ",") + r;
      return Authenticated{std::move(p), credential, SessionKey{}, (*claims)->expires_at * 1000};
    }
    case Credential::Source::session_header:
    case Credential::Source::session_cookie: {
      auto session = sessions_.authenticate(credential.value);
      if (!session) return session.error();
      return Authenticated{std::move(session->principal), credential, session->id, session->expires_ms};
    }
  }
  return ErrorCode::unauthenticated;
}

}  // namespace cloakroom
