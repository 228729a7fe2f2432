#include "http/client_address.h"

#include <gtest/gtest.h>

namespace cloakroom::http {
namespace {

// Without trusted proxies the peer is the client, whatever the header says.
TEST(TrustedProxies, NoneConfiguredMeansPeer) {
  TrustedProxies none({});
  EXPECT_EQ(none.client_address("10.0.0.5", "1.2.3.4"), "10.0.0.5");
}

// A trusted peer's X-Forwarded-For is read from the right, skipping trusted hops.
TEST(TrustedProxies, WalksFromTheRight) {
  TrustedProxies p({"127.0.0.1", "10.0.0.2"});
  EXPECT_EQ(p.client_address("127.0.0.1", "203.0.113.9"), "203.0.113.9");
  EXPECT_EQ(p.client_address("127.0.0.1", "198.51.100.1, 203.0.113.9, 10.0.0.2"), "203.0.113.9");
  // The client's own (spoofed) entries left of the first untrusted hop are ignored.
  EXPECT_EQ(p.client_address("127.0.0.1", "6.6.6.6, 203.0.113.9"), "203.0.113.9");
  // An untrusted peer's header is never believed.
  EXPECT_EQ(p.client_address("192.0.2.7", "203.0.113.9"), "192.0.2.7");
}

// Garbage stops the walk at the last address we could trust; IPv6 is canonicalised.
TEST(TrustedProxies, GarbageAndIpv6) {
  TrustedProxies p({"::1"});
  EXPECT_EQ(p.client_address("::1", "not-an-ip"), "::1");
  EXPECT_EQ(p.client_address("0:0:0:0:0:0:0:1", "2001:DB8::1"), "2001:db8::1");
  EXPECT_EQ(p.client_address("::1", ""), "::1");
  EXPECT_EQ(canonical_ip("300.1.1.1"), "");
  EXPECT_EQ(canonical_ip("1.2.3.4:80"), "");
}

// A CIDR block trusts every proxy in it (a fleet, a container network), and
// only those: a peer outside the block is still the client.
TEST(TrustedProxies, CidrBlocksTrustEveryProxyInThem) {
  TrustedProxies p({"172.16.0.0/12", "fd00::/8"});
  EXPECT_EQ(p.client_address("172.18.0.3", "203.0.113.9"), "203.0.113.9");
  EXPECT_EQ(p.client_address("fd00::5", "2001:db8::7"), "2001:db8::7");
  // Hops inside the block are skipped like single trusted addresses.
  EXPECT_EQ(p.client_address("172.18.0.3", "198.51.100.1, 203.0.113.9, 172.31.0.1"), "203.0.113.9");
  // Outside the block: the peer, whatever it claims.
  EXPECT_EQ(p.client_address("172.32.0.1", "203.0.113.9"), "172.32.0.1");
  EXPECT_EQ(p.client_address("fe80::1", "203.0.113.9"), "fe80::1");
}

// Blocks wider than /8 (IPv4) or /32 (IPv6) are named for the startup warning;
// the private ranges and single addresses are not.
TEST(WideTrustedBlocks, NamesBlocksWiderThanAProxyNetwork) {
  EXPECT_EQ(wide_trusted_blocks({"127.0.0.1", "10.0.0.0/8", "172.16.0.0/12", "fd12:3456:789a::/48", "2001:db8::/32"}),
            std::vector<std::string>{});
  EXPECT_EQ(wide_trusted_blocks({"0.0.0.0/1", "10.0.0.0/8", "fd00::/8", "::1"}),
            (std::vector<std::string>{"0.0.0.0/1", "fd00::/8"}));
}

}  // namespace
}  // namespace cloakroom::http
