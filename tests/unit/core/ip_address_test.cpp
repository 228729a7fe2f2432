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
