#include "webauthn/registration.h"

#include <gtest/gtest.h>

#include "support/webauthn_test_support.h"

namespace cloakroom::webauthn {
namespace {

using namespace testing;  // NOLINT: the builders

RelyingParty rp() { return *RelyingParty::from_public_url("https://auth.example.com", "cloakroom"); }
const std::string kChallenge(32, '\x5a');

struct Built {
  std::string client_data_json, attestation_object;
};

// A registration as a browser and an authenticator with `a` would send it.
Built build(const TestAuthenticator& a, std::uint8_t flags = UP | UV | AT, std::string type = "webauthn.create",
            std::string origin = "https://auth.example.com", std::string rp_id = "auth.example.com") {
  std::string ad = auth_data(sha256(rp_id), flags, 0, (flags & AT) ? a.attested("cred-1") : "");
  return {client_data(type, kChallenge, origin), attestation_object("none", ad)};
}

Result<NewCredential, WebauthnError> verify(const Built& b, std::string_view challenge = kChallenge) {
  return verify_registration({.client_data_json = b.client_data_json, .attestation_object = b.attestation_object,
                              .expected_challenge = challenge},
                             rp());
}

class RegistrationTest : public ::testing::TestWithParam<CoseAlg> {};
INSTANTIATE_TEST_SUITE_P(Algs, RegistrationTest, ::testing::Values(CoseAlg::ES256, CoseAlg::EdDSA, CoseAlg::RS256),
                         [](const auto& p) { return std::string(cose_alg_name(p.param)); });

// A well-formed registration yields the credential to store, flags recorded.
TEST_P(RegistrationTest, AcceptsAndReturnsTheCredential) {
  TestAuthenticator a(GetParam());
  auto cred = verify(build(a, UP | UV | BE | AT));
  ASSERT_TRUE(cred) << reason_name(cred.error());
  EXPECT_EQ(cred->credential_id, "cred-1");
  EXPECT_EQ(cred->public_key, a.cose());
  EXPECT_EQ(cred->alg, GetParam());
  EXPECT_EQ(cred->sign_count, 0u);
  EXPECT_TRUE(cred->user_verified);
  EXPECT_TRUE(cred->backup_eligible);
  EXPECT_FALSE(cred->backed_up);
  EXPECT_EQ(cred->aaguid, std::string(16, '\0'));
  EXPECT_EQ(cred->attestation_format, "none");
  // The stored key verifies what the authenticator signs.
  auto key = CoseKey::parse(cred->public_key);
  ASSERT_TRUE(key);
  EXPECT_TRUE(key->verify("message", a.sign("message")));
}

// Without UV the credential is still accepted (we prefer UV) and says so.
TEST_P(RegistrationTest, UserVerificationIsRecordedNotRequired) {
  TestAuthenticator a(GetParam());
  auto cred = verify(build(a, UP | AT));
  ASSERT_TRUE(cred);
  EXPECT_FALSE(cred->user_verified);
}

TEST(Registration, WrongChallenge) {
  TestAuthenticator a(CoseAlg::ES256);
  EXPECT_EQ(verify(build(a), std::string(32, 'x')).error(), WebauthnError::challenge_mismatch);
  EXPECT_EQ(verify(build(a), "").error(), WebauthnError::challenge_mismatch);
}

TEST(Registration, WrongOrigin) {
  TestAuthenticator a(CoseAlg::ES256);
  EXPECT_EQ(verify(build(a, UP | AT, "webauthn.create", "https://evil.example.com")).error(),
            WebauthnError::origin_mismatch);
  EXPECT_EQ(verify(build(a, UP | AT, "webauthn.create", "http://auth.example.com")).error(),
            WebauthnError::origin_mismatch);
  EXPECT_EQ(verify(build(a, UP | AT, "webauthn.create", "https://auth.example.com:8443")).error(),
            WebauthnError::origin_mismatch);
}

TEST(Registration, WrongRpId) {
  TestAuthenticator a(CoseAlg::ES256);
  EXPECT_EQ(verify(build(a, UP | AT, "webauthn.create", "https://auth.example.com", "example.com")).error(),
            WebauthnError::rp_id_mismatch);
}

// An assertion's client data replayed into a registration is refused.
TEST(Registration, WrongType) {
  TestAuthenticator a(CoseAlg::ES256);
  EXPECT_EQ(verify(build(a, UP | AT, "webauthn.get")).error(), WebauthnError::type_mismatch);
}

TEST(Registration, MissingUserPresence) {
  TestAuthenticator a(CoseAlg::ES256);
  EXPECT_EQ(verify(build(a, UV | AT)).error(), WebauthnError::user_not_present);
}

TEST(Registration, RequiredUserVerification) {
  TestAuthenticator a(CoseAlg::ES256);
  Built b = build(a, UP | AT);
  auto r = verify_registration({.client_data_json = b.client_data_json, .attestation_object = b.attestation_object,
                                .expected_challenge = kChallenge, .require_user_verification = true},
                               rp());
  EXPECT_EQ(r.error(), WebauthnError::user_verification_required);
}

TEST(Registration, NoAttestedCredential) {
  TestAuthenticator a(CoseAlg::ES256);
  EXPECT_EQ(verify(build(a, UP)).error(), WebauthnError::attested_data_missing);
}

TEST(Registration, CrossOriginIframe) {
  TestAuthenticator a(CoseAlg::ES256);
  Built b = build(a);
  b.client_data_json = client_data("webauthn.create", kChallenge, "https://auth.example.com", "true");
  EXPECT_EQ(verify(b).error(), WebauthnError::cross_origin);
}

// ES384 (alg -35) on P-384: a COSE algorithm we do not verify.
TEST(Registration, UnsupportedAlgorithm) {
  std::string key = cose_map({{1, cbor_int(2)}, {3, cbor_int(-35)}, {-1, cbor_int(2)},
                              {-2, cbor_bytes(std::string(48, '\1'))}, {-3, cbor_bytes(std::string(48, '\2'))}});
  std::string ad = auth_data(sha256("auth.example.com"), UP | AT, 0, TestAuthenticator::attested_with("c", key));
  Built b{client_data("webauthn.create", kChallenge, "https://auth.example.com"), attestation_object("none", ad)};
  EXPECT_EQ(verify(b).error(), WebauthnError::key_unsupported);
}

TEST(Registration, TrailingCborBytes) {
  TestAuthenticator a(CoseAlg::ES256);
  Built b = build(a);
  b.attestation_object += '\0';
  EXPECT_EQ(verify(b).error(), WebauthnError::cbor_malformed);
}

TEST(Registration, OversizeInputs) {
  TestAuthenticator a(CoseAlg::ES256);
  Built b = build(a);
  b.attestation_object.append(16 * 1024, '\0');
  EXPECT_EQ(verify(b).error(), WebauthnError::too_large);
  b = build(a);
  b.client_data_json.append(4096, ' ');
  EXPECT_EQ(verify(b).error(), WebauthnError::too_large);
}

// Another fmt's statement is ignored ("none" policy); "none" itself must have an empty one.
TEST(Registration, AttestationFormatPolicy) {
  TestAuthenticator a(CoseAlg::ES256);
  std::string ad = auth_data(sha256("auth.example.com"), UP | AT, 0, a.attested("cred-1"));
  Built packed{client_data("webauthn.create", kChallenge, "https://auth.example.com"),
               attestation_object("packed", ad)};
  auto cred = verify(packed);
  ASSERT_TRUE(cred);
  EXPECT_EQ(cred->attestation_format, "packed");

  Item map(cbor_new_definite_map(3));
  Item statement(cbor_new_definite_map(1));
  put(statement.get(), cbor_build_string("sig"), cbor_bytes("x"));
  put(map.get(), cbor_build_string("fmt"), cbor_build_string("none"));
  cbor_map_add(map.get(), cbor_pair{cbor_move(cbor_build_string("attStmt")), statement.get()});
  put(map.get(), cbor_build_string("authData"), cbor_bytes(ad));
  Built none_with_statement{packed.client_data_json, serialize(map.get())};
  EXPECT_EQ(verify(none_with_statement).error(), WebauthnError::attestation_invalid);
}

}  // namespace
}  // namespace cloakroom::webauthn
