#include "jose/jwk.h"

#include <gtest/gtest.h>
#include <openssl/err.h>

#include "jose/base64url.h"
#include "jose_test_support.h"

namespace cloakroom::jose {
namespace {

using testing::import;
using testing::parse_json;

// RFC 7515 A.1: the HS256 example verifies with the RFC's key.
// header {"typ":"JWT",\r\n "alg":"HS256"}, payload {"iss":"joe",\r\n "exp":1300819380,\r\n "http://example.com/is_root":true}
TEST(JwkVectors, Rfc7515A1Hs256) {
  Jwk key = import(R"({"kty":"oct","alg":"HS256","k":"AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow"})");
  std::string input = "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ";
  std::string sig = *base64url_decode("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk");
  EXPECT_TRUE(key.verify(input, sig));
  EXPECT_EQ(*key.sign(input), sig);  // HMAC is deterministic
}

// RFC 7515 A.2: the RS256 example verifies with the RFC's public key.
// header {"alg":"RS256"}, same payload as A.1.
TEST(JwkVectors, Rfc7515A2Rs256) {
  Jwk key = import(R"({"kty":"RSA","alg":"RS256","e":"AQAB","n":"ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPddxHmfHQp-Vaw-4qPCJrcS2mJPMEzP1Pt0Bm4d4QlL-yRT-SFd2lZS-pCgNMsD1W_YpRPEwOWvG6b32690r2jZ47soMZo9wGzjb_7OMg0LOL-bSf63kpaSHSXndS5z5rexMdbBYUsLA9e-KXBdQOS-UTo7WTBEMa2R2CapHg665xsmtdVMTBQY4uDZlxvb3qCo5ZwKh9kG4LT6_I5IhlJH7aGhyxXFvUK-DWNmoudF8NAco9_h9iaGNj8q2ethFkMLs91kzk2PAcDTW9gb54h4FRWyuXpoQ"})");
  std::string input = "eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ";
  std::string sig = *base64url_decode("cC4hiUPoj9Eetdgtv3hF80EGrhuB__dzERat0XF9g2VtQgr9PJbu3XOiZj5RZmh7AAuHIm4Bh-0Qc_lF5YKt_O8W2Fp5jujGbds9uJdbF9CUAr7t1dnZcAcQjbKBYNX4BAynRFdiuB--f_nZLgrnbyTyWzO75vRK5h6xBArLIARNPvkSjtQBMHlb1L07Qe7K0GarZRmB_eSN9383LcOLn6_dO--xi12jzDwusC-eOkHWEsqtFZESc6BfI7noOPqvhJ1phCnvWh6IeYI2w9QOYEUipUTI8np6LbgGY9Fs98rqVt5AXLIhWkWywlVmtVrBp0igcN_IoypGlUPQGe77Rw");
  EXPECT_TRUE(key.verify(input, sig));
  EXPECT_FALSE(key.has_private());
  EXPECT_EQ(key.sign(input).error(), JoseError::key_not_private);
}

// RFC 7515 A.3: the ES256 example (raw r||s) verifies with the RFC's public key.
// header {"alg":"ES256"}, same payload as A.1.
TEST(JwkVectors, Rfc7515A3Es256) {
  Jwk key = import(R"({"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"})");
  std::string input = "eyJhbGciOiJFUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ";
  std::string sig = *base64url_decode("DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q");
  EXPECT_EQ(key.alg(), Alg::ES256);
  EXPECT_TRUE(key.verify(input, sig));
}

// An EC private scalar that does not belong to the public point is refused.
TEST(JwkImport, RefusesMismatchedEcPrivateKey) {
  // x, y of RFC 7515 A.3 with a d from elsewhere.
  EXPECT_EQ(Jwk::from_json(parse_json(R"({"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0","d":"jpsQnnGQmL-YBIffH1136cLSG_g8bdAZHnd_cbp9Qqo"})")).error(),
            JoseError::key_invalid);
  // The same d with its own public point imports and signs verifiable tokens.
  Jwk key = import(R"({"kty":"EC","crv":"P-256","x":"2UxiJIKVjawiAomegzzV8F9PhkerLXv6vfooHLHHjN4","y":"lHc_5TotNg8LzFOkKcQ7Mq8bW8ZYJz2RIZERXsmNyt8","d":"jpsQnnGQmL-YBIffH1136cLSG_g8bdAZHnd_cbp9Qqo"})");
  auto sig = key.sign("m");  // ECDSA is randomised: check it verifies, 64 raw bytes
  ASSERT_TRUE(sig);
  EXPECT_EQ(sig->size(), 64u);
  EXPECT_TRUE(key.verify("m", *sig));
}

// RFC 8037 A.1–A.4: the Ed25519 key, its thumbprint and the example signature.
// header {"alg":"EdDSA"}, payload "Example of Ed25519 signing"
TEST(JwkVectors, Rfc8037Ed25519) {
  Jwk key = import(R"({"kty":"OKP","crv":"Ed25519","d":"nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"})");
  EXPECT_EQ(key.thumbprint(), "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k");
  std::string input = "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc";
  std::string sig = *base64url_decode("hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg");
  EXPECT_TRUE(key.verify(input, sig));
  EXPECT_EQ(*key.sign(input), sig);  // Ed25519 is deterministic
}

// RFC 7638 §3.1: the RSA thumbprint example.
TEST(JwkVectors, Rfc7638Thumbprint) {
  Jwk key = import(R"({"kty":"RSA","alg":"RS256","e":"AQAB","n":"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"})");
  EXPECT_EQ(key.thumbprint(), "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
  EXPECT_EQ(key.kid(), "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");  // default kid
}

class GeneratedKeys : public ::testing::TestWithParam<Alg> {};

// Every algorithm: generate, sign, verify; export and re-import private and public.
TEST_P(GeneratedKeys, SignVerifyExportImport) {
  auto key = Jwk::generate(GetParam());
  ASSERT_TRUE(key);
  EXPECT_EQ(key->kid(), key->thumbprint());
  auto sig = key->sign("input");
  ASSERT_TRUE(sig);
  EXPECT_TRUE(key->verify("input", *sig));
  EXPECT_EQ(key->verify("inpuT", *sig).error(), JoseError::signature_invalid);

  json::Writer priv;
  key->write_json(priv, true);
  auto again = Jwk::from_json(testing::parse_json(priv.str()));
  ASSERT_TRUE(again) << priv.str();
  EXPECT_EQ(again->kid(), key->kid());
  EXPECT_TRUE(again->verify("input", *again->sign("input")));
  EXPECT_TRUE(again->verify("input", *sig));

  json::Writer pub;
  key->write_json(pub, false);
  if (!key->is_symmetric()) {
    EXPECT_EQ(pub.str().find("\"d\""), std::string::npos);
    auto public_only = Jwk::from_json(testing::parse_json(pub.str()));
    ASSERT_TRUE(public_only);
    EXPECT_FALSE(public_only->has_private());
    EXPECT_TRUE(public_only->verify("input", *sig));
  } else {
    EXPECT_EQ(pub.str().find("\"k\""), std::string::npos);
  }
}

// Every bit of a valid signature matters.
TEST_P(GeneratedKeys, EverySignatureBitFlipIsRejected) {
  auto key = Jwk::generate(GetParam());
  std::string sig = *key->sign("message");
  for (std::size_t i = 0; i < sig.size() * 8; i += (GetParam() == Alg::RS256 || GetParam() == Alg::PS256) ? 61 : 1) {
    std::string bad = sig;
    bad[i / 8] = static_cast<char>(bad[i / 8] ^ (1 << (i % 8)));
    // ES256: a flip could in theory push r or s to n or above (malformed); the
    // odds are about 2^-31 per flip, so in practice every flip reaches the curve.
    EXPECT_EQ(key->verify("message", bad).error(), JoseError::signature_invalid) << "bit " << i;
  }
}

INSTANTIATE_TEST_SUITE_P(AllAlgorithms, GeneratedKeys,
                         ::testing::Values(Alg::HS256, Alg::HS384, Alg::HS512, Alg::RS256, Alg::PS256, Alg::ES256,
                                           Alg::EdDSA),
                         [](const ::testing::TestParamInfo<Alg>& p) { return std::string(alg_name(p.param)); });

// Keys we would not trust are refused on import.
TEST(JwkImport, RefusesWeakOrBrokenKeys) {
  // HMAC secret shorter than the hash.
  EXPECT_EQ(Jwk::from_json(parse_json(R"({"kty":"oct","alg":"HS256","k":"c2hvcnQ"})")).error(), JoseError::key_invalid);
  // oct or RSA without alg: the pin would be a guess.
  EXPECT_EQ(Jwk::from_json(parse_json(R"({"kty":"oct","k":"AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow"})")).error(), JoseError::key_invalid);
  // An EC point that is not on P-256.
  EXPECT_EQ(Jwk::from_json(parse_json(R"({"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a1"})")).error(), JoseError::key_invalid);
  // Wrong curve, wrong kty, alg that contradicts kty.
  EXPECT_EQ(Jwk::from_json(parse_json(R"({"kty":"EC","crv":"P-384","x":"AA","y":"AA"})")).error(), JoseError::key_invalid);
  EXPECT_EQ(Jwk::from_json(parse_json(R"({"kty":"XYZ"})")).error(), JoseError::key_invalid);
  EXPECT_EQ(Jwk::from_json(parse_json(R"({"kty":"OKP","crv":"Ed25519","alg":"ES256","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"})")).error(), JoseError::key_invalid);
  // A short RSA modulus (512 bits).
  EXPECT_EQ(Jwk::from_json(parse_json(R"({"kty":"RSA","alg":"RS256","e":"AQAB","n":"sXchDaQebHnPiGvyDOAT4saGEUetSyo9MKLOoWFsueri23bOdgWp4Dy1WlUzewbgBHod5pcM9H95GQRV3JDXbw"})")).error(), JoseError::key_invalid);
  // An Ed25519 seed that does not belong to its public key.
  EXPECT_EQ(Jwk::from_json(parse_json(R"({"kty":"OKP","crv":"Ed25519","d":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"})")).error(), JoseError::key_invalid);
  // use other than sig.
  EXPECT_EQ(Jwk::from_json(parse_json(R"({"kty":"OKP","crv":"Ed25519","use":"enc","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"})")).error(), JoseError::key_invalid);
}

// ES256: DER signatures and r or s of 0 or ≥ n are refused before any arithmetic.
TEST(JwkEs256, RejectsDerAndOutOfRangeScalars) {
  auto key = Jwk::generate(Alg::ES256);
  std::string sig = *key->sign("m");
  EXPECT_EQ(key->verify("m", std::string(64, '\0')).error(), JoseError::signature_malformed);  // psychic signature
  std::string n = *base64url_decode("_____wAAAAD__________7zm-q2nF56E87nKwvxjJVE");
  EXPECT_EQ(key->verify("m", n + sig.substr(32)).error(), JoseError::signature_malformed);   // r = n
  EXPECT_EQ(key->verify("m", sig.substr(0, 32) + std::string(32, '\xff')).error(), JoseError::signature_malformed);
  EXPECT_EQ(key->verify("m", "\x30\x44" + sig).error(), JoseError::signature_malformed);    // DER-shaped length
}

// A refused signature or key leaves nothing on OpenSSL's per-thread error
// queue, where a later, unrelated call could mistake it for its own failure.
TEST(JwkOpenSslErrors, FailuresLeaveNoStaleError) {
  for (Alg alg : {Alg::RS256, Alg::PS256, Alg::ES256}) {
    auto key = Jwk::generate(alg);
    std::string sig = *key->sign("m");
    sig[10] = static_cast<char>(sig[10] ^ 1);
    ERR_clear_error();  // each case starts from an empty queue
    EXPECT_EQ(key->verify("m", sig).error(), JoseError::signature_invalid) << alg_name(alg);
    EXPECT_EQ(ERR_peek_error(), 0u) << alg_name(alg);
  }
  // A point that is not on P-256 fails inside OpenSSL's key check.
  ERR_clear_error();
  EXPECT_EQ(Jwk::from_json(parse_json(R"({"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a1"})")).error(),
            JoseError::key_invalid);
  EXPECT_EQ(ERR_peek_error(), 0u);
  // An RSA private key with a wrong CRT coefficient fails the pairwise check.
  auto rsa = Jwk::generate(Alg::RS256);
  json::Writer w;
  rsa->write_json(w, true);
  json::Value jwk = parse_json(w.str());
  for (auto& [name, value] : jwk.members)
    if (name == "qi") value.text = base64url_encode(std::string(128, '\x01'));
  ERR_clear_error();
  EXPECT_EQ(Jwk::from_json(jwk).error(), JoseError::key_invalid);
  EXPECT_EQ(ERR_peek_error(), 0u);
}

}  // namespace
}  // namespace cloakroom::jose
