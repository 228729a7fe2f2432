#include "jose/keys_file.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <thread>
#include <vector>

namespace cloakroom::jose {
namespace {

namespace fs = std::filesystem;

class KeysFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(::testing::TempDir()) / ("keys-file-" + std::to_string(::getpid()) + "-" +
                                             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string path() const { return (dir_ / "keys.jwks.json").string(); }
  void write(const std::string& text, mode_t mode) {
    std::ofstream(path(), std::ios::trunc) << text;
    ::chmod(path().c_str(), mode);
  }
  fs::path dir_;
};

// A missing file is created (0600, one ES256 key) and the caller is told so
// (it warns when users exist); an existing file is loaded, not replaced.
TEST_F(KeysFileTest, CreatesOnlyWhenMissing) {
  bool created = false;
  auto keys = load_or_create_keys(path(), "", &created);
  ASSERT_TRUE(keys);
  EXPECT_TRUE(created);
  EXPECT_EQ(keys->active()->alg(), Alg::ES256);
  struct stat st{};
  ASSERT_EQ(::stat(path().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);

  auto again = load_or_create_keys(path(), "", &created);
  ASSERT_TRUE(again);
  EXPECT_FALSE(created);
  EXPECT_EQ(again->active()->kid(), keys->active()->kid());
}

// Several processes starting at once on one data dir all end up with the
// one key set that was written first: none generates a set of its own.
TEST_F(KeysFileTest, ConcurrentFirstStartsAgreeOnOneKeySet) {
  constexpr int kStarters = 8;
  std::vector<std::string> kids(kStarters);
  std::vector<std::thread> threads;
  for (int i = 0; i < kStarters; ++i)
    threads.emplace_back([&, i] {
      auto keys = load_or_create_keys(path(), "");
      if (keys) kids[i] = keys->active()->kid();
    });
  for (auto& t : threads) t.join();
  auto on_disk = load_signing_keys(path(), "");
  ASSERT_TRUE(on_disk);
  for (const auto& kid : kids) EXPECT_EQ(kid, on_disk->active()->kid());
  for (const auto& entry : fs::directory_iterator(dir_))  // no temporary file left behind
    EXPECT_EQ(entry.path().filename(), "keys.jwks.json");
}

// The checks a hot reload shares with startup: mode, private active key, kid.
TEST_F(KeysFileTest, LoadSigningKeysRefusesWhatStartupRefuses) {
  KeySet keys({*Jwk::generate(Alg::ES256)});
  write(keys.to_jwks(true), 0600);
  ASSERT_TRUE(load_signing_keys(path(), ""));

  write(keys.to_jwks(true), 0644);
  auto readable = load_signing_keys(path(), "");
  ASSERT_FALSE(readable);
  EXPECT_EQ(readable.error().code, ErrorCode::config_invalid);
  EXPECT_NE(readable.error().text().find("is readable by other users"), std::string_view::npos);

  write(keys.to_jwks(false), 0600);  // public members only
  auto public_only = load_signing_keys(path(), "");
  ASSERT_FALSE(public_only);
  EXPECT_EQ(public_only.error().code, ErrorCode::config_invalid);
  EXPECT_NE(public_only.error().text().find("has no private key to sign with"), std::string_view::npos);
  EXPECT_TRUE(load_keys(path()));  // the CLI's --jwks still reads it (verification only)

  write(keys.to_jwks(true), 0600);
  auto unknown = load_signing_keys(path(), "no-such-kid");
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code, ErrorCode::config_invalid);  // the CLI exits 2, as for any config error
  EXPECT_EQ(unknown.error().text(),
            "The keys file " + path() + " has no key with kid \"no-such-kid\" (jwt.signing_kid).");

  write("{\"keys\":", 0600);
  auto broken = load_signing_keys(path(), "");
  ASSERT_FALSE(broken);
  EXPECT_NE(broken.error().text().find("is not valid JSON"), std::string_view::npos);
}

// A file system failure is io_error (exit 1), not a configuration error
// (exit 2): nothing in the config would fix it.
TEST_F(KeysFileTest, FileSystemFailuresAreIoErrors) {
  auto unreadable = load_keys((dir_ / "missing.json").string());
  ASSERT_FALSE(unreadable);
  EXPECT_EQ(unreadable.error().code, ErrorCode::io_error);
  std::ofstream(dir_ / "plain") << "x";  // a file where the keys' directory should be
  auto unwritable = load_or_create_keys((dir_ / "plain" / "keys.json").string(), "", nullptr);
  ASSERT_FALSE(unwritable);
  EXPECT_EQ(unwritable.error().code, ErrorCode::io_error);
  EXPECT_NE(unwritable.error().text().find("cannot be written"), std::string_view::npos) << unwritable.error().text();
}

// The signing key must not be a retired one: its tokens would stop verifying
// when it is dropped. Startup, reload and update_keys refuse it alike.
TEST_F(KeysFileTest, RefusesARetiredSigningKey) {
  Jwk a = *Jwk::generate(Alg::ES256), b = *Jwk::generate(Alg::ES256);
  write(KeySet({a, b}).retired(a.kid(), 1'800'000'000).to_jwks(true), 0600);
  auto loaded = load_signing_keys(path(), "");
  ASSERT_FALSE(loaded);
  EXPECT_EQ(loaded.error().code, ErrorCode::config_invalid);
  EXPECT_EQ(loaded.error().text(), "The keys file " + path() + " names a retired key (" + a.kid() + ") as the signing key.");
  EXPECT_TRUE(load_signing_keys(path(), b.kid()));  // another signer is fine

  write(KeySet({a, b}).to_jwks(true), 0600);
  auto refused = update_keys(path(), "", [&](const KeySet& k) -> Result<KeySet> { return k.retired(a.kid(), 5); });
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().text().find("names a retired key"), std::string_view::npos);
  EXPECT_EQ(load_signing_keys(path(), "")->retired_at(a.kid()), 0);  // the file is unchanged
}

// update_keys stores what the change returns; an error from the change
// leaves the file as it was.
TEST_F(KeysFileTest, UpdateKeysStoresTheChangeOrNothing) {
  Jwk a = *Jwk::generate(Alg::ES256), b = *Jwk::generate(Alg::EdDSA);
  write(KeySet({a}).to_jwks(true), 0600);
  auto stored = update_keys(path(), "", [&](const KeySet& k) -> Result<KeySet> { return k.with_key(b).retired(b.kid(), 7); });
  ASSERT_TRUE(stored);
  auto back = load_signing_keys(path(), "");
  ASSERT_TRUE(back);
  EXPECT_EQ(back->keys().size(), 2u);
  EXPECT_EQ(back->retired_at(b.kid()), 7);
  struct stat st{};
  ASSERT_EQ(::stat(path().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);

  auto failed = update_keys(path(), "", [&](const KeySet&) -> Result<KeySet> {
    return Error{ErrorCode::config_invalid, "no"};
  });
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().text(), "no");
  EXPECT_EQ(load_signing_keys(path(), "")->keys().size(), 2u);
}

// Concurrent read-modify-writes (two `cloakroom key` commands at once) lose
// nothing: every key added by every writer is in the file afterwards.
TEST_F(KeysFileTest, ConcurrentUpdatesLoseNoChange) {
  write(KeySet({*Jwk::generate(Alg::ES256)}).to_jwks(true), 0600);
  constexpr int kWriters = 8;
  std::vector<Jwk> added;
  for (int i = 0; i < kWriters; ++i) added.push_back(*Jwk::generate(Alg::HS256));
  std::vector<std::thread> threads;
  for (int i = 0; i < kWriters; ++i)
    threads.emplace_back([&, i] {
      (void)update_keys(path(), "", [&](const KeySet& k) -> Result<KeySet> { return k.with_key(added[i]); });
    });
  for (auto& t : threads) t.join();
  auto back = load_signing_keys(path(), "");
  ASSERT_TRUE(back);
  EXPECT_EQ(back->keys().size(), 1u + kWriters);
  for (const auto& k : added) EXPECT_NE(back->find(k.kid()), nullptr);
}

}  // namespace
}  // namespace cloakroom::jose
