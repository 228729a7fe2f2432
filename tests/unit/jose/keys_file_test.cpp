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
  EXPECT_NE(unknown.error().text().find("no key with kid \"no-such-kid\""), std::string_view::npos);

  write("{\"keys\":", 0600);
  auto broken = load_signing_keys(path(), "");
  ASSERT_FALSE(broken);
  EXPECT_NE(broken.error().text().find("is not valid JSON"), std::string_view::npos);
}

}  // namespace
}  // namespace cloakroom::jose
