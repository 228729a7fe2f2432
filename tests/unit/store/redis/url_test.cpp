#include "store/redis/url.h"

#include <gtest/gtest.h>

namespace cloakroom::redis {
namespace {

// Every part is read; what is left out takes its default.
TEST(RedisUrl, ReadsEveryPartAndDefaultsTheRest) {
  auto full = parse_url("redis://app:s3cret@10.0.0.5:6380/2?prefix=cloak:");
  ASSERT_TRUE(full) << full.error().text();
  EXPECT_EQ(full->user, "app");
  EXPECT_EQ(full->password, "s3cret");
  EXPECT_EQ(full->host, "10.0.0.5");
  EXPECT_EQ(full->port, 6380);
  EXPECT_EQ(full->db, 2);
  EXPECT_EQ(full->prefix, "cloak:");

  auto bare = parse_url("redis://cache.internal");
  ASSERT_TRUE(bare) << bare.error().text();
  EXPECT_EQ(bare->user, "");
  EXPECT_EQ(bare->password, "");
  EXPECT_EQ(bare->port, 6379);
  EXPECT_EQ(bare->db, 0);
  EXPECT_EQ(bare->prefix, "cloakroom:");

  auto v6 = parse_url("redis://[::1]:7000/1");
  ASSERT_TRUE(v6) << v6.error().text();
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->port, 7000);
  EXPECT_EQ(v6->endpoint(), "redis://[::1]:7000/1?prefix=cloakroom:");
}

// A password may hold ':', '/' and '@' as they are (the credentials end at
// the last '@'); %XX is decoded, and a password alone means the default user.
TEST(RedisUrl, PasswordsKeepTheirCharacters) {
  auto raw = parse_url("redis://app:p:a/s@s@h:1/0");
  ASSERT_TRUE(raw) << raw.error().text();
  EXPECT_EQ(raw->user, "app");
  EXPECT_EQ(raw->password, "p:a/s@s");
  EXPECT_EQ(raw->host, "h");
  auto encoded = parse_url("redis://:100%25%40x@h:1/0");
  ASSERT_TRUE(encoded) << encoded.error().text();
  EXPECT_EQ(encoded->user, "");
  EXPECT_EQ(encoded->password, "100%@x");
}

// '?', '#', '@', '/' and %40 in a password: read whole, never displayed.
TEST(RedisUrl, PasswordsWithUrlCharactersNeverShow) {
  for (auto [url, password] : {std::pair{"redis://app:s3cr?et@h:1/0?prefix=p:", "s3cr?et"},
                               std::pair{"redis://app:s3cr#et@h:1/0?prefix=p:", "s3cr#et"},
                               std::pair{"redis://app:s3cr@et@h:1/0?prefix=p:", "s3cr@et"},
                               std::pair{"redis://app:s3cr/et@h:1/0?prefix=p:", "s3cr/et"},
                               std::pair{"redis://app:s3cr%40et@h:1/0?prefix=p:", "s3cr@et"},
                               std::pair{"redis://app:s?3/c#r@et@h:1/0?prefix=p:", "s?3/c#r@et"}}) {
    auto parsed = parse_url(url);
    ASSERT_TRUE(parsed) << url << ": " << parsed.error().text();
    EXPECT_EQ(parsed->password, password) << url;
    EXPECT_EQ(parsed->host, "h") << url;
    EXPECT_EQ(parsed->display(), "redis://app:***@h:1/0?prefix=p:") << url;
    EXPECT_EQ(parsed->endpoint(), "redis://h:1/0?prefix=p:") << url;
  }
}

// display() masks the password; endpoint() drops the credentials altogether.
TEST(RedisUrl, DisplayNeverShowsThePassword) {
  auto url = parse_url("redis://app:s3cret@h:1/3?prefix=p:");
  ASSERT_TRUE(url);
  EXPECT_EQ(url->display(), "redis://app:***@h:1/3?prefix=p:");
  EXPECT_EQ(url->endpoint(), "redis://h:1/3?prefix=p:");
  EXPECT_EQ(parse_url("redis://:s3cret@h:1/0")->display(), "redis://:***@h:1/0?prefix=cloakroom:");
  EXPECT_EQ(parse_url("redis://h:1/0")->display(), "redis://h:1/0?prefix=cloakroom:");
}

// Each refusal names what is wrong, in a phrase that quotes nothing of the URL.
TEST(RedisUrl, RefusalsNameThePartAndQuoteNothing) {
  struct Case {
    std::string_view url, says;
  };
  for (auto [url, says] : {
           Case{"http://s3cret@h", "must start with redis://"},
           Case{"redis://:s3cret@/0", "needs a host (redis://HOST:PORT/DB)"},
           Case{"redis://:s3cret@h:0/0", "has a port that is not 1 to 65535"},
           Case{"redis://:s3cret@h:65536/0", "has a port that is not 1 to 65535"},
           Case{"redis://:s3cret@h:/0", "has an empty port"},
           Case{"redis://:s3cret@h:6379/x", "has a database that is not a number (redis://HOST:PORT/DB, DB 0 and up)"},
           Case{"redis://:s3cret@h:6379/-1", "has a database that is not a number (redis://HOST:PORT/DB, DB 0 and up)"},
           Case{"redis://:s3cret@h/0?prefx=a:", "has an unknown option (only ?prefix=PREFIX is known)"},
           Case{"redis://:s3cret@h/0?prefix={u}:",
                "has a prefix that is not 1 to 64 of the characters A-Z a-z 0-9 : _ - ."},
           Case{"redis://:s3cret@h/0?prefix=", "has a prefix that is not 1 to 64 of the characters A-Z a-z 0-9 : _ - ."},
           Case{"redis://app:s3cret%4@h/0", "has a broken %-escape in its password (write a literal % as %25)"},
           Case{"redis://s3cret@h/0", "names a user without a password"},
           Case{"redis://:s3cret@[::1/0", "has an IPv6 host without its closing ]"},
       }) {
    auto r = parse_url(url);
    ASSERT_FALSE(r) << url;
    EXPECT_EQ(r.error().code, ErrorCode::config_invalid) << url;
    EXPECT_EQ(r.error().text(), says) << url;
  }
}

}  // namespace
}  // namespace cloakroom::redis
