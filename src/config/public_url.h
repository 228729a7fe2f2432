#pragma once
// The public_url cloakroom assumes when none is set: derived from `listen`,
// so a browser on this machine can sign in with no configuration at all.
//
//   derive_public_url("127.0.0.1:19200");   // "http://127.0.0.1:19200"
//   derive_public_url("0.0.0.0:8080");      // "http://127.0.0.1:8080": every interface includes this machine's
//   derive_public_url("[::1]:0", 41234);    // "http://[::1]:41234": port 0 becomes the port the kernel picked
//   derive_public_url("localhost:80");      // "http://localhost"
//   split_listen("[::]:8080");              // {"::", 8080, wildcard = true}
#include <string>
#include <string_view>

namespace cloakroom {

struct ListenAddress {
  std::string host;       // IPv6 brackets removed; "" when `listen` is malformed
  int port = -1;          // -1 when malformed
  bool wildcard = false;  // 0.0.0.0 or :: (every interface), not one address
};

// HOST:PORT (as config checks `listen`, or as the server reports the address it bound).
ListenAddress split_listen(std::string_view listen);

// http://HOST[:PORT] for `listen`: a wildcard host becomes 127.0.0.1, an IPv6
// literal gets brackets, port 80 is left out (as browsers serialise Origin).
// `bound_port`, when nonzero, stands in for a listen port of 0 (else ":0").
std::string derive_public_url(std::string_view listen, int bound_port = 0);

}  // namespace cloakroom
