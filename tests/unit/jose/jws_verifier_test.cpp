#include "jose/jws_verifier.h"

#include <gtest/gtest.h>

#include "jose/base64url.h"
#include "jose_test_support.h"

namespace cloakroom::jose {
namespace {

using testing::forge;
using testing::kNow;

const TokenPolicy kPolicy{"https://auth.example.com", {"api", "web"}, std::chrono::seconds(60)};

Result<VerifiedClaims, JoseError> verify(std::string_view token, const KeySet& keys, long long now = kNow) {
  auto parsed = parse_jws(token);
  if (!parsed) return parsed.error();
  return verify_jws(*parsed, keys, kPolicy, now);
}

class JwsVerifierTyped : public ::testing::TestWithParam<Alg> {};

// A token we sign verifies and yields its claims, for every algorithm.
TEST_P(JwsVerifierTyped, SignedTokenVerifies) {
  Jwk key = *Jwk::generate(GetParam());
  KeySet keys({key});
  auto token = sign_jwt(key, testing::good_claims());
  ASSERT_TRUE(token);
  auto claims = verify(*token, keys);
  ASSERT_TRUE(claims) << reason_name(claims.error());
  EXPECT_EQ(claims->subject, "u1");
  EXPECT_EQ(claims->username, "alice");
  EXPECT_EQ(claims->roles, std::vector<std::string>{"admin"});
  EXPECT_EQ(claims->jwt_id, "j1");
  EXPECT_EQ(claims->kid, key.kid());
  // Every bit of the encoded signature matters. Flipping one bit of a
  // character's 6-bit value keeps the text canonical base64url, so the token
  // reaches the signature check and fails there; only the last character's
  // unused low bits are refused earlier, as not canonical (no malleability).
  // ES256: a flip could in theory push r or s to n or above (malformed); the
  // odds are about 2^-31 per flip, so in practice every flip reaches the curve.
  const std::string t = *token;
  const std::size_t sig_at = t.rfind('.') + 1;
  const std::size_t sig_chars = t.size() - sig_at;
  const int unused_bits = sig_chars % 4 == 2 ? 4 : sig_chars % 4 == 3 ? 2 : 0;  // in the last character
  constexpr std::string_view kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  for (std::size_t i = sig_at; i < t.size(); ++i) {
    for (int bit = 0; bit < 6; ++bit) {
      std::string bad = t;
      bad[i] = kAlphabet[kAlphabet.find(t[i]) ^ (1u << bit)];
      bool unused = i + 1 == t.size() && bit < unused_bits;
      auto r = verify(bad, keys);
      ASSERT_FALSE(r.has_value()) << "char " << i - sig_at << " bit " << bit;
      EXPECT_EQ(r.error(), unused ? JoseError::not_canonical : JoseError::signature_invalid)
          << "char " << i - sig_at << " bit " << bit;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(AllAlgorithms, JwsVerifierTyped,
                         ::testing::Values(Alg::HS256, Alg::HS384, Alg::HS512, Alg::RS256, Alg::PS256, Alg::ES256,
                                           Alg::EdDSA),
                         [](const ::testing::TestParamInfo<Alg>& p) { return std::string(alg_name(p.param)); });

// HS/RS key confusion: an HS256 token "signed" with our RSA public key is refused (pinned alg).
TEST(JwsVerifier, HmacWithPublicKeyConfusion) {
  Jwk rsa = *Jwk::generate(Alg::RS256);
  json::Writer pub;
  rsa.write_json(pub, false);
  std::string public_text = pub.str();
  // The attacker's HMAC key: the public key's own text (the libjwt 1.10 trap).
  std::string k = base64url_encode(public_text);
  Jwk attacker = *Jwk::from_json(testing::parse_json(R"({"kty":"oct","alg":"HS256","k":")" + k + "\"}"));
  std::string header = R"({"alg":"HS256","kid":")" + rsa.kid() + "\"}";
  EXPECT_EQ(verify(forge(attacker, header, testing::good_claims()), KeySet({rsa})).error(), JoseError::alg_mismatch);
}

// Psychic ECDSA signature (r = s = 0) in a real token.
TEST(JwsVerifier, PsychicSignature) {
  Jwk ec = *Jwk::generate(Alg::ES256);
  std::string input = base64url_encode(R"({"alg":"ES256"})") + "." + base64url_encode(testing::good_claims());
  std::string token = input + "." + base64url_encode(std::string(64, '\0'));
  EXPECT_EQ(verify(token, KeySet({ec})).error(), JoseError::signature_malformed);
}

// kid rules: required with several keys, matched byte for byte.
TEST(JwsVerifier, KidTricks) {
  Jwk a = *Jwk::generate(Alg::HS256);
  Jwk b = *Jwk::generate(Alg::HS256);
  KeySet two({a, b});
  EXPECT_EQ(verify(forge(a, R"({"alg":"HS256"})", testing::good_claims()), two).error(), JoseError::kid_missing);
  for (std::string kid : {std::string("../../../etc/passwd"), a.kid() + " ", a.kid() + "\\u0000", std::string("")}) {
    std::string header = R"({"alg":"HS256","kid":")" + kid + "\"}";
    EXPECT_EQ(verify(forge(a, header, testing::good_claims()), two).error(), JoseError::kid_unknown) << kid;
  }
  std::string upper = a.kid();
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (upper != a.kid()) {
    EXPECT_EQ(verify(forge(a, R"({"alg":"HS256","kid":")" + upper + "\"}", testing::good_claims()), two).error(),
              JoseError::kid_unknown);
  }
  // A token signed by b but naming a's kid fails the signature.
  EXPECT_EQ(verify(forge(b, R"({"alg":"HS256","kid":")" + a.kid() + "\"}", testing::good_claims()), two).error(),
            JoseError::signature_invalid);
  EXPECT_TRUE(verify(forge(b, R"({"alg":"HS256","kid":")" + b.kid() + "\"}", testing::good_claims()), two));
}

class ClaimsTest : public ::testing::Test {
 protected:
  Jwk key = *Jwk::generate(Alg::HS256);
  KeySet keys{{key}};
  JoseError reason(std::string_view claims, long long now = kNow) {
    auto r = verify(forge(key, R"({"alg":"HS256"})", claims), keys, now);
    return r ? JoseError::internal : r.error();
  }
};

// exp is required; expiry honours the leeway.
TEST_F(ClaimsTest, Expiry) {
  EXPECT_EQ(reason(R"({"iss":"https://auth.example.com","sub":"u","aud":"api"})"), JoseError::exp_missing);
  std::string c = R"({"iss":"https://auth.example.com","sub":"u","aud":"api","exp":1800000000})";
  EXPECT_TRUE(verify(forge(key, R"({"alg":"HS256"})", c), keys, kNow + 59));
  EXPECT_EQ(reason(c, kNow + 60), JoseError::expired);
  EXPECT_EQ(reason(R"({"iss":"https://auth.example.com","sub":"u","aud":"api","exp":"1800000600"})"), JoseError::claim_invalid);
  EXPECT_EQ(reason(R"({"iss":"https://auth.example.com","sub":"u","aud":"api","exp":1e300})"), JoseError::claim_invalid);
  EXPECT_EQ(reason(R"({"iss":"https://auth.example.com","sub":"u","aud":"api","exp":-5})"), JoseError::claim_invalid);
  EXPECT_TRUE(verify(forge(key, R"({"alg":"HS256"})",
                           R"({"iss":"https://auth.example.com","sub":"u","aud":"api","exp":1800000600.5})"), keys, kNow));
}

// nbf and iat in the future beyond the leeway are refused.
TEST_F(ClaimsTest, NotBeforeAndIssuedAt) {
  EXPECT_EQ(reason(R"({"iss":"https://auth.example.com","sub":"u","aud":"api","exp":1800000600,"nbf":1800000061})"),
            JoseError::not_yet_valid);
  EXPECT_EQ(reason(R"({"iss":"https://auth.example.com","sub":"u","aud":"api","exp":1800000600,"iat":1800000061})"),
            JoseError::issued_in_future);
  EXPECT_TRUE(verify(forge(key, R"({"alg":"HS256"})",
                           R"({"iss":"https://auth.example.com","sub":"u","aud":"api","exp":1800000600,"nbf":1800000060,"iat":1800000060})"),
                     keys));
}

// iss, aud (string or array) and sub are required and must match.
TEST_F(ClaimsTest, IssuerAudienceSubject) {
  EXPECT_EQ(reason(R"({"iss":"https://evil","sub":"u","aud":"api","exp":1800000600})"), JoseError::issuer_mismatch);
  EXPECT_EQ(reason(R"({"sub":"u","aud":"api","exp":1800000600})"), JoseError::issuer_mismatch);
  EXPECT_EQ(reason(R"({"iss":"https://auth.example.com","sub":"u","aud":"other","exp":1800000600})"), JoseError::audience_mismatch);
  EXPECT_EQ(reason(R"({"iss":"https://auth.example.com","sub":"u","aud":["x","y"],"exp":1800000600})"), JoseError::audience_mismatch);
  EXPECT_EQ(reason(R"({"iss":"https://auth.example.com","sub":"u","exp":1800000600})"), JoseError::audience_mismatch);
  EXPECT_EQ(reason(R"({"iss":"https://auth.example.com","sub":"u","aud":[1],"exp":1800000600})"), JoseError::claim_invalid);
  EXPECT_TRUE(verify(forge(key, R"({"alg":"HS256"})", R"({"iss":"https://auth.example.com","sub":"u","aud":["x","web"],"exp":1800000600})"), keys));
  EXPECT_EQ(reason(R"({"iss":"https://auth.example.com","aud":"api","exp":1800000600})"), JoseError::subject_missing);
  EXPECT_EQ(reason(R"({"iss":"https://auth.example.com","sub":7,"aud":"api","exp":1800000600})"), JoseError::subject_missing);
  EXPECT_EQ(reason(R"({"iss":"https://auth.example.com","sub":"u","aud":"api","exp":1800000600,"roles":"admin"})"),
            JoseError::claim_invalid);
}

// username and roles are optional: a minimal token signed by us is accepted on its own merits.
TEST_F(ClaimsTest, MinimalTokenIsAccepted) {
  auto claims = verify(forge(key, R"({"alg":"HS256"})", R"({"iss":"https://auth.example.com","sub":"u9","aud":"api","exp":1800000600})"), keys);
  ASSERT_TRUE(claims);
  EXPECT_EQ(claims->subject, "u9");
  EXPECT_TRUE(claims->username.empty());
  EXPECT_TRUE(claims->roles.empty());
}

// sid (the issuing refresh family) and epoch are read when present and
// refused when of the wrong type.
TEST_F(ClaimsTest, SessionIdAndEpoch) {
  const std::string base = R"({"iss":"https://auth.example.com","sub":"u","aud":"api","exp":1800000600)";
  auto claims = verify(forge(key, R"({"alg":"HS256"})", base + R"(,"sid":"fam1","epoch":3})"), keys);
  ASSERT_TRUE(claims);
  EXPECT_EQ(claims->session_id, "fam1");
  EXPECT_EQ(claims->epoch, 3);
  auto minimal = verify(forge(key, R"({"alg":"HS256"})", base + "}"), keys);
  ASSERT_TRUE(minimal);
  EXPECT_EQ(minimal->session_id, "");
  EXPECT_EQ(minimal->epoch, 0);
  for (const char* bad : {R"(,"sid":7})", R"(,"epoch":"3"})", R"(,"epoch":-1})", R"(,"epoch":1.5})"})
    EXPECT_EQ(reason(base + bad), JoseError::claim_invalid) << bad;
}

// amr (an array of strings, RFC 8176) and auth_time (a NumericDate) are
// read when present, kept as sent (judging the names is the caller's), and
// refused when of the wrong type.
TEST_F(ClaimsTest, AmrAndAuthTime) {
  const std::string base = R"({"iss":"https://auth.example.com","sub":"u","aud":"api","exp":1800000600)";
  auto claims = verify(forge(key, R"({"alg":"HS256"})", base + R"(,"amr":["pwd","otp","mfa","x"],"auth_time":1799999000})"),
                       keys);
  ASSERT_TRUE(claims);
  EXPECT_EQ(claims->amr, (std::vector<std::string>{"pwd", "otp", "mfa", "x"}));
  EXPECT_EQ(claims->auth_time, 1799999000);
  auto minimal = verify(forge(key, R"({"alg":"HS256"})", base + "}"), keys);
  ASSERT_TRUE(minimal);
  EXPECT_TRUE(minimal->amr.empty());
  EXPECT_EQ(minimal->auth_time, 0);
  for (const char* bad : {R"(,"amr":"pwd"})", R"(,"amr":[1]})", R"(,"auth_time":"1"})", R"(,"auth_time":-1})"})
    EXPECT_EQ(reason(base + bad), JoseError::claim_invalid) << bad;
}

}  // namespace
}  // namespace cloakroom::jose
