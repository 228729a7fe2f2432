#pragma once
// Every failure cloakroom can report, as a closed set of codes.
//
//   Error e{ErrorCode::invalid_credentials};          // default message
//   Error e{ErrorCode::invalid_field, "password must be a string"};
//   const WireError& w = wire_error(e.code);          // status + snake_case code
//
// The message is a sentence safe to show a client; internal detail (SQLite
// text, errno) goes to logs only, never into `message`. `reason` names the
// precise cause for logs and metrics ("bad_signature", "session_expired"):
// it never reaches the wire.
//
//   return Error{ErrorCode::unauthenticated, "The access token is not valid."}.because("bad_signature");
#include <string>
#include <string_view>

namespace cloakroom {

enum class ErrorCode {
  bad_request,            // HTTP framing the parser rejected
  malformed_json,         // body is not a single valid JSON document
  invalid_field,          // a field has the wrong type or an unacceptable value
  missing_field,          // a required field is absent
  unknown_field,          // a field we do not define (typos must not pass silently)
  unsupported_media_type, // body is not application/json
  body_too_large,         // body over the configured limit
  headers_too_large,      // request line + headers over the configured limit
  not_found,              // no route, or no such resource
  method_not_allowed,     // route exists, method does not
  invalid_credentials,    // unknown user or wrong password (deliberately the same)
  unauthenticated,        // no valid credential on the request
  invalid_refresh_token,  // refresh: malformed, unknown, expired or revoked refresh token
  refresh_token_reused,   // refresh: an already-rotated token came back; its family is revoked (RFC 9700 §4.14)
  invalid_reset_token,    // password reset: unknown, used or expired link (deliberately the same)
  invalid_code,           // TOTP: a wrong code, a used one (replay), or a wrong recovery code
  invalid_challenge,      // login's second step: unknown, expired, used, out of attempts, or another client's challenge (deliberately the same)
  account_disabled,       // correct password, but the account is disabled
  registration_closed,    // auth.registration = false
  username_taken,         // register: the name exists
  csrf_rejected,          // cookie-authenticated unsafe request without a same-origin Origin
  access_denied,          // forward auth: authenticated, but a rule does not allow this path
  second_factor_required, // forward auth: a rule wants a multi-factor sign-in and this credential has one factor
  not_implemented,        // a SPEC feature this build does not have yet
  passkey_refused,        // a passkey response did not verify (unknown credential, used challenge, bad signature...)
  passkeys_unavailable,   // public_url's host is an IP address (WebAuthn needs a domain) or no challenge store
  too_many_attempts,      // login throttle tripped
  overloaded,             // a bounded queue is full: shed load
  too_many_connections,   // http.max_connections reached
  store_unavailable,      // a store cannot be reached: fail closed
  internal,               // a bug or an unexpected library failure
  // Non-HTTP errors (CLI, config, stores).
  config_invalid,         // a config key or value is wrong
  not_a_user,             // CLI: no such user
  conflict,               // store: a write broke a UNIQUE or PRIMARY KEY constraint (the store maps it, e.g. to username_taken)
  io_error,               // filesystem trouble
  decryption_failed,      // sealed data did not open: another key-encryption key, altered, or sealed as another kind of secret
  // Not a code: how many there are, so tests can walk every one. Keep it last.
  count_,
};

struct WireError {
  int status;
  std::string_view code;
  std::string_view default_message;
};

// The one place an ErrorCode becomes an HTTP status and snake_case code.
const WireError& wire_error(ErrorCode code);

struct Error {
  ErrorCode code;
  std::string message;      // empty: use wire_error(code).default_message
  std::string_view reason;  // internal, static storage; empty when the code says it all

  Error(ErrorCode c) : code(c) {}  // NOLINT: implicit on purpose, `return ErrorCode::x;`
  Error(ErrorCode c, std::string m) : code(c), message(std::move(m)) {}

  Error because(std::string_view why) && {
    reason = why;
    return std::move(*this);
  }

  std::string_view text() const {
    return message.empty() ? wire_error(code).default_message : std::string_view(message);
  }
};

}  // namespace cloakroom
