#pragma once
// IP address literals in one canonical text, so two spellings of the same
// address compare equal (config checks, trusted proxies, throttle buckets).
//
//   canonical_ip("0:0:0:0:0:0:0:1");   // "::1"
//   canonical_ip("2001:DB8::1");       // "2001:db8::1"
//   canonical_ip("1.2.3.4:80");        // "" (not an address literal)
#include <string>
#include <string_view>

namespace cloakroom {

// The canonical text of an IPv4 or IPv6 literal, or "" when it is not one.
std::string canonical_ip(std::string_view text);

}  // namespace cloakroom
