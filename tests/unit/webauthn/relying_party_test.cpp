#include "webauthn/relying_party.h"

#include <gtest/gtest.h>

namespace cloakroom::webauthn {
namespace {

// rpId is the host without port; origin keeps a non-default port only.
TEST(RelyingParty, FromPublicUrl) {
  auto rp = RelyingParty::from_public_url("https://Auth.Example.com:8443", "cloakroom");
  ASSERT_TRUE(rp);
  EXPECT_EQ(rp->id, "auth.example.com");
  EXPECT_EQ(rp->origin, "https://auth.example.com:8443");
  EXPECT_EQ(rp->name, "cloakroom");
  EXPECT_EQ(rp->id_hash, sha256("auth.example.com"));
  EXPECT_EQ(RelyingParty::from_public_url("https://example.com:443/", "x")->origin, "https://example.com");
  EXPECT_EQ(RelyingParty::from_public_url("http://localhost:80", "x")->origin, "http://localhost");
  EXPECT_EQ(RelyingParty::from_public_url("http://localhost:8080", "x")->id, "localhost");
}

// Browsers refuse IP addresses as rpId: say so at once instead of failing in the browser.
TEST(RelyingParty, IpLiteralsAreRefused) {
  EXPECT_EQ(RelyingParty::from_public_url("http://127.0.0.1:8080", "x").error().code, ErrorCode::config_invalid);
  EXPECT_EQ(RelyingParty::from_public_url("http://[::1]:8080", "x").error().code, ErrorCode::config_invalid);
  EXPECT_EQ(RelyingParty::from_public_url("ftp://example.com", "x").error().code, ErrorCode::config_invalid);
}

}  // namespace
}  // namespace cloakroom::webauthn
