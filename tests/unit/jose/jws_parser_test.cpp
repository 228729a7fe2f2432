#include "jose/jws_parser.h"

#include <gtest/gtest.h>

#include "jose_test_support.h"

namespace cloakroom::jose {
namespace {

using testing::forge;

class JwsParserTest : public ::testing::Test {
 protected:
  Jwk key = *Jwk::generate(Alg::HS256);
  JoseError reason(std::string_view header, std::string_view payload = testing::good_claims()) {
    auto r = parse_jws(forge(key, header, payload));
    return r ? JoseError::internal : r.error();
  }
};

// A well-formed token parses into alg, kid, claims and signature bytes.
TEST_F(JwsParserTest, ParsesWellFormedToken) {
  auto p = parse_jws(forge(key, R"({"alg":"HS256","kid":"k1","typ":"at+jwt"})", testing::good_claims()));
  ASSERT_TRUE(p);
  EXPECT_EQ(p->alg, Alg::HS256);
  EXPECT_EQ(p->kid, "k1");
  EXPECT_EQ(p->claims.find("sub")->text, "u1");
  EXPECT_EQ(p->signature.size(), 32u);
}

// alg "none" is refused in every letter case, before anything else matters.
TEST_F(JwsParserTest, AlgNoneInAnyCase) {
  for (auto none : {"none", "None", "NONE", "nOnE"})
    EXPECT_EQ(reason(std::string(R"({"alg":")") + none + "\"}"), JoseError::alg_none) << none;
  // An unsigned token (empty signature) is malformed, not "none".
  auto unsigned_token = parse_jws("eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.");
  EXPECT_EQ(unsigned_token.error(), JoseError::malformed);
}

// Only algorithms we implement, by exact name.
TEST_F(JwsParserTest, UnknownAlgorithms) {
  for (auto alg : {"HS1", "hs256", "RS512", "ES256K", "dir", ""})
    EXPECT_EQ(reason(std::string(R"({"alg":")") + alg + "\"}"), JoseError::alg_unsupported) << alg;
  EXPECT_EQ(reason(R"({"alg":256})"), JoseError::header_invalid);
  EXPECT_EQ(reason(R"({"typ":"JWT"})"), JoseError::header_invalid);
}

// Keys carried in the header are never used: the token is refused.
TEST_F(JwsParserTest, EmbeddedKeys) {
  for (auto member : {R"("jwk":{"kty":"oct","k":"AAAA"})", R"("jku":"https://evil/jwks")", R"("x5u":"https://evil/c")",
                      R"("x5c":["MIIB"])", R"("x5t":"abc")"})
    EXPECT_EQ(reason(std::string(R"({"alg":"HS256",)") + member + "}"), JoseError::embedded_key) << member;
}

// crit and b64=false (RFC 7797) are refused with their own reasons.
TEST_F(JwsParserTest, CritAndUnencodedPayload) {
  EXPECT_EQ(reason(R"({"alg":"HS256","crit":["exp"],"exp":1})"), JoseError::crit_unsupported);
  EXPECT_EQ(reason(R"({"alg":"HS256","b64":false,"crit":["b64"]})"), JoseError::unencoded_payload);
}

// typ: at+jwt, JWT (any case) or absent.
TEST_F(JwsParserTest, Typ) {
  EXPECT_TRUE(parse_jws(forge(key, R"({"alg":"HS256","typ":"JWT"})", testing::good_claims())));
  EXPECT_TRUE(parse_jws(forge(key, R"({"alg":"HS256","typ":"application/at+jwt"})", testing::good_claims())));
  EXPECT_EQ(reason(R"({"alg":"HS256","typ":"JWE"})"), JoseError::typ_invalid);
  EXPECT_EQ(reason(R"({"alg":"HS256","typ":"dpop+jwt"})"), JoseError::typ_invalid);
}

// Duplicate members in the header or the claims are refused (parsers disagree on which wins).
TEST_F(JwsParserTest, DuplicateMembers) {
  EXPECT_EQ(reason(R"({"alg":"HS256","alg":"none"})"), JoseError::duplicate_member);
  EXPECT_EQ(reason(R"({"alg":"HS256"})", R"({"sub":"alice","sub":"admin","exp":1})"), JoseError::duplicate_member);
}

// Headers and payloads must be JSON objects; deep nesting is refused.
TEST_F(JwsParserTest, ShapeOfHeaderAndPayload) {
  EXPECT_EQ(reason(R"(["HS256"])"), JoseError::header_invalid);
  EXPECT_EQ(reason(R"({"alg":"HS256"})", R"("just a string")"), JoseError::payload_invalid);
  EXPECT_EQ(reason(R"({"alg":"HS256"})", std::string(50, '[') + std::string(50, ']')), JoseError::too_deep);
  EXPECT_EQ(reason(R"({"alg":"HS256"})", "[]"), JoseError::payload_invalid);
  std::string deep = R"({"a":)" + std::string(20, '[') + std::string(20, ']') + "}";
  EXPECT_EQ(reason(R"({"alg":"HS256"})", deep), JoseError::too_deep);
}

// Shape: three non-empty parts; five is a JWE; canonical base64url only; size bound.
TEST_F(JwsParserTest, CompactShape) {
  std::string good = forge(key, R"({"alg":"HS256"})", testing::good_claims());
  EXPECT_EQ(parse_jws("a.b").error(), JoseError::malformed);
  EXPECT_EQ(parse_jws("a.b.c.d").error(), JoseError::malformed);
  EXPECT_EQ(parse_jws("eyJhbGciOiJSU0EtT0FFUCJ9.a.b.c.d").error(), JoseError::jwe_not_supported);
  EXPECT_EQ(parse_jws(good + "=").error(), JoseError::not_canonical);
  std::string plus = good;
  plus[good.find('.') + 2] = '+';
  EXPECT_EQ(parse_jws(plus).error(), JoseError::not_canonical);
  EXPECT_EQ(parse_jws(std::string(64 * 1024, 'a')).error(), JoseError::too_large);
  // 4 KiB tokens are fine.
  std::string big_claims = R"({"sub":"u","exp":1,"pad":")" + std::string(2800, 'x') + "\"}";
  std::string big = forge(key, R"({"alg":"HS256"})", big_claims);
  EXPECT_GT(big.size(), 3800u);
  EXPECT_TRUE(parse_jws(big));
}

}  // namespace
}  // namespace cloakroom::jose
