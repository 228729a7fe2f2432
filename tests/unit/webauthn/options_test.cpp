#include "webauthn/options.h"

#include <gtest/gtest.h>

#include "core/json.h"
#include "jose/base64url.h"

namespace cloakroom::webauthn {
namespace {

RelyingParty rp() { return *RelyingParty::from_public_url("https://auth.example.com", "cloakroom"); }

// The creation options carry our fixed policy and the caller's binary values in base64url.
TEST(Options, Creation) {
  const RelyingParty party = rp();
  OsRandom rng;
  const std::string challenge = new_challenge(rng), handle = new_user_handle(rng);
  EXPECT_EQ(challenge.size(), 32u);
  EXPECT_EQ(handle.size(), 32u);
  EXPECT_NE(challenge, new_challenge(rng));
  auto doc = json::parse(creation_options_json({.rp = party, .challenge = challenge, .user_handle = handle,
                                                .user_name = "alice", .display_name = "Alice \"A\"",
                                                .exclude_credential_ids = {"c1"}, .timeout_ms = 60000}));
  ASSERT_TRUE(doc);
  EXPECT_EQ(doc->find("challenge")->text, jose::base64url_encode(challenge));
  EXPECT_EQ(doc->find("rp")->find("id")->text, "auth.example.com");
  EXPECT_EQ(doc->find("user")->find("id")->text, jose::base64url_encode(handle));
  EXPECT_EQ(doc->find("user")->find("displayName")->text, "Alice \"A\"");
  const auto& params = doc->find("pubKeyCredParams")->items;
  ASSERT_EQ(params.size(), 3u);
  EXPECT_EQ(params[0].find("alg")->text, "-7");
  EXPECT_EQ(params[1].find("alg")->text, "-8");
  EXPECT_EQ(params[2].find("alg")->text, "-257");
  EXPECT_EQ(doc->find("authenticatorSelection")->find("residentKey")->text, "required");
  EXPECT_EQ(doc->find("authenticatorSelection")->find("userVerification")->text, "preferred");
  EXPECT_EQ(doc->find("attestation")->text, "none");
  EXPECT_EQ(doc->find("excludeCredentials")->items[0].find("id")->text, jose::base64url_encode("c1"));
  EXPECT_EQ(doc->find("timeout")->text, "60000");
}

// An empty allowCredentials asks for a discoverable credential (usernameless sign-in).
TEST(Options, Request) {
  const RelyingParty party = rp();
  auto doc = json::parse(request_options_json({.rp = party, .challenge = "abc"}));
  ASSERT_TRUE(doc);
  EXPECT_EQ(doc->find("rpId")->text, "auth.example.com");
  EXPECT_EQ(doc->find("challenge")->text, "YWJj");
  EXPECT_TRUE(doc->find("allowCredentials")->items.empty());
  EXPECT_EQ(doc->find("userVerification")->text, "preferred");
}

}  // namespace
}  // namespace cloakroom::webauthn
