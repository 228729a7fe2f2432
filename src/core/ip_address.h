#pragma once
// IP address literals in one canonical text, so two spellings of the same
// address compare equal (config checks, trusted proxies, throttle buckets).
//
//   canonical_ip("0:0:0:0:0:0:0:1");   // "::1"
//   canonical_ip("2001:DB8::1");       // "2001:db8::1"
//   canonical_ip("1.2.3.4:80");        // "" (not an address literal)
//
//   auto net = IpNetwork::parse("172.16.0.0/12");  // or one address: "10.0.0.2", "fd00::/8"
//   net->contains("172.20.1.9");                   // true
//   is_loopback_host("localhost");                 // true: also 127.0.0.0/8 and [::1]
#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.h"

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

// A block of addresses: an address literal and a prefix length in CIDR
// notation, or one address (a /32 or /128).
class IpNetwork {
 public:
  // "a.b.c.d", "a.b.c.d/N" (0..32), an IPv6 literal, "v6/N" (0..128).
  // Refused with a sentence (config_invalid, no key named): anything else,
  // and a block with bits set past its prefix ("10.0.0.1/8" is a typo for a
  // host or for "10.0.0.0/8"; guessing either could trust the wrong peers).
  static Result<IpNetwork> parse(std::string_view text);

  // Whether the address literal `ip` lies in the block. An IPv4-mapped IPv6
  // address (how a dual-stack socket reports an IPv4 peer) counts as its
  // IPv4 address. Text that is no address literal is in no block.
  bool contains(std::string_view ip) const;

  bool is_ipv4() const;
  int prefix() const { return prefix_; }  // 32 or 128 for a single address

 private:
  int family_ = 0;  // AF_INET or AF_INET6
  unsigned char bytes_[16] = {};
  int prefix_ = 0;
};

// Whether a URL's host names this machine's loopback interface: "localhost",
// an IPv4 address in 127.0.0.0/8, or "::1" (with or without brackets).
// Case-insensitive; nothing else ("localhost.", "x.localhost") counts.
bool is_loopback_host(std::string_view host);

}  // namespace cloakroom
