#include "token/refresh_classifier.h"

#include <gtest/gtest.h>

#include <vector>

namespace cloakroom {
namespace {

using Outcome = RefreshVerdict::Outcome;

constexpr long long kNow = 1'800'000'000'000;  // ms
constexpr long long kGrace = 10'000;

// A family whose chain is known to the test: chain[g] is the secret of
// generation g, the row stores the hash of chain[generation].
struct Chain {
  std::string id = std::string(kFamilyIdChars, 'F');
  std::string key = std::string(kChainKeyBytes, 'k');
  std::vector<RefreshSecret> secrets;

  explicit Chain(long long generations) {
    RefreshSecret s{};
    s[0] = 7;
    secrets.push_back(s);
    for (long long g = 0; g < generations; ++g) secrets.push_back(next_refresh_secret(key, secrets.back()));
  }
  RefreshFamilyRecord family(long long rotated_ms = kNow - 60'000) const {
    RefreshFamilyRecord f;
    f.id = id;
    f.user_id = "u1";
    f.chain_key = key;
    f.generation = static_cast<long long>(secrets.size()) - 1;
    f.current_hash = refresh_secret_hash(secrets.back());
    f.created_ms = kNow - 3'600'000;
    f.rotated_ms = rotated_ms;
    f.expires_ms = kNow + 3'600'000;
    return f;
  }
  RefreshTokenView token(long long generation) const {
    return {id, generation, secrets[static_cast<std::size_t>(generation)]};
  }
};

RefreshSecret forged_secret() {
  RefreshSecret s{};
  s.fill(0x5a);
  return s;
}

// The current token rotates; the verdict carries the next secret, whose
// hash the rotation stores.
TEST(ClassifyRefresh, CurrentTokenRotates) {
  Chain c(3);
  auto v = classify_refresh(c.token(3), c.family(), kNow, kGrace);
  EXPECT_EQ(v.outcome, Outcome::current);
  EXPECT_EQ(v.reason, "");
  EXPECT_EQ(v.secret, next_refresh_secret(c.key, c.secrets[3]));
}

// Generation 0 (just after login) is current too.
TEST(ClassifyRefresh, FirstGenerationIsCurrent) {
  Chain c(0);
  EXPECT_EQ(classify_refresh(c.token(0), c.family(), kNow, kGrace).outcome, Outcome::current);
}

// The previous token within the grace window is a repeat, answered with the
// family's current secret (re-derived, not stored).
TEST(ClassifyRefresh, PreviousTokenInGraceIsRepeat) {
  Chain c(3);
  auto v = classify_refresh(c.token(2), c.family(kNow - 1), kNow, kGrace);
  EXPECT_EQ(v.outcome, Outcome::repeat);
  EXPECT_EQ(v.reason, "");
  EXPECT_EQ(v.secret, c.secrets[3]);
}

// The boundary: exactly grace_ms after the rotation is still a repeat, one
// millisecond later it is reuse.
TEST(ClassifyRefresh, GraceBoundaryIsInclusive) {
  Chain c(3);
  auto f = c.family(kNow - kGrace);
  EXPECT_EQ(classify_refresh(c.token(2), f, kNow, kGrace).outcome, Outcome::repeat);
  auto late = classify_refresh(c.token(2), f, kNow + 1, kGrace);
  EXPECT_EQ(late.outcome, Outcome::reuse);
  EXPECT_EQ(late.reason, "spent_token");
  // grace 0: a repeat only in the very millisecond of the rotation.
  EXPECT_EQ(classify_refresh(c.token(2), c.family(kNow), kNow, 0).outcome, Outcome::repeat);
  EXPECT_EQ(classify_refresh(c.token(2), c.family(kNow - 1), kNow, 0).outcome, Outcome::reuse);
}

// An older genuine token is reuse even inside the grace window: only the
// previous generation can be a repeat.
TEST(ClassifyRefresh, OlderAncestorIsReuseEvenInGrace) {
  Chain c(5);
  for (long long g : {0LL, 1LL, 3LL}) {
    auto v = classify_refresh(c.token(g), c.family(kNow), kNow, kGrace);
    EXPECT_EQ(v.outcome, Outcome::reuse) << g;
    EXPECT_EQ(v.reason, "spent_token") << g;
    EXPECT_EQ(v.secret, RefreshSecret{}) << g;  // nothing to hand out
  }
}

// A forged secret is invalid at every generation, never reuse: a guess must
// not end someone else's login.
TEST(ClassifyRefresh, ForgedSecretIsInvalidNeverReuse) {
  Chain c(5);
  const auto f = c.family(kNow);  // inside the grace window, where a repeat would be
  auto at = [&](long long g) { return RefreshTokenView{c.id, g, forged_secret()}; };
  auto current = classify_refresh(at(5), f, kNow, kGrace);
  EXPECT_EQ(current.outcome, Outcome::invalid);
  EXPECT_EQ(current.reason, "secret_mismatch");
  for (long long g : {0LL, 3LL, 4LL}) {
    auto older = classify_refresh(at(g), f, kNow, kGrace);
    EXPECT_EQ(older.outcome, Outcome::invalid) << g;
    EXPECT_EQ(older.reason, "not_an_ancestor") << g;
  }
  // A genuine secret under the wrong generation number does not walk onto the hash either.
  RefreshTokenView shifted{c.id, 2, c.secrets[3]};
  auto v = classify_refresh(shifted, f, kNow, kGrace);
  EXPECT_EQ(v.outcome, Outcome::invalid);
  EXPECT_EQ(v.reason, "not_an_ancestor");
}

// A generation the family has not reached is invalid, even with the secret
// that generation will have.
TEST(ClassifyRefresh, GenerationAboveCurrentIsInvalid) {
  Chain c(4);
  Chain ahead(5);
  auto f = c.family();
  auto v = classify_refresh(ahead.token(5), f, kNow, kGrace);
  EXPECT_EQ(v.outcome, Outcome::invalid);
  EXPECT_EQ(v.reason, "generation_ahead");
  RefreshTokenView far{c.id, 999'999'999'999'999, c.secrets[4]};
  EXPECT_EQ(classify_refresh(far, f, kNow, kGrace).reason, "generation_ahead");
}

// The walk goes back at most kMaxChainWalk rotations: a genuine token
// exactly that old is still recognised as reuse, one older is refused as
// invalid without the walk (so the family is not revoked).
TEST(ClassifyRefresh, ChainWalkIsBounded) {
  Chain c(kMaxChainWalk + 1);
  auto f = c.family();
  auto oldest_walked = classify_refresh(c.token(1), f, kNow, kGrace);
  EXPECT_EQ(oldest_walked.outcome, Outcome::reuse);
  EXPECT_EQ(oldest_walked.reason, "spent_token");
  auto too_old = classify_refresh(c.token(0), f, kNow, kGrace);
  EXPECT_EQ(too_old.outcome, Outcome::invalid);
  EXPECT_EQ(too_old.reason, "chain_too_long");
}

// An expired family refuses every token, its current one included, before
// any secret is looked at; expiry is at expires_ms itself.
TEST(ClassifyRefresh, ExpiredFamilyRefusesEverything) {
  Chain c(3);
  auto f = c.family(kNow);
  f.expires_ms = kNow;
  for (long long g : {3LL, 2LL, 0LL}) {
    auto v = classify_refresh(c.token(g), f, kNow, kGrace);
    EXPECT_EQ(v.outcome, Outcome::expired) << g;
    EXPECT_EQ(v.reason, "family_expired") << g;
  }
  EXPECT_EQ(classify_refresh(RefreshTokenView{c.id, 3, forged_secret()}, f, kNow, kGrace).outcome,
            Outcome::expired);
  EXPECT_EQ(classify_refresh(c.token(3), f, kNow - 1, kGrace).outcome, Outcome::current);
}

}  // namespace
}  // namespace cloakroom
