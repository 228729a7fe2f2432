#include "webauthn/authenticator_data.h"

#include <gtest/gtest.h>

#include "support/webauthn_test_support.h"

namespace cloakroom::webauthn {
namespace {

using namespace testing;  // NOLINT: the builders

const Sha256 kRp = sha256("auth.example.com");

TEST(AuthenticatorData, ParsesFlagsCountAndCredential) {
  TestAuthenticator a(CoseAlg::EdDSA);
  auto ad = parse_authenticator_data(auth_data(kRp, UP | UV | BE | BS | AT, 0x01020304, a.attested("id")));
  ASSERT_TRUE(ad) << reason_name(ad.error());
  EXPECT_EQ(ad->rp_id_hash, kRp);
  EXPECT_TRUE(ad->user_present() && ad->user_verified() && ad->backup_eligible() && ad->backed_up());
  EXPECT_EQ(ad->sign_count, 0x01020304u);
  ASSERT_TRUE(ad->attested);
  EXPECT_EQ(ad->attested->credential_id, "id");
  EXPECT_EQ(ad->attested->public_key, a.cose());
}

// Extensions (ED) after the credential are parsed past; anything after them is malformed.
TEST(AuthenticatorData, Extensions) {
  const std::string ext = "\xa1\x6b" "credProtect\x02";
  EXPECT_TRUE(parse_authenticator_data(auth_data(kRp, UP | ED, 0, ext)));
  EXPECT_EQ(parse_authenticator_data(auth_data(kRp, UP, 0, ext)).error(), WebauthnError::auth_data_malformed);
  EXPECT_EQ(parse_authenticator_data(auth_data(kRp, UP | ED, 0, ext + "x")).error(),
            WebauthnError::auth_data_malformed);
  EXPECT_EQ(parse_authenticator_data(auth_data(kRp, UP | ED, 0)).error(), WebauthnError::cbor_malformed);
}

TEST(AuthenticatorData, MalformedShapes) {
  TestAuthenticator a(CoseAlg::ES256);
  EXPECT_EQ(parse_authenticator_data(auth_data(kRp, UP, 0).substr(0, 36)).error(), WebauthnError::auth_data_malformed);
  EXPECT_EQ(parse_authenticator_data(auth_data(kRp, UP | BS, 0)).error(), WebauthnError::auth_data_malformed);
  EXPECT_EQ(parse_authenticator_data(auth_data(kRp, UP | AT, 0)).error(), WebauthnError::auth_data_malformed);
  // A credential id longer than the bytes that follow.
  std::string att = a.attested("id");
  att[17] = '\x7f';
  EXPECT_EQ(parse_authenticator_data(auth_data(kRp, UP | AT, 0, att)).error(), WebauthnError::auth_data_malformed);
  // A COSE key followed by bytes no flag accounts for.
  EXPECT_EQ(parse_authenticator_data(auth_data(kRp, UP | AT, 0, a.attested("id") + std::string(1, '\0'))).error(),
            WebauthnError::auth_data_malformed);
}

TEST(AuthenticatorData, CredentialIdLength) {
  TestAuthenticator a(CoseAlg::ES256);
  EXPECT_TRUE(parse_authenticator_data(auth_data(kRp, UP | AT, 0, a.attested(std::string(1023, 'i')))));
  EXPECT_EQ(parse_authenticator_data(auth_data(kRp, UP | AT, 0, a.attested(std::string(1024, 'i')))).error(),
            WebauthnError::credential_id_invalid);
  EXPECT_EQ(parse_authenticator_data(auth_data(kRp, UP | AT, 0, a.attested(""))).error(),
            WebauthnError::credential_id_invalid);
}

TEST(AuthenticatorData, Oversize) {
  EXPECT_EQ(parse_authenticator_data(std::string(kMaxAuthenticatorData + 1, '\0')).error(), WebauthnError::too_large);
}

}  // namespace
}  // namespace cloakroom::webauthn
