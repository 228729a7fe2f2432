#pragma once
// A redis:// store URL, parsed once: where Redis listens, how to log in,
// which database and which key prefix. Every message and log line shows
// display(), so the password never leaves this struct.
//
//   auto url = redis::parse_url("redis://app:s3cret@10.0.0.5:6379/2?prefix=cloak:");
//   url->host;         // "10.0.0.5"
//   url->display();    // "redis://app:***@10.0.0.5:6379/2?prefix=cloak:"
//   url->endpoint();   // "redis://10.0.0.5:6379/2?prefix=cloak:" (no credentials: the feed's name)
//   redis::parse_url("redis://:pw@h:99999/0").error().text();  // "has a port that is not 1 to 65535"
//
// Form: redis://[USER[:PASSWORD]@]HOST[:PORT][/DB][?prefix=PREFIX]. PORT
// defaults to 6379, DB to 0, PREFIX to "cloakroom:". USER and PASSWORD are
// percent-decoded (write a literal % as %25); the credentials end at the
// last '@', so a password may hold ':' or '/' as they are.
#include <string>
#include <string_view>

#include "core/result.h"

namespace cloakroom::redis {

inline constexpr std::string_view kDefaultPrefix = "cloakroom:";

struct Url {
  std::string user;      // empty: AUTH with the password alone (the "default" user)
  std::string password;  // empty: no AUTH
  std::string host;      // without brackets for IPv6
  int port = 6379;
  int db = 0;
  std::string prefix{kDefaultPrefix};

  // The URL with the password replaced by ***, for messages and logs.
  std::string display() const;
  // The URL without credentials: stable across processes that share the data.
  std::string endpoint() const;
};

// config_invalid with a phrase ("has a port that is not 1 to 65535") that
// names the part at fault and never quotes the URL (it may hold a password);
// the caller prefixes the config key.
Result<Url> parse_url(std::string_view url);

}  // namespace cloakroom::redis
