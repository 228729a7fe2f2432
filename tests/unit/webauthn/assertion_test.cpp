#include "webauthn/assertion.h"

#include <gtest/gtest.h>

#include "support/webauthn_test_support.h"
#include "webauthn/authenticator_data.h"

namespace cloakroom::webauthn {
namespace {

using namespace testing;  // NOLINT: the builders

RelyingParty rp() { return *RelyingParty::from_public_url("https://auth.example.com", "cloakroom"); }
const std::string kChallenge(32, '\x33');
const std::string kHandle(32, '\x77');

// A sign-in as a browser and authenticator `a` would send it, and the stored record it checks against.
struct Signed {
  std::string client_data_json, authenticator_data, signature;
  std::string cose;
};

Signed sign_in(const TestAuthenticator& a, std::uint8_t flags = UP | UV, std::uint32_t count = 0,
               std::string type = "webauthn.get", std::string origin = "https://auth.example.com",
               std::string rp_id = "auth.example.com") {
  Signed s;
  s.client_data_json = client_data(type, kChallenge, origin);
  s.authenticator_data = auth_data(sha256(rp_id), flags, count);
  s.signature = a.sign(s.authenticator_data + hash_bytes(sha256(s.client_data_json)));
  s.cose = a.cose();
  return s;
}

Result<AssertionResult, WebauthnError> verify(const Signed& s, std::uint32_t stored_count = 0,
                                              std::string_view user_handle = kHandle,
                                              std::string_view challenge = kChallenge) {
  return verify_assertion({.credential_id = "cred-1", .client_data_json = s.client_data_json,
                           .authenticator_data = s.authenticator_data, .signature = s.signature,
                           .user_handle = user_handle, .expected_challenge = challenge},
                          rp(), {.credential_id = "cred-1", .user_handle = kHandle, .public_key = s.cose,
                                 .sign_count = stored_count});
}

class AssertionTest : public ::testing::TestWithParam<CoseAlg> {};
INSTANTIATE_TEST_SUITE_P(Algs, AssertionTest, ::testing::Values(CoseAlg::ES256, CoseAlg::EdDSA, CoseAlg::RS256),
                         [](const auto& p) { return std::string(cose_alg_name(p.param)); });

// A valid assertion passes and reports UV and the new counter.
TEST_P(AssertionTest, Accepts) {
  TestAuthenticator a(GetParam());
  auto r = verify(sign_in(a, UP | UV | BE | BS, 7), 6);
  ASSERT_TRUE(r) << reason_name(r.error());
  EXPECT_EQ(r->sign_count, 7u);
  EXPECT_TRUE(r->user_verified);
  EXPECT_TRUE(r->backup_eligible);
  EXPECT_TRUE(r->backed_up);
}

// Flipping any bit of the signature, or of the signed authenticator data, is refused.
TEST_P(AssertionTest, EveryFlippedSignatureBitIsRefused) {
  TestAuthenticator a(GetParam());
  const Signed good = sign_in(a);
  for (std::size_t i = 0; i < good.signature.size() * 8; ++i) {
    Signed bad = good;
    bad.signature[i / 8] = static_cast<char>(bad.signature[i / 8] ^ (1 << (i % 8)));
    auto r = verify(bad);
    ASSERT_FALSE(r) << i;
    // A flipped DER length or tag is malformed; anything else fails to verify.
    EXPECT_TRUE(r.error() == WebauthnError::signature_invalid || r.error() == WebauthnError::signature_malformed)
        << i << " " << reason_name(r.error());
  }
  Signed bad = good;
  bad.authenticator_data[36] = '\x01';  // the counter, after signing
  EXPECT_EQ(verify(bad).error(), WebauthnError::signature_invalid);
}

// Another key's signature does not verify with the stored key.
TEST_P(AssertionTest, BadSignature) {
  TestAuthenticator a(GetParam()), other(GetParam());
  Signed s = sign_in(a);
  s.signature = other.sign(s.authenticator_data + hash_bytes(sha256(s.client_data_json)));
  EXPECT_EQ(verify(s).error(), WebauthnError::signature_invalid);
}

// A counter that did not go up is refused (sign_count_regressed), after the signature checked out.
TEST_P(AssertionTest, SignCountRegression) {
  TestAuthenticator a(GetParam());
  EXPECT_EQ(verify(sign_in(a, UP, 5), 5).error(), WebauthnError::sign_count_regressed);
  EXPECT_EQ(verify(sign_in(a, UP, 4), 5).error(), WebauthnError::sign_count_regressed);
  // A counter that falls back to 0 is a regression too (WebAuthn §7.2 step 21).
  EXPECT_EQ(verify(sign_in(a, UP, 0), 5).error(), WebauthnError::sign_count_regressed);
  // Authenticators that never count (0 and 0) are fine, and so is a first count.
  EXPECT_TRUE(verify(sign_in(a, UP, 0), 0));
  EXPECT_TRUE(verify(sign_in(a, UP, 1), 0));
}

TEST(Assertion, WrongChallenge) {
  TestAuthenticator a(CoseAlg::ES256);
  EXPECT_EQ(verify(sign_in(a), 0, kHandle, std::string(32, '\x34')).error(), WebauthnError::challenge_mismatch);
}

TEST(Assertion, WrongOrigin) {
  TestAuthenticator a(CoseAlg::ES256);
  EXPECT_EQ(verify(sign_in(a, UP, 0, "webauthn.get", "https://auth.example.com.evil.net")).error(),
            WebauthnError::origin_mismatch);
}

TEST(Assertion, WrongRpId) {
  TestAuthenticator a(CoseAlg::ES256);
  EXPECT_EQ(verify(sign_in(a, UP, 0, "webauthn.get", "https://auth.example.com", "evil.net")).error(),
            WebauthnError::rp_id_mismatch);
}

TEST(Assertion, WrongType) {
  TestAuthenticator a(CoseAlg::ES256);
  EXPECT_EQ(verify(sign_in(a, UP, 0, "webauthn.create")).error(), WebauthnError::type_mismatch);
}

TEST(Assertion, MissingUserPresence) {
  TestAuthenticator a(CoseAlg::ES256);
  EXPECT_EQ(verify(sign_in(a, UV)).error(), WebauthnError::user_not_present);
}

// Usernameless sign-in: the userHandle must be the stored owner's; an absent one is allowed.
TEST(Assertion, UserHandle) {
  TestAuthenticator a(CoseAlg::ES256);
  EXPECT_EQ(verify(sign_in(a), 0, std::string(32, '\x78')).error(), WebauthnError::user_handle_mismatch);
  EXPECT_TRUE(verify(sign_in(a), 0, ""));
}

TEST(Assertion, UserVerificationRequiredOrReported) {
  TestAuthenticator a(CoseAlg::ES256);
  Signed s = sign_in(a, UP);
  auto r = verify(s);
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->user_verified);
  auto required = verify_assertion({.credential_id = "cred-1", .client_data_json = s.client_data_json,
                                    .authenticator_data = s.authenticator_data, .signature = s.signature,
                                    .expected_challenge = kChallenge, .require_user_verification = true},
                                   rp(), {.credential_id = "cred-1", .user_handle = kHandle, .public_key = s.cose});
  EXPECT_EQ(required.error(), WebauthnError::user_verification_required);
}

TEST(Assertion, OversizeInputs) {
  TestAuthenticator a(CoseAlg::ES256);
  Signed s = sign_in(a);
  s.signature.append(kMaxSignature, '\0');
  EXPECT_EQ(verify(s).error(), WebauthnError::too_large);
  s = sign_in(a);
  s.authenticator_data.append(kMaxAuthenticatorData, '\0');
  EXPECT_EQ(verify(s).error(), WebauthnError::too_large);
  EXPECT_EQ(verify(sign_in(a), 0, std::string(65, 'h')).error(), WebauthnError::too_large);
}

// Bytes after the authenticator data's last part are refused, signed or not.
TEST(Assertion, TrailingAuthenticatorDataBytes) {
  TestAuthenticator a(CoseAlg::ES256);
  Signed s = sign_in(a);
  s.authenticator_data += '\0';
  s.signature = a.sign(s.authenticator_data + hash_bytes(sha256(s.client_data_json)));
  EXPECT_EQ(verify(s).error(), WebauthnError::auth_data_malformed);
}

// A stored key of an algorithm we do not verify (as a future build might store) is refused, not guessed.
TEST(Assertion, UnsupportedStoredAlgorithm) {
  TestAuthenticator a(CoseAlg::ES256);
  Signed s = sign_in(a);
  s.cose = cose_map({{1, cbor_int(2)}, {3, cbor_int(-36)}, {-1, cbor_int(3)}});
  EXPECT_EQ(verify(s).error(), WebauthnError::key_unsupported);
}

}  // namespace
}  // namespace cloakroom::webauthn
