#include "jose/key_set.h"

#include <gtest/gtest.h>

#include "jose_test_support.h"

namespace cloakroom::jose {
namespace {

using testing::parse_json;

class KeySetTest : public ::testing::Test {
 protected:
  Jwk a = *Jwk::generate(Alg::ES256);
  Jwk b = *Jwk::generate(Alg::EdDSA);
  Jwk c = *Jwk::generate(Alg::HS256);
  std::vector<std::string> kids(const KeySet& s) {
    std::vector<std::string> out;
    for (const auto& k : s.keys()) out.push_back(k.kid());
    return out;
  }
};

// The stored form keeps each key's retirement time; reading it back gives the
// same keys, order and times; the published form never carries it.
TEST_F(KeySetTest, RetirementTimeIsStoredNotPublished) {
  KeySet set = KeySet({a, b, c}).retired(b.kid(), 1'800'000'000);
  auto back = KeySet::from_jwks(parse_json(set.to_jwks(true)));
  ASSERT_TRUE(back);
  EXPECT_EQ(kids(*back), kids(set));
  EXPECT_EQ(back->retired_at(b.kid()), 1'800'000'000);
  EXPECT_EQ(back->retired_at(a.kid()), 0);
  EXPECT_EQ(back->active()->kid(), a.kid());
  EXPECT_NE(set.to_jwks(true).find("\"retired_at\":1800000000"), std::string::npos);
  EXPECT_EQ(set.to_jwks(false).find("retired_at"), std::string::npos);
}

// "retired_at" must be a positive integer: anything else is an invalid key, not "not retired".
TEST_F(KeySetTest, RefusesAMalformedRetirementTime) {
  for (std::string bad : {"0", "-5", "1.5", "\"1800000000\"", "null"}) {
    std::string text = KeySet({a}).to_jwks(true);
    text.insert(text.rfind('}', text.size() - 3), ",\"retired_at\":" + bad);
    auto parsed = KeySet::from_jwks(parse_json(text));
    ASSERT_FALSE(parsed) << bad;
    EXPECT_EQ(parsed.error(), JoseError::key_invalid) << bad;
  }
}

// Keys retired at or before the cutoff go; later retirements, unretired keys
// and the active key's position stay.
TEST_F(KeySetTest, WithoutRetiredBeforeDropsOnlyKeysPastTheCutoff) {
  KeySet set = KeySet({a, b, c}).retired(b.kid(), 100).retired(c.kid(), 200);
  EXPECT_EQ(set.earliest_retirement(), 100);
  EXPECT_EQ(kids(set.without_retired_before(99)), kids(set));
  KeySet after_b = set.without_retired_before(100);
  EXPECT_EQ(kids(after_b), (std::vector<std::string>{a.kid(), c.kid()}));
  EXPECT_EQ(after_b.active()->kid(), a.kid());
  EXPECT_EQ(after_b.earliest_retirement(), 200);
  EXPECT_EQ(kids(set.without_retired_before(200)), std::vector<std::string>{a.kid()});
  EXPECT_EQ(set.without_retired_before(200).earliest_retirement(), 0);
}

// Publish, then activate: a key is added verify-only at the end and becomes
// the signer by moving to the front, unless jwt.signing_kid names another.
TEST_F(KeySetTest, WithKeyThenActivated) {
  KeySet published = KeySet({a}).with_key(b);
  EXPECT_EQ(published.active()->kid(), a.kid());
  EXPECT_EQ(kids(published), (std::vector<std::string>{a.kid(), b.kid()}));
  KeySet active = published.activated(b.kid(), "");
  EXPECT_EQ(active.active()->kid(), b.kid());
  EXPECT_EQ(kids(active), (std::vector<std::string>{b.kid(), a.kid()}));
  EXPECT_EQ(published.activated(b.kid(), a.kid()).active()->kid(), a.kid());
}

// Removing the active key leaves no active key rather than promoting another
// one silently (callers refuse that change).
TEST_F(KeySetTest, WithoutTheActiveKeyHasNoSigner) {
  KeySet set({a, b});
  EXPECT_EQ(set.without(a.kid()).active(), nullptr);
  EXPECT_EQ(set.without(b.kid()).active()->kid(), a.kid());
  EXPECT_EQ(KeySet({a, b}, "no-such-kid").active(), nullptr);
}

}  // namespace
}  // namespace cloakroom::jose
