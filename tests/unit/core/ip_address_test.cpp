#include "core/ip_address.h"

#include <gtest/gtest.h>

namespace cloakroom {
namespace {

// IPv4 and IPv6 literals come back in one canonical spelling.
TEST(CanonicalIp, CanonicalisesLiterals) {
  EXPECT_EQ(canonical_ip("127.0.0.1"), "127.0.0.1");
  EXPECT_EQ(canonical_ip("0:0:0:0:0:0:0:1"), "::1");
  EXPECT_EQ(canonical_ip("2001:DB8::1"), "2001:db8::1");
  EXPECT_EQ(canonical_ip("::ffff:192.0.2.1"), "::ffff:192.0.2.1");
}

// Anything that is not exactly one address literal is "".
TEST(CanonicalIp, RefusesNonLiterals) {
  for (const char* bad : {"", "300.1.1.1", "1.2.3.4:80", " 1.2.3.4", "1.2.3", "localhost", "[::1]", "::1%eth0"})
    EXPECT_EQ(canonical_ip(bad), "") << bad;
  EXPECT_EQ(canonical_ip(std::string(46, '1')), "");  // longer than any IPv6 text
}

}  // namespace
}  // namespace cloakroom

namespace cloakroom {
namespace {

// Per-address throttles key IPv6 clients by their /64: one host holds a
// whole /64 and could otherwise spend a fresh address on every guess.
TEST(ClientNetwork, Ipv6IsKeyedByItsSlash64) {
  EXPECT_EQ(client_network("2001:db8:1:2:aaaa::9"), "2001:db8:1:2::/64");
  EXPECT_EQ(client_network("2001:db8:1:2:ffff:ffff:ffff:ffff"), "2001:db8:1:2::/64");
  EXPECT_EQ(client_network("2001:DB8:1:2::1"), "2001:db8:1:2::/64");
  EXPECT_NE(client_network("2001:db8:1:3::1"), client_network("2001:db8:1:2::1"));
  EXPECT_EQ(client_network("::1"), "::/64");
}

TEST(ClientNetwork, Ipv4StaysOneAddress) {
  EXPECT_EQ(client_network("192.0.2.7"), "192.0.2.7");
  EXPECT_EQ(client_network("::ffff:192.0.2.7"), "192.0.2.7");  // the same client either way
  EXPECT_NE(client_network("192.0.2.8"), client_network("192.0.2.7"));
}

TEST(ClientNetwork, OtherTextIsUnchanged) {
  EXPECT_EQ(client_network(""), "");
  EXPECT_EQ(client_network("not an address"), "not an address");
}

}  // namespace
}  // namespace cloakroom
