#include "token/access_tokens.h"

#include <gtest/gtest.h>

#include "support/fake_clock.h"

namespace cloakroom {
namespace {

class AccessTokensTest : public ::testing::Test {
 protected:
  static Config test_config() {
    Config c;
    c.jwt.issuer = "https://auth.example.com";  // before AccessTokens reads it
    return c;
  }
  Config config = test_config();
  testing::FakeClock clock;
  OsRandom rng;
  RevocationList revocations;
  AccessTokens tokens{config, jose::KeySet({*jose::Jwk::generate(jose::Alg::ES256)}), clock, rng, revocations};
};

// mint_access carries the family as sid and the user's current epoch.
TEST_F(AccessTokensTest, MintAccessCarriesSidAndEpoch) {
  revocations.raise_epoch("u1", 4);
  auto jwt = tokens.mint_access("u1", "alice", {"admin"}, "fam1");
  ASSERT_TRUE(jwt);
  auto v = tokens.verify(*jwt);
  ASSERT_TRUE(v);
  EXPECT_EQ((*v)->claims.session_id, "fam1");
  EXPECT_EQ((*v)->claims.epoch, 4);
  EXPECT_EQ((*v)->claims.expires_at - (*v)->claims.issued_at, 900);
  EXPECT_EQ((*v)->principal.roles_header, "admin");
}

// The verified-token cache never serves a revoked token: a token verified
// (and cached) before its jti, family or epoch was revoked fails right after.
TEST_F(AccessTokensTest, CachedTokensFailOnceRevoked) {
  auto by_jti = *tokens.mint_access("u1", "alice", {}, "f1");
  auto by_family = *tokens.mint_access("u1", "alice", {}, "f2");
  auto by_epoch = *tokens.mint_access("u2", "bob", {}, "f3");
  for (const auto& t : {by_jti, by_family, by_epoch}) ASSERT_TRUE(tokens.verify(t));
  for (const auto& t : {by_jti, by_family, by_epoch}) ASSERT_TRUE(tokens.verify(t));  // cache hits

  revocations.add({Revocation::Kind::token, (*tokens.verify(by_jti))->claims.jwt_id, 1});
  EXPECT_EQ(tokens.verify(by_jti).error(), jose::JoseError::revoked);
  EXPECT_TRUE(tokens.verify(by_family));
  revocations.add({Revocation::Kind::family, "f2", 1});
  EXPECT_EQ(tokens.verify(by_family).error(), jose::JoseError::revoked);
  EXPECT_TRUE(tokens.verify(by_epoch));
  revocations.raise_epoch("u2", 1);
  EXPECT_EQ(tokens.verify(by_epoch).error(), jose::JoseError::revoked);
  // A token minted after the epoch rise carries the new epoch and passes.
  EXPECT_TRUE(tokens.verify(*tokens.mint_access("u2", "bob", {}, "f4")));
  // Revocation is checked on a fresh verification too (not only on cache hits).
  auto fresh = *tokens.mint_access("u3", "carol", {}, "f5");
  revocations.add({Revocation::Kind::family, "f5", 1});
  EXPECT_EQ(tokens.verify(fresh).error(), jose::JoseError::revoked);
}

// A token without sid or epoch (minted elsewhere with our key) is judged by jti and epoch 0.
TEST_F(AccessTokensTest, TokensWithoutSidOrEpoch) {
  auto plain = *tokens.mint("u1", "alice", {}, std::chrono::seconds(600));
  ASSERT_TRUE(tokens.verify(plain));
  revocations.raise_epoch("u1", 1);
  EXPECT_EQ(tokens.verify(plain).error(), jose::JoseError::revoked);
}

}  // namespace
}  // namespace cloakroom
