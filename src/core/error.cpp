#include "core/error.h"

namespace cloakroom {

const WireError& wire_error(ErrorCode code) {
  // One exhaustive switch: adding an ErrorCode without a wire form fails to
  // compile under -Werror=switch.
  switch (code) {
#define W(c, s, m) \
  case ErrorCode::c: { static const WireError w{s, #c, m}; return w; }
    W(bad_request, 400, "The request could not be parsed as HTTP/1.1.")
    W(malformed_json, 400, "The request body is not valid JSON.")
    W(invalid_field, 400, "A field has an invalid value.")
    W(missing_field, 400, "A required field is missing.")
    W(unknown_field, 400, "The request has a field this endpoint does not accept.")
    W(unsupported_media_type, 415, "The request body must be application/json.")
    W(body_too_large, 413, "The request body is larger than this server accepts.")
    W(headers_too_large, 431, "The request headers are larger than this server accepts.")
    W(not_found, 404, "Nothing is here.")
    W(method_not_allowed, 405, "This method is not allowed on this path.")
    W(invalid_credentials, 401, "The username or password is incorrect.")
    W(unauthenticated, 401, "A valid credential is required.")
    W(invalid_refresh_token, 401, "The refresh token is not valid; log in again.")
    W(refresh_token_reused, 401,
      "This refresh token was already used, so every token of its login has been revoked; log in again.")
    W(invalid_reset_token, 400, "This password reset link is invalid, used or expired; ask for a new one.")
    W(invalid_code, 401, "The code is incorrect or was used already.")
    W(invalid_challenge, 401, "This sign-in step is unknown, expired or used up; sign in again.")
    W(account_disabled, 403, "This account is disabled.")
    W(registration_closed, 403, "Registration is closed on this server.")
    W(username_taken, 409, "That username is already taken.")
    W(access_denied, 403, "You are signed in but not allowed to access this resource.")
    W(second_factor_required, 403, "This resource needs a second factor: sign in again with one.")
    W(csrf_rejected, 403, "Cross-site request refused: send an Origin header matching this server.")
    W(not_implemented, 501, "This feature is not available in this build yet.")
    W(passkey_refused, 401, "The passkey was not accepted; try again or sign in another way.")
    W(passkeys_unavailable, 409,
      "Passkeys need public_url on a host name, not an IP address; use http://localhost:PORT or a domain.")
    W(too_many_attempts, 429, "Too many failed attempts; try again later.")
    W(overloaded, 503, "The server is busy; try again shortly.")
    W(too_many_connections, 503, "The server has too many open connections; try again shortly.")
    W(store_unavailable, 503, "A data store is unavailable; try again shortly.")
    W(internal, 500, "An internal error occurred.")
    W(config_invalid, 500, "The configuration is invalid.")
    W(not_a_user, 404, "No such user.")
    W(conflict, 409, "That record already exists.")
    W(io_error, 500, "A file could not be read or written.")
    W(decryption_failed, 500, "Stored data could not be decrypted.")
#undef W
    case ErrorCode::count_: break;  // not a code: answered like an unexpected failure below
  }
  static const WireError fallback{500, "internal", "An internal error occurred."};
  return fallback;
}

}  // namespace cloakroom
