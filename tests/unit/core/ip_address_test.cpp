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

// A CIDR block holds exactly the addresses that share its prefix, at every
// prefix length including the byte-unaligned ones.
TEST(IpNetwork, ContainsTheAddressesOfItsPrefix) {
  auto private12 = IpNetwork::parse("172.16.0.0/12");
  ASSERT_TRUE(private12) << private12.error().text();
  for (const char* in : {"172.16.0.0", "172.16.0.1", "172.20.1.9", "172.31.255.255"})
    EXPECT_TRUE(private12->contains(in)) << in;
  for (const char* out : {"172.15.255.255", "172.32.0.0", "10.0.0.1", "::1", "", "not-an-ip", "172.16.0.1:80"})
    EXPECT_FALSE(private12->contains(out)) << out;
  auto ula = IpNetwork::parse("fd00::/8");
  ASSERT_TRUE(ula);
  EXPECT_TRUE(ula->contains("fd12:3456::1"));
  EXPECT_TRUE(ula->contains("FD00::"));
  EXPECT_FALSE(ula->contains("fe80::1"));
  EXPECT_FALSE(ula->contains("10.0.0.1"));
  auto everything = IpNetwork::parse("0.0.0.0/0");
  ASSERT_TRUE(everything);
  EXPECT_TRUE(everything->contains("203.0.113.9"));
  EXPECT_FALSE(everything->contains("2001:db8::1"));  // an IPv4 block holds no IPv6 address
  auto v6_63 = IpNetwork::parse("2001:db8:0:2::/63");
  ASSERT_TRUE(v6_63);
  EXPECT_TRUE(v6_63->contains("2001:db8:0:3:ffff::1"));
  EXPECT_FALSE(v6_63->contains("2001:db8:0:4::1"));
}

// One address is a /32 or /128, in any spelling of it.
TEST(IpNetwork, OneAddressIsItsOwnBlock) {
  auto one = IpNetwork::parse("10.0.0.2");
  ASSERT_TRUE(one);
  EXPECT_TRUE(one->contains("10.0.0.2"));
  EXPECT_FALSE(one->contains("10.0.0.3"));
  auto v6 = IpNetwork::parse("::1");
  ASSERT_TRUE(v6);
  EXPECT_TRUE(v6->contains("0:0:0:0:0:0:0:1"));
  EXPECT_FALSE(v6->contains("::2"));
}

// A dual-stack socket reports an IPv4 peer as ::ffff:a.b.c.d: the same peer.
TEST(IpNetwork, MappedIpv4PeersMatchIpv4Blocks) {
  auto net = IpNetwork::parse("10.0.0.0/8");
  ASSERT_TRUE(net);
  EXPECT_TRUE(net->contains("::ffff:10.1.2.3"));
  EXPECT_FALSE(net->contains("::ffff:11.1.2.3"));
}

// Anything else is refused with a sentence; bits past the prefix are a typo
// for a host or for the block, so the sentence offers both.
TEST(IpNetwork, RefusesWithASentence) {
  for (const char* bad : {"", "/8", "10.0.0.0/", "10.0.0.0/33", "10.0.0.0/-1", "10.0.0.0/8/8", "10.0.0.0/ 8",
                          "10.0.0.0/0032", "::/129", "localhost", "10.0.0.0/8 ", "[::1]", "10.0.0.0/x"})
    EXPECT_FALSE(IpNetwork::parse(bad)) << bad;
  auto typo = IpNetwork::parse("10.0.0.1/8");
  ASSERT_FALSE(typo);
  EXPECT_EQ(typo.error().code, ErrorCode::config_invalid);
  EXPECT_EQ(typo.error().text(),
            "\"10.0.0.1/8\" has bits set past its /8 prefix: write \"10.0.0.0/8\" for the block or \"10.0.0.1\" for "
            "one address");
  EXPECT_EQ(IpNetwork::parse("10.0.0.0/33").error().text(),
            "\"10.0.0.0/33\" has a prefix length that is not a number from 0 to 32");
  EXPECT_EQ(IpNetwork::parse("proxy").error().text(),
            "\"proxy\" is not an IP address or a CIDR block like \"10.0.0.0/8\"");
}

// Loopback names: localhost, 127.0.0.0/8 and ::1, nothing that only looks close.
TEST(IsLoopbackHost, NamesThisMachineOnly) {
  for (const char* yes : {"localhost", "LOCALHOST", "127.0.0.1", "127.1.2.3", "127.255.255.255", "[::1]", "::1",
                          "[0:0:0:0:0:0:0:1]"})
    EXPECT_TRUE(is_loopback_host(yes)) << yes;
  for (const char* no : {"", "localhost.", "x.localhost", "localhost.example.com", "128.0.0.1", "126.255.255.255",
                         "0.0.0.0", "[::]", "::", "[::2]", "127.1", "[127.0.0.1]", "::ffff:127.0.0.1", "[::1",
                         "example.com", "10.0.0.1"})
    EXPECT_FALSE(is_loopback_host(no)) << no;
}

}  // namespace
}  // namespace cloakroom
