#include "webauthn/cose_key.h"

#include <gtest/gtest.h>

#include "support/webauthn_test_support.h"

namespace cloakroom::webauthn {
namespace {

using namespace testing;  // NOLINT: the builders

// Each algorithm's key parses and is pinned to its alg.
TEST(CoseKey, ParsesEachAlgorithm) {
  for (CoseAlg alg : {CoseAlg::ES256, CoseAlg::EdDSA, CoseAlg::RS256}) {
    TestAuthenticator a(alg);
    auto key = CoseKey::parse(a.cose());
    ASSERT_TRUE(key) << cose_alg_name(alg) << " " << reason_name(key.error());
    EXPECT_EQ(key->alg(), alg);
    EXPECT_TRUE(key->verify("m", a.sign("m")));
    EXPECT_EQ(key->verify("n", a.sign("m")).error(), WebauthnError::signature_invalid);
  }
}

TEST(CoseKey, UnsupportedAlgorithmsAndCurves) {
  EXPECT_EQ(CoseKey::parse(cose_map({{1, cbor_int(2)}, {3, cbor_int(-35)}})).error(), WebauthnError::key_unsupported);
  EXPECT_EQ(CoseKey::parse(cose_map({{1, cbor_int(3)}, {3, cbor_int(-37)}})).error(),
            WebauthnError::key_unsupported);  // PS256
  EXPECT_EQ(CoseKey::parse(cose_map({{1, cbor_int(2)}, {3, cbor_int(-7)}, {-1, cbor_int(2)},
                                     {-2, cbor_bytes(std::string(32, 'x'))}, {-3, cbor_bytes(std::string(32, 'y'))}}))
                .error(),
            WebauthnError::key_unsupported);  // ES256 on P-384
  EXPECT_EQ(CoseKey::parse(cose_map({{1, cbor_int(1)}, {3, cbor_int(-8)}, {-1, cbor_int(7)},
                                     {-2, cbor_bytes(std::string(57, 'x'))}}))
                .error(),
            WebauthnError::key_unsupported);  // Ed448
}

TEST(CoseKey, MalformedKeys) {
  EXPECT_EQ(CoseKey::parse(cose_map({{1, cbor_int(2)}})).error(), WebauthnError::key_malformed);  // no alg
  // alg and kty disagree: never converted.
  EXPECT_EQ(CoseKey::parse(cose_map({{1, cbor_int(3)}, {3, cbor_int(-7)}})).error(), WebauthnError::key_malformed);
  EXPECT_EQ(CoseKey::parse(cose_map({{1, cbor_int(2)}, {3, cbor_int(-7)}, {-1, cbor_int(1)},
                                     {-2, cbor_bytes(std::string(31, 'x'))}, {-3, cbor_bytes(std::string(32, 'y'))}}))
                .error(),
            WebauthnError::key_malformed);
  // A private key (d) in a response is refused.
  EXPECT_EQ(CoseKey::parse(cose_map({{1, cbor_int(1)}, {3, cbor_int(-8)}, {-1, cbor_int(6)},
                                     {-2, cbor_bytes(std::string(32, 'x'))}, {-4, cbor_bytes(std::string(32, 'd'))}}))
                .error(),
            WebauthnError::key_malformed);
}

// A point off P-256 (invalid-curve attack) and a short RSA modulus are weak.
TEST(CoseKey, WeakKeys) {
  EXPECT_EQ(CoseKey::parse(cose_map({{1, cbor_int(2)}, {3, cbor_int(-7)}, {-1, cbor_int(1)},
                                     {-2, cbor_bytes(std::string(32, '\1'))}, {-3, cbor_bytes(std::string(32, '\1'))}}))
                .error(),
            WebauthnError::key_weak);
  std::string n1024(128, '\xff');
  EXPECT_EQ(CoseKey::parse(cose_map({{1, cbor_int(3)}, {3, cbor_int(-257)}, {-1, cbor_bytes(n1024)},
                                     {-2, cbor_bytes("\x01\x00\x01")}}))
                .error(),
            WebauthnError::key_weak);
  std::string even(256, '\xff');
  even.back() = '\xfe';
  EXPECT_EQ(CoseKey::parse(cose_map({{1, cbor_int(3)}, {3, cbor_int(-257)}, {-1, cbor_bytes(even)},
                                     {-2, cbor_bytes("\x01\x00\x01")}}))
                .error(),
            WebauthnError::key_weak);
}

// ES256 signatures must be strict DER; wrong lengths are malformed before any crypto.
TEST(CoseKey, SignatureShapes) {
  TestAuthenticator ec(CoseAlg::ES256), ed(CoseAlg::EdDSA);
  auto eck = CoseKey::parse(ec.cose());
  std::string sig = ec.sign("m");
  EXPECT_EQ(eck->verify("m", sig + '\0').error(), WebauthnError::signature_malformed);
  EXPECT_EQ(eck->verify("m", std::string(64, '\1')).error(), WebauthnError::signature_malformed);  // raw r||s
  auto edk = CoseKey::parse(ed.cose());
  EXPECT_EQ(edk->verify("m", ed.sign("m").substr(1)).error(), WebauthnError::signature_malformed);
}

}  // namespace
}  // namespace cloakroom::webauthn
