#include "config/public_url.h"

#include <gtest/gtest.h>

namespace cloakroom {
namespace {

// HOST:PORT in the spellings listen takes and the server reports.
TEST(SplitListen, HostPortAndWildcards) {
  auto v4 = split_listen("127.0.0.1:8080");
  EXPECT_EQ(v4.host, "127.0.0.1");
  EXPECT_EQ(v4.port, 8080);
  EXPECT_FALSE(v4.wildcard);
  auto v6 = split_listen("[::1]:0");
  EXPECT_EQ(v6.host, "::1");
  EXPECT_EQ(v6.port, 0);
  EXPECT_TRUE(split_listen("0.0.0.0:1").wildcard);
  EXPECT_TRUE(split_listen("[::]:1").wildcard);
  EXPECT_TRUE(split_listen(":::1").wildcard);
  EXPECT_TRUE(split_listen("[0:0:0:0:0:0:0:0]:1").wildcard);
  EXPECT_EQ(split_listen("LocalHost:1").host, "localhost");
  for (const char* bad : {"", "8080", ":8080", "host:", "host:x", "host:65536", "host:-1"})
    EXPECT_EQ(split_listen(bad).port, -1) << bad;
}

// The port bound for listen port 0 goes into the URL; a fixed port is kept.
TEST(DerivePublicUrl, BoundPortReplacesZeroOnly) {
  EXPECT_EQ(derive_public_url("127.0.0.1:0", 41234), "http://127.0.0.1:41234");
  EXPECT_EQ(derive_public_url("0.0.0.0:0", 41234), "http://127.0.0.1:41234");
  EXPECT_EQ(derive_public_url("[::1]:0", 41234), "http://[::1]:41234");
  EXPECT_EQ(derive_public_url("127.0.0.1:0"), "http://127.0.0.1:0");  // not bound yet: matches no Origin
  EXPECT_EQ(derive_public_url("127.0.0.1:9000", 41234), "http://127.0.0.1:9000");
  EXPECT_EQ(derive_public_url("127.0.0.1:80"), "http://127.0.0.1");  // as a browser serialises Origin
}

}  // namespace
}  // namespace cloakroom
