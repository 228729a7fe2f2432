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

// The network one client controls, for per-address throttling: an IPv4
// address as it is (an IPv4-mapped IPv6 address becomes its IPv4 form); an
// IPv6 address as its /64 ("2001:db8:1:2::/64"), because every ISP and VPS
// customer holds at least a /64 and could otherwise pick a fresh address for
// each guess. Text that is no address literal is returned unchanged.
//
//   client_network("2001:db8:1:2:aaaa::9");   // "2001:db8:1:2::/64"
//   client_network("::ffff:192.0.2.7");       // "192.0.2.7"
std::string client_network(std::string_view ip);

}  // namespace cloakroom
