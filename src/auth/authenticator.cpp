#include "auth/authenticator.h"

namespace cloakroom {

Result<Authenticated> Authenticator::authenticate(const http::Request& req) const {
  Credential credential = extract_credential(req, names_);
  switch (credential.source) {
    case Credential::Source::none:
      return Error{ErrorCode::unauthenticated, "No credential: send a session cookie, X-Session-ID or a bearer token."};
    case Credential::Source::bearer:
    case Credential::Source::access_cookie:
      // Access tokens arrive with token mode; until then they are never accepted.
      return Error{ErrorCode::unauthenticated, "Access tokens are not accepted by this build yet."};
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
