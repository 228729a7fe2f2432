#include "api/login_challenge.h"

#include <gtest/gtest.h>

namespace cloakroom::api {
namespace {

// What the first step writes, the second step reads back unchanged.
TEST(LoginChallenge, RoundTrips) {
  const LoginChallenge c{"u1", true, false, true, client_binding("192.0.2.7", "curl/8"),
                         password_fingerprint("$argon2id$v=19$m=65536,t=2,p=1$c2FsdA$aGFzaA")};
  auto back = decode_login_challenge(encode(c));
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, c);
}

// A payload that is not exactly ours is refused (fail closed), never half-read.
TEST(LoginChallenge, RefusesForeignPayloads) {
  EXPECT_FALSE(decode_login_challenge(""));
  EXPECT_FALSE(decode_login_challenge("[]"));
  EXPECT_FALSE(decode_login_challenge(R"({"user_id":"u1"})"));
  EXPECT_FALSE(decode_login_challenge(
      R"({"user_id":"","token_mode":false,"cookie_transport":true,"remember":false,"client":"x"})"));
  EXPECT_FALSE(decode_login_challenge(
      R"({"user_id":"u1","token_mode":"no","cookie_transport":true,"remember":false,"client":"x","password":"f"})"));
  // Written before challenges named the password: nothing to check it against, so refused.
  EXPECT_FALSE(decode_login_challenge(
      R"({"user_id":"u1","token_mode":false,"cookie_transport":true,"remember":false,"client":"x"})"));
  EXPECT_FALSE(decode_login_challenge(
      R"({"user_id":"u1","token_mode":false,"cookie_transport":true,"remember":false,"client":"x","password":""})"));
}

// Each PHC string (a fresh salt each time a password is set) has its own fingerprint, a
// digest: the hash itself never goes into the challenge store.
TEST(LoginChallenge, PasswordFingerprintNamesTheHashWithoutHoldingIt) {
  const std::string phc = "$argon2id$v=19$m=65536,t=2,p=1$c2FsdA$aGFzaA";
  const std::string f = password_fingerprint(phc);
  EXPECT_EQ(f, password_fingerprint(phc));
  EXPECT_NE(f, password_fingerprint("$argon2id$v=19$m=65536,t=2,p=1$c2FsdDI$aGFzaA"));
  EXPECT_EQ(f.size(), 64u);
  EXPECT_EQ(f.find("c2FsdA"), std::string::npos);
}

// Another network or another User-Agent is another client; the agent is kept hashed.
TEST(LoginChallenge, BindingNamesNetworkAndAgent) {
  const std::string a = client_binding("192.0.2.7", "Firefox");
  EXPECT_EQ(a, client_binding("192.0.2.7", "Firefox"));
  EXPECT_NE(a, client_binding("192.0.2.8", "Firefox"));
  EXPECT_NE(a, client_binding("192.0.2.7", "Chrome"));
  EXPECT_EQ(a.find("Firefox"), std::string::npos);
  EXPECT_EQ(a.rfind("192.0.2.7 ", 0), 0u);
}

// The store gets 32 raw bytes, never the id the client holds.
TEST(LoginChallenge, HashIsSha256) {
  EXPECT_EQ(challenge_hash("abc", "192.0.2.7 ff").size(), 32u);
  EXPECT_NE(challenge_hash("abc", "192.0.2.7 ff"), challenge_hash("abd", "192.0.2.7 ff"));
  // Another client looks under another key: it finds nothing to spend.
  EXPECT_NE(challenge_hash("abc", "192.0.2.7 ff"), challenge_hash("abc", "192.0.2.8 ff"));
}

}  // namespace
}  // namespace cloakroom::api
