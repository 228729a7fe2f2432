#include "token/access_tokens.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "jose/keys_file.h"
#include "support/fake_clock.h"

namespace cloakroom {
namespace {

class AccessTokensTest : public ::testing::Test {
 protected:
  static Config test_config() {
    Config c;
    c.jwt.issuer = "https://auth.example.com";  // before AccessTokens reads it
    return c;
  }
  Config config = test_config();
  testing::FakeClock clock;
  OsRandom rng;
  RevocationList revocations;
  AccessTokens tokens{config, jose::KeySet({*jose::Jwk::generate(jose::Alg::ES256)}), clock, rng, revocations};
};

// mint_access carries the family as sid and the user's current epoch.
TEST_F(AccessTokensTest, MintAccessCarriesSidAndEpoch) {
  revocations.raise_epoch("u1", 4);
  auto jwt = tokens.mint_access("u1", "alice", {"admin"}, "fam1", AuthMethods::password(), 0);
  ASSERT_TRUE(jwt);
  auto v = tokens.verify(*jwt);
  ASSERT_TRUE(v);
  EXPECT_EQ((*v)->claims.session_id, "fam1");
  EXPECT_EQ((*v)->claims.epoch, 4);
  EXPECT_EQ((*v)->claims.expires_at - (*v)->claims.issued_at, 900);
  EXPECT_EQ((*v)->principal.roles_header, "admin");
}

// amr and auth_time round-trip through the JWT: the RFC 8176 names with the
// derived "mfa", auth_time in seconds; a token without them has neither, and
// one that merely claims "mfa" is not multi-factor.
TEST_F(AccessTokensTest, AmrAndAuthTimeRoundTrip) {
  const AuthMethods passkey = AuthMethods{}.with(AuthMethod::hwk).with(AuthMethod::user);
  auto v = tokens.verify(*tokens.mint_access("u1", "alice", {}, "f1", passkey, 1'700'000'000'999));
  ASSERT_TRUE(v);
  EXPECT_EQ((*v)->claims.amr, (std::vector<std::string>{"hwk", "user", "mfa"}));
  EXPECT_EQ((*v)->claims.auth_time, 1'700'000'000);
  EXPECT_EQ((*v)->amr, passkey);
  EXPECT_TRUE((*v)->amr.multi_factor());

  auto none = tokens.verify(*tokens.mint_access("u1", "alice", {}, "f2", AuthMethods{}, 1'700'000'000'000));
  ASSERT_TRUE(none);
  EXPECT_TRUE((*none)->claims.amr.empty());
  EXPECT_EQ((*none)->claims.auth_time, 0);
  EXPECT_TRUE((*none)->amr.empty());

  auto claimed = tokens.verify(*tokens.mint("u1", "alice", {}, std::chrono::seconds(600), {{"x", "y"}}));
  ASSERT_TRUE(claimed);
  EXPECT_TRUE((*claimed)->amr.empty());
}

// The verified-token cache never serves a revoked token: a token verified
// (and cached) before its jti, family or epoch was revoked fails right after.
TEST_F(AccessTokensTest, CachedTokensFailOnceRevoked) {
  auto by_jti = *tokens.mint_access("u1", "alice", {}, "f1", AuthMethods::password(), 0);
  auto by_family = *tokens.mint_access("u1", "alice", {}, "f2", AuthMethods::password(), 0);
  auto by_epoch = *tokens.mint_access("u2", "bob", {}, "f3", AuthMethods::password(), 0);
  for (const auto& t : {by_jti, by_family, by_epoch}) ASSERT_TRUE(tokens.verify(t));
  for (const auto& t : {by_jti, by_family, by_epoch}) ASSERT_TRUE(tokens.verify(t));  // cache hits

  revocations.add({Revocation::Kind::token, (*tokens.verify(by_jti))->claims.jwt_id, 1});
  EXPECT_EQ(tokens.verify(by_jti).error(), jose::JoseError::revoked);
  EXPECT_TRUE(tokens.verify(by_family));
  revocations.add({Revocation::Kind::family, "f2", 1});
  EXPECT_EQ(tokens.verify(by_family).error(), jose::JoseError::revoked);
  EXPECT_TRUE(tokens.verify(by_epoch));
  revocations.raise_epoch("u2", 1);
  EXPECT_EQ(tokens.verify(by_epoch).error(), jose::JoseError::revoked);
  // A token minted after the epoch rise carries the new epoch and passes.
  EXPECT_TRUE(tokens.verify(*tokens.mint_access("u2", "bob", {}, "f4", AuthMethods::password(), 0)));
  // Revocation is checked on a fresh verification too (not only on cache hits).
  auto fresh = *tokens.mint_access("u3", "carol", {}, "f5", AuthMethods::password(), 0);
  revocations.add({Revocation::Kind::family, "f5", 1});
  EXPECT_EQ(tokens.verify(fresh).error(), jose::JoseError::revoked);
}

// A token without sid or epoch (minted elsewhere with our key) is judged by jti and epoch 0.
TEST_F(AccessTokensTest, TokensWithoutSidOrEpoch) {
  auto plain = *tokens.mint("u1", "alice", {}, std::chrono::seconds(600));
  ASSERT_TRUE(tokens.verify(plain));
  revocations.raise_epoch("u1", 1);
  EXPECT_EQ(tokens.verify(plain).error(), jose::JoseError::revoked);
}

// Hot reload of jwt.keys applies the startup checks: a file others can read
// or one whose active key is public-only is refused with a logged reason,
// the keys in use stay (tokens keep minting and verifying), and fixing the
// file (even by chmod alone) is picked up. reload_refused() says so from
// the refusal until a change loads.
TEST(AccessTokensReload, RefusesWhatStartupRefuses) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::path(::testing::TempDir()) / ("reload-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  Config config;
  config.jwt.issuer = "https://auth.example.com";
  config.jwt.keys = (dir / "keys.jwks.json").string();
  // Written beside and renamed into place, as `cloakroom key` does.
  auto replace = [&](const std::string& text, mode_t mode) {
    const std::string tmp = config.jwt.keys + ".new";
    std::ofstream(tmp, std::ios::trunc) << text;
    ::chmod(tmp.c_str(), mode);
    fs::rename(tmp, config.jwt.keys);
  };
  jose::KeySet first({*jose::Jwk::generate(jose::Alg::ES256)});
  ASSERT_TRUE(jose::save_keys(config.jwt.keys, first));
  const std::string first_kid = first.active()->kid();
  testing::FakeClock clock;
  OsRandom rng;
  RevocationList revocations;
  auto source = file_key_source(config, nullptr);
  AccessTokens tokens{config, *source->load_or_create(nullptr), clock, rng, revocations, source.get()};
  EXPECT_FALSE(tokens.reload_if_changed());  // unchanged
  EXPECT_FALSE(tokens.reload_refused());

  // 1. A new key in a file others can read: refused, logged, old keys kept.
  jose::KeySet second({*jose::Jwk::generate(jose::Alg::ES256)});
  replace(second.to_jwks(true), 0644);
  ::testing::internal::CaptureStderr();
  EXPECT_FALSE(tokens.reload_if_changed());
  std::string log = ::testing::internal::GetCapturedStderr();
  EXPECT_NE(log.find("keys_reload_failed"), std::string::npos) << log;
  EXPECT_NE(log.find("is readable by other users"), std::string::npos) << log;
  EXPECT_EQ(tokens.keys()->active()->kid(), first_kid);
  EXPECT_TRUE(tokens.reload_refused());  // what the heartbeat reports: an older set than the one kept
  auto jwt = tokens.mint_access("u1", "alice", {}, "f1", AuthMethods::password(), 0);
  ASSERT_TRUE(jwt);
  EXPECT_TRUE(tokens.verify(*jwt));
  // Judged once per change, not re-logged every second.
  ::testing::internal::CaptureStderr();
  EXPECT_FALSE(tokens.reload_if_changed());
  EXPECT_EQ(::testing::internal::GetCapturedStderr(), "");
  EXPECT_TRUE(tokens.reload_refused());  // still, until a change loads

  // 2. chmod 600 alone (only ctime changes) fixes it. The loop is bounded:
  // it only waits for the file system clock to tick.
  struct stat before{}, after{};
  ::stat(config.jwt.keys.c_str(), &before);
  for (int i = 0; i < 2000; ++i) {
    ::chmod(config.jwt.keys.c_str(), 0600);  // sets ctime even when the mode is unchanged
    ::stat(config.jwt.keys.c_str(), &after);
    if (after.st_ctim.tv_sec != before.st_ctim.tv_sec || after.st_ctim.tv_nsec != before.st_ctim.tv_nsec) break;
    ::usleep(1000);
  }
  EXPECT_TRUE(tokens.reload_if_changed());
  EXPECT_EQ(tokens.keys()->active()->kid(), second.active()->kid());
  EXPECT_FALSE(tokens.reload_refused());

  // 3. An active key without its private part: refused, signing goes on.
  jose::KeySet third({*jose::Jwk::generate(jose::Alg::ES256)});
  replace(third.to_jwks(false), 0600);
  ::testing::internal::CaptureStderr();
  EXPECT_FALSE(tokens.reload_if_changed());
  log = ::testing::internal::GetCapturedStderr();
  EXPECT_NE(log.find("has no private key to sign with"), std::string::npos) << log;
  EXPECT_EQ(tokens.keys()->active()->kid(), second.active()->kid());
  EXPECT_TRUE(tokens.mint_access("u1", "alice", {}, "f1", AuthMethods::password(), 0));

  // 4. A deleted file keeps the keys in use too.
  fs::remove(config.jwt.keys);
  EXPECT_FALSE(tokens.reload_if_changed());
  EXPECT_TRUE(tokens.mint_access("u1", "alice", {}, "f1", AuthMethods::password(), 0));
  fs::remove_all(dir);
}

// A retired key verifies until jwt.access_ttl + jwt.leeway after its
// retirement; then the next maintenance pass drops it (logged key_dropped):
// its tokens fail as kid_unknown, even from the verified-token cache, and the
// published JWKS no longer lists it. No change to the stored keys is needed.
TEST_F(AccessTokensTest, RetiredKeyIsDroppedWhenItsGracePasses) {
  const auto grace = AccessTokens::retirement_grace(config);
  EXPECT_EQ(grace, std::chrono::seconds(15 * 60 + 60));
  jose::Jwk signer = *jose::Jwk::generate(jose::Alg::ES256);
  jose::Jwk old = *jose::Jwk::generate(jose::Alg::ES256);
  const long long retired_at = unix_seconds(clock.now());
  AccessTokens old_signer{config, jose::KeySet({old}), clock, rng, revocations};
  const std::string token = *old_signer.mint("u1", "alice", {}, std::chrono::hours(1));
  AccessTokens retiring{config, jose::KeySet({signer, old}).retired(old.kid(), retired_at), clock, rng, revocations};
  ASSERT_TRUE(retiring.verify(token));  // cached from here on
  EXPECT_NE(retiring.keys()->to_jwks(false).find(old.kid()), std::string::npos);

  clock.advance(grace - std::chrono::seconds(1));
  EXPECT_FALSE(retiring.reload_if_changed());
  EXPECT_TRUE(retiring.verify(token));

  clock.advance(std::chrono::seconds(1));
  ::testing::internal::CaptureStderr();
  EXPECT_TRUE(retiring.reload_if_changed());
  const std::string log = ::testing::internal::GetCapturedStderr();
  EXPECT_NE(log.find("\"event\":\"key_dropped\""), std::string::npos) << log;
  EXPECT_NE(log.find(old.kid()), std::string::npos) << log;
  EXPECT_EQ(retiring.verify(token).error(), jose::JoseError::kid_unknown);
  EXPECT_EQ(retiring.keys()->to_jwks(false).find(old.kid()), std::string::npos);
  EXPECT_EQ(retiring.keys()->active()->kid(), signer.kid());
  EXPECT_TRUE(retiring.verify(*retiring.mint("u1", "alice", {}, std::chrono::minutes(5))));
  // Dropped once: later passes change nothing.
  EXPECT_FALSE(retiring.reload_if_changed());

  // A process that starts after the grace never takes the key in.
  AccessTokens late{config, jose::KeySet({signer, old}).retired(old.kid(), retired_at), clock, rng, revocations};
  EXPECT_EQ(late.keys()->find(old.kid()), nullptr);
  EXPECT_EQ(late.verify(token).error(), jose::JoseError::kid_unknown);
}

}  // namespace
}  // namespace cloakroom
