#include "auth/authenticator.h"

#include "http/offload.h"

namespace cloakroom {

boost::asio::awaitable<Result<Authenticated>> Authenticator::authenticate(const http::Request& req) const {
  Credential credential = extract_credential(req, names_);
  if (credential.source == Credential::Source::none)
    co_return Error{ErrorCode::unauthenticated, "No credential: send a session cookie, X-Session-ID or a bearer token."}
        .because("no_credential");
  // A credential we cannot confirm is not revoked elsewhere gets no answer yet.
  if (auto current = can_vouch(); !current) co_return current.error();
  switch (credential.source) {
    case Credential::Source::none:
      break;
    case Credential::Source::bearer:
    case Credential::Source::access_cookie: {
      auto claims = tokens_.verify(credential.value);
      if (!claims) {
        // The holder of a revoked token may know it was revoked; why any other
        // token failed (a signature, a kid, a claim) helps only a forger.
        if (claims.error() == jose::JoseError::revoked)
          co_return Error{ErrorCode::unauthenticated, "The access token has been revoked; log in again."}.because("revoked");
        co_return Error{ErrorCode::unauthenticated, "The access token is not valid."}.because(
            jose::reason_name(claims.error()));
      }
      // Revocation state is consulted in memory: a disabled user's tokens fail at once.
      if (users_.is_disabled((*claims)->claims.subject))
        co_return Error{ErrorCode::unauthenticated, "The account is disabled."}.because("account_disabled");
      // The principal lives inside the cached entry: share it, do not rebuild it.
      std::shared_ptr<const VerifiedAccessToken> token = std::move(*claims);
      std::shared_ptr<const Principal> p(token, &token->principal);
      const long long expires_ms = token->expires_at * 1000;
      const AuthMethods amr = token->amr;
      const long long auth_time_ms = token->claims.auth_time * 1000;
      co_return Authenticated{std::move(p), credential, expires_ms, std::move(token), amr, auth_time_ms};
    }
    case Credential::Source::session_header:
    case Credential::Source::session_cookie: {
      auto session = sessions_.cached(credential.value);
      if (!session) {
        // Not cached here (nullopt implies a well-formed token): one store read, off the I/O thread.
        SessionService::FillRead read;
        const std::string_view id = credential.value.substr(0, kSessionIdChars);
        auto filled = co_await http::on_pool(store_pool_, [&] { return sessions_.fill(id, &read); });
        if (!filled) co_return filled.error();
        session = sessions_.filled(credential.value, read);
      }
      if (!*session) co_return session->error();
      co_return Authenticated{std::move((*session)->principal), credential, (*session)->expires_ms, (*session)->id,
                              (*session)->amr, (*session)->auth_time_ms};
    }
  }
  co_return Error{ErrorCode::unauthenticated}.because("no_credential");
}

}  // namespace cloakroom
