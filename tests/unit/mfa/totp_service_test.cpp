#include "mfa/totp_service.h"

#include <gtest/gtest.h>

#include <algorithm>


#include "mfa/base32.h"
#include "mfa/totp.h"
#include "store/memory/user_store.h"
#include "support/fake_clock.h"

namespace cloakroom {
namespace {

KeyEncryptionKey test_key(unsigned char fill) {
  std::array<unsigned char, KeyEncryptionKey::kBytes> k{};
  k.fill(fill);
  return KeyEncryptionKey(k);
}

class TotpServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(users.create(alice));
    ASSERT_TRUE(users.create(bob));
  }
  long long now() const { return unix_seconds(clock.now()); }
  // The app's code for `secret` (base32, as shown) at now + offset seconds.
  std::string code(const std::string& secret, long long offset = 0) const {
    const std::string raw = *base32_decode(secret);
    return totp_code({reinterpret_cast<const unsigned char*>(raw.data()), raw.size()}, totp_step(now() + offset));
  }
  // Enrolled and confirmed; the base32 secret.
  std::string enrolled(const User& u) {
    auto e = service.begin_enroll(u);
    EXPECT_TRUE(e);
    auto c = service.confirm(u.id, code(e->secret));
    EXPECT_EQ(c->verdict, TotpVerdict::accepted);
    recovery = c->recovery_codes;
    clock.advance(std::chrono::seconds(30));  // the confirming code's step is used up
    return e->secret;
  }

  User alice{"id-alice", "alice", "h", {}, false, 1};
  User bob{"id-bob", "bob", "h", {}, false, 1};
  memory::UserStore users;
  testing::FakeClock clock;
  OsRandom random;  // FakeRandom's bytes repeat mod 32: recovery codes would collide
  TotpService service{users, test_key(7), clock, random, "cloakroom test"};
  std::vector<std::string> recovery;
};

// Enrolment gives the secret three ways (base32, URI, QR) and stores it only sealed.
TEST_F(TotpServiceTest, BeginEnrollShowsSecretAndSealsIt) {
  auto e = service.begin_enroll(alice);
  ASSERT_TRUE(e) << e.error().text();
  EXPECT_EQ(e->secret.size(), 32u);
  EXPECT_EQ(e->otpauth_uri, "otpauth://totp/cloakroom%20test:alice?secret=" + e->secret +
                                "&issuer=cloakroom%20test&algorithm=SHA1&digits=6&period=30");
  EXPECT_TRUE(e->qr_svg.starts_with("<svg"));
  auto state = users.totp(alice.id);
  EXPECT_EQ(state->pending_created, now());
  EXPECT_EQ(state->pending.find(*base32_decode(e->secret)), std::string::npos);  // not in the clear
  EXPECT_EQ(state->secret, "");
  EXPECT_FALSE(service.status(alice.id)->enabled);
}

// The first right code turns it on with ten recovery codes; a wrong one does not.
TEST_F(TotpServiceTest, ConfirmTurnsItOn) {
  auto e = service.begin_enroll(alice);
  ASSERT_TRUE(e);
  const std::string right = code(e->secret);
  const std::string wrong = right == "000000" ? "000001" : "000000";
  EXPECT_EQ(service.confirm(alice.id, wrong)->verdict, TotpVerdict::wrong);
  EXPECT_FALSE(service.status(alice.id)->enabled);
  auto c = service.confirm(alice.id, right);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->verdict, TotpVerdict::accepted);
  EXPECT_EQ(c->recovery_codes.size(), 10u);
  EXPECT_EQ(service.status(alice.id)->enabled, true);
  EXPECT_EQ(service.status(alice.id)->recovery_codes_left, 10);
  // The confirming code is used up: the same code right after is a replay.
  EXPECT_EQ(*service.verify(alice.id, right), TotpVerdict::replayed);
  // And it cannot be confirmed twice.
  EXPECT_EQ(service.confirm(alice.id, right)->verdict, TotpVerdict::not_enrolled);
}

// An enrolment left pending longer than kTotpEnrollSeconds cannot be confirmed.
TEST_F(TotpServiceTest, PendingEnrolmentExpires) {
  auto e = service.begin_enroll(alice);
  ASSERT_TRUE(e);
  clock.advance(std::chrono::seconds(kTotpEnrollSeconds + 1));
  EXPECT_EQ(service.confirm(alice.id, code(e->secret))->verdict, TotpVerdict::not_enrolled);
  EXPECT_EQ(service.confirm(bob.id, "123456")->verdict, TotpVerdict::not_enrolled);  // never began
}

// A code is accepted once, within ±1 step; earlier steps are replays once a later one was used.
TEST_F(TotpServiceTest, VerifyAcceptsOnceAndRefusesReplays) {
  const std::string secret = enrolled(alice);
  EXPECT_EQ(*service.verify(alice.id, code(secret)), TotpVerdict::accepted);
  EXPECT_EQ(*service.verify(alice.id, code(secret)), TotpVerdict::replayed);
  EXPECT_EQ(*service.verify(alice.id, code(secret, -30)), TotpVerdict::replayed);  // before the last accepted
  EXPECT_EQ(*service.verify(alice.id, code(secret, 30)), TotpVerdict::accepted);   // the next step, early
  EXPECT_EQ(*service.verify(alice.id, code(secret, 90)), TotpVerdict::wrong);      // beyond ±1
  EXPECT_EQ(*service.verify(alice.id, "12345"), TotpVerdict::wrong);
  EXPECT_EQ(*service.verify(bob.id, code(secret)), TotpVerdict::not_enrolled);
}

// A code from another user's secret is wrong for this one.
TEST_F(TotpServiceTest, CodesArePerUser) {
  const std::string a = enrolled(alice);
  const std::string b = enrolled(bob);
  ASSERT_NE(code(a), code(b));
  EXPECT_EQ(*service.verify(alice.id, code(b)), TotpVerdict::wrong);
}

// A sealed secret copied into another user's row does not open there: an error, never a match.
TEST_F(TotpServiceTest, SealedSecretIsBoundToItsUser) {
  enrolled(alice);
  enrolled(bob);
  const std::string alices = users.totp(alice.id)->secret;
  ASSERT_TRUE(users.clear_totp(bob.id));  // a confirmed secret refuses a new enrolment
  ASSERT_TRUE(users.begin_totp(bob.id, alices, now()));
  ASSERT_TRUE(*users.confirm_totp(bob.id, alices, 0, {}));
  auto v = service.verify(bob.id, "123456");
  ASSERT_FALSE(v);
  EXPECT_EQ(v.error().code, ErrorCode::decryption_failed);
}

// Secrets sealed under another key are an error (fail closed), not "wrong".
TEST_F(TotpServiceTest, OtherKeyFailsClosed) {
  const std::string secret = enrolled(alice);
  TotpService other(users, test_key(8), clock, random, "x");
  EXPECT_EQ(other.verify(alice.id, code(secret)).error().code, ErrorCode::decryption_failed);
}

// A service whose key set holds the earlier key (totp.key beside a later
// KEK) still verifies what was sealed under it, and seals new secrets under
// the new key only.
TEST_F(TotpServiceTest, EarlierKeyStillOpens) {
  const std::string secret = enrolled(alice);
  KeyRing keys(test_key(8));
  keys.add_opener(test_key(7));
  TotpService rekeyed(users, std::move(keys), clock, random, "cloakroom test");
  EXPECT_EQ(*rekeyed.verify(alice.id, code(secret)), TotpVerdict::accepted);
  ASSERT_TRUE(rekeyed.begin_enroll(bob));
  EXPECT_TRUE(test_key(8).open(users.totp(bob.id)->pending, "cloakroom:totp:v1:" + bob.id));
  EXPECT_FALSE(test_key(7).open(users.totp(bob.id)->pending, "cloakroom:totp:v1:" + bob.id));
}

// rewrap() reseals every secret (pending and confirmed) sealed under an
// earlier key, page by page, leaves the rest and last_step alone, and a
// second run has nothing to do; codes keep working under the new key alone.
TEST_F(TotpServiceTest, RewrapResealsUnderTheCurrentKey) {
  const std::string secret = enrolled(alice);  // under key 7
  const User carol{"id-carol", "carol", "h", {}, false, 1};
  ASSERT_TRUE(users.create(carol));
  ASSERT_TRUE(service.begin_enroll(carol));  // pending, under key 7
  KeyRing keys(test_key(8));
  keys.add_opener(test_key(7));
  TotpService rotated(users, std::move(keys), clock, random, "cloakroom test");
  const std::string bob_secret = rotated.begin_enroll(bob)->secret;  // under key 8 already
  ASSERT_EQ(rotated.confirm(bob.id, code(bob_secret))->verdict, TotpVerdict::accepted);
  const long long alice_step = users.totp(alice.id)->last_step;

  auto w = rotated.rewrap(1);  // a page per user: the paging is exercised
  ASSERT_TRUE(w) << w.error().text();
  EXPECT_EQ(w->resealed, 2u);  // alice's secret, carol's pending one; bob's was current
  EXPECT_EQ(w->left, 0u);
  EXPECT_TRUE(w->unopened.empty());
  EXPECT_EQ(users.totp(alice.id)->last_step, alice_step);
  EXPECT_EQ(users.totp(alice.id)->recovery_codes_left, 10);
  EXPECT_TRUE(test_key(8).open(users.totp(carol.id)->pending, "cloakroom:totp:v1:" + carol.id));

  TotpService new_key_only(users, test_key(8), clock, random, "cloakroom test");
  EXPECT_EQ(*new_key_only.verify(alice.id, code(secret)), TotpVerdict::accepted);
  auto again = new_key_only.rewrap(500);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->resealed, 0u);
  EXPECT_EQ(again->left, 0u);
}

// A secret that opens under no key of the ring is named by its user id,
// left as it is and counted as left; the others are resealed all the same.
TEST_F(TotpServiceTest, RewrapNamesWhatOpensUnderNoKey) {
  enrolled(alice);  // under key 7
  TotpService stranger(users, test_key(9), clock, random, "cloakroom test");
  ASSERT_TRUE(stranger.begin_enroll(bob));  // under key 9, which the ring below lacks
  KeyRing keys(test_key(8));
  keys.add_opener(test_key(7));
  TotpService rotated(users, std::move(keys), clock, random, "cloakroom test");
  const std::string bob_pending = users.totp(bob.id)->pending;
  auto w = rotated.rewrap(500);
  ASSERT_TRUE(w);
  EXPECT_EQ(w->resealed, 1u);
  EXPECT_EQ(w->left, 1u);
  EXPECT_EQ(w->unopened, std::vector<std::string>{bob.id});
  EXPECT_EQ(users.totp(bob.id)->pending, bob_pending);
}

// The store keeps a reseal only while the secret is still the one read: a
// user who enrolled again meanwhile keeps the new secret.
TEST_F(TotpServiceTest, ResealLosesToAConcurrentChange) {
  enrolled(alice);
  const std::string read = users.totp(alice.id)->secret;
  ASSERT_TRUE(users.clear_totp(alice.id));
  ASSERT_TRUE(service.begin_enroll(alice));
  auto changed = users.reseal_totp({TotpReseal{alice.id, false, read, "resealed"},
                                    TotpReseal{alice.id, true, read, "resealed"}});
  ASSERT_TRUE(changed);
  EXPECT_EQ(*changed, 0u);
  EXPECT_TRUE(users.totp(alice.id)->secret.empty());
  EXPECT_NE(users.totp(alice.id)->pending, "resealed");
}

// Each recovery code works once, in any typing; they end with disable().
TEST_F(TotpServiceTest, RecoveryCodesWorkOnce) {
  enrolled(alice);
  ASSERT_EQ(recovery.size(), 10u);
  std::string shouted = recovery[0];
  for (char& c : shouted) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  EXPECT_EQ(*service.use_recovery_code(alice.id, shouted), TotpVerdict::accepted);
  EXPECT_EQ(*service.use_recovery_code(alice.id, recovery[0]), TotpVerdict::wrong);
  EXPECT_EQ(*service.use_recovery_code(alice.id, "not a code"), TotpVerdict::wrong);
  EXPECT_EQ(*service.use_recovery_code(bob.id, recovery[1]), TotpVerdict::not_enrolled);
  EXPECT_EQ(service.status(alice.id)->recovery_codes_left, 9);
  ASSERT_TRUE(service.disable(alice.id));
  EXPECT_EQ(*service.use_recovery_code(alice.id, recovery[1]), TotpVerdict::not_enrolled);
  EXPECT_FALSE(service.status(alice.id)->enabled);
}

// Renewed recovery codes: ten new ones that work once each (in any case,
// like the first), every earlier one void; the app's codes keep working;
// not_enrolled (nothing changed) while TOTP is off.
TEST_F(TotpServiceTest, RenewedRecoveryCodesReplaceTheOldOnes) {
  EXPECT_EQ(service.renew_recovery_codes(alice.id)->verdict, TotpVerdict::not_enrolled);
  const std::string secret = enrolled(alice);
  const std::vector<std::string> old = recovery;
  ASSERT_EQ(*service.use_recovery_code(alice.id, old[0]), TotpVerdict::accepted);
  auto renewed = service.renew_recovery_codes(alice.id);
  ASSERT_TRUE(renewed);
  EXPECT_EQ(renewed->verdict, TotpVerdict::accepted);
  ASSERT_EQ(renewed->recovery_codes.size(), 10u);
  for (const auto& c : renewed->recovery_codes)
    EXPECT_EQ(std::find(old.begin(), old.end(), c), old.end()) << c;
  EXPECT_EQ(service.status(alice.id)->recovery_codes_left, 10);
  for (const auto& c : old) EXPECT_EQ(*service.use_recovery_code(alice.id, c), TotpVerdict::wrong) << c;
  EXPECT_EQ(*service.use_recovery_code(alice.id, renewed->recovery_codes[3]), TotpVerdict::accepted);
  EXPECT_EQ(*service.use_recovery_code(alice.id, renewed->recovery_codes[3]), TotpVerdict::wrong);
  EXPECT_EQ(*service.verify(alice.id, code(secret)), TotpVerdict::accepted);
  EXPECT_EQ(service.renew_recovery_codes(bob.id)->verdict, TotpVerdict::not_enrolled);
  EXPECT_EQ(service.status(bob.id)->recovery_codes_left, 0);
}

// Re-enrolling needs TOTP off first; after disable() it starts over.
TEST_F(TotpServiceTest, EnrollWhileOnIsRefused) {
  const std::string old = enrolled(alice);
  EXPECT_EQ(service.begin_enroll(alice).error().code, ErrorCode::conflict);
  ASSERT_TRUE(service.disable(alice.id));
  EXPECT_EQ(*service.verify(alice.id, code(old)), TotpVerdict::not_enrolled);
  const std::string fresh = enrolled(alice);
  EXPECT_NE(fresh, old);
  EXPECT_EQ(*service.verify(alice.id, code(fresh)), TotpVerdict::accepted);
}

// A second begin_enroll replaces the pending secret: the first one's code no longer confirms.
TEST_F(TotpServiceTest, NewerPendingEnrolmentWins) {
  auto first = service.begin_enroll(alice);
  auto second = service.begin_enroll(alice);
  ASSERT_TRUE(first && second);
  ASSERT_NE(code(first->secret), code(second->secret));
  EXPECT_EQ(service.confirm(alice.id, code(first->secret))->verdict, TotpVerdict::wrong);
  EXPECT_EQ(service.confirm(alice.id, code(second->secret))->verdict, TotpVerdict::accepted);
}

// Store failures come back as errors.
TEST_F(TotpServiceTest, UnknownUserCannotEnroll) {
  User ghost{"id-ghost", "ghost", "h", {}, false, 1};
  EXPECT_EQ(service.begin_enroll(ghost).error().code, ErrorCode::not_found);
}

}  // namespace
}  // namespace cloakroom
