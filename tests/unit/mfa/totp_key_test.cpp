#include "mfa/totp_key.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "support/fake_random.h"

namespace cloakroom {
namespace {

class TotpKeyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir = ::testing::TempDir() + "/totp-key-" + std::to_string(::getpid()) + "-" +
          ::testing::UnitTest::GetInstance()->current_test_info()->name();
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
  }
  void TearDown() override { std::filesystem::remove_all(dir); }
  std::string file() const { return dir + "/totp.key"; }
  std::string dir;
  testing::FakeRandom random;
};

const char kKek[] = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8";

// With a KEK configured it is the key (and no file is made), users shared or not.
TEST_F(TotpKeyTest, KekWhenConfigured) {
  auto kek = KeyEncryptionKey::parse(kKek);
  for (bool shared : {false, true}) {
    auto key = open_totp_key(kKek, "", shared, dir, random);
    ASSERT_TRUE(key);
    EXPECT_EQ(*key->open(kek->seal("s", "p", random), "p"), "s");
    EXPECT_EQ(key->openers(), 0u);
  }
  EXPECT_FALSE(std::filesystem::exists(file()));
}

// A KEK set after users enrolled under the file: new secrets are sealed
// under the KEK, and the file still opens the earlier ones (it did not:
// those users had lost their second factor).
TEST_F(TotpKeyTest, KekSetLaterKeepsOpeningWhatTheFileSealed) {
  auto file_key = open_totp_key("", "", false, dir, random);
  ASSERT_TRUE(file_key);
  const std::string before = file_key->seal("enrolled before", "p", random);
  auto keys = open_totp_key(kKek, "", false, dir, random);
  ASSERT_TRUE(keys) << keys.error().text();
  EXPECT_EQ(*keys->open(before, "p"), "enrolled before");
  const std::string after = keys->seal("enrolled after", "p", random);
  EXPECT_EQ(*KeyEncryptionKey::parse(kKek)->open(after, "p"), "enrolled after");  // sealed under the KEK
  EXPECT_FALSE(file_key->open(after, "p"));
  auto altered = keys->open(before.substr(0, before.size() - 1) + "x", "p");
  ASSERT_FALSE(altered);
  EXPECT_EQ(altered.error().code, ErrorCode::decryption_failed);
}

// Beside a KEK, the file still opens secrets, so it must pass the same checks.
TEST_F(TotpKeyTest, KekSetLaterRefusesABadFile) {
  ASSERT_TRUE(open_totp_key("", "", false, dir, random));
  ::chmod(file().c_str(), 0644);
  auto keys = open_totp_key(kKek, "", false, dir, random);
  ASSERT_FALSE(keys);
  EXPECT_EQ(keys.error().code, ErrorCode::config_invalid);
  EXPECT_EQ(keys.error().text(),
            "The TOTP key file " + file() + " is readable by others; chmod 600 it (it seals the TOTP secrets).");
}

// Users in PostgreSQL without a KEK: refused, naming both ways to set one.
TEST_F(TotpKeyTest, SharedUsersNeedTheKek) {
  auto key = open_totp_key("", "", true, dir, random);
  ASSERT_FALSE(key);
  EXPECT_EQ(key.error().code, ErrorCode::config_invalid);
  EXPECT_NE(key.error().text().find("jwt.key_encryption_key_file"), std::string_view::npos);
}

// Otherwise a key file is made once (0600) and read back by every later start.
TEST_F(TotpKeyTest, DedicatedFileMadeOnceAndKept) {
  auto first = open_totp_key("", "", false, dir, random);
  ASSERT_TRUE(first) << first.error().text();
  struct stat st {};
  ASSERT_EQ(::stat(file().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  const std::string blob = first->seal("secret", "p", random);
  auto again = open_totp_key("", "", false, dir, random);  // random has moved on: a new key would differ
  ASSERT_TRUE(again);
  EXPECT_EQ(*again->open(blob, "p"), "secret");
}

// A key file others can read is refused, not used.
TEST_F(TotpKeyTest, RefusesReadableKeyFile) {
  ASSERT_TRUE(open_totp_key("", "", false, dir, random));
  ::chmod(file().c_str(), 0644);
  auto key = open_totp_key("", "", false, dir, random);
  ASSERT_FALSE(key);
  EXPECT_EQ(key.error().code, ErrorCode::config_invalid);
}

// A file that is not a key is an error naming the file.
TEST_F(TotpKeyTest, RefusesGarbage) {
  {
    std::ofstream out(file());
    out << "not a key\n";
  }
  ::chmod(file().c_str(), 0600);
  auto key = open_totp_key("", "", false, dir, random);
  ASSERT_FALSE(key);
  EXPECT_EQ(key.error().code, ErrorCode::config_invalid);
  EXPECT_NE(key.error().text().find(file()), std::string_view::npos);
}

// A symbolic link in place of the key file is refused, not followed (the old
// stat-then-read by name followed it, to any 0600 file).
TEST_F(TotpKeyTest, RefusesSymlink) {
  ASSERT_TRUE(open_totp_key("", "", false, dir, random));
  const std::string real = dir + "/real.key";
  ASSERT_EQ(::rename(file().c_str(), real.c_str()), 0);
  ASSERT_EQ(::symlink(real.c_str(), file().c_str()), 0);
  auto key = open_totp_key("", "", false, dir, random);
  ASSERT_FALSE(key);
  EXPECT_EQ(key.error().code, ErrorCode::config_invalid);
  EXPECT_EQ(key.error().text(), "The TOTP key file " + file() + " is a symbolic link; it must be the file itself.");
}

// A key file another user owns is refused (they could have chosen the key).
TEST_F(TotpKeyTest, RefusesAnotherUsersFile) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to chown";
  ASSERT_TRUE(open_totp_key("", "", false, dir, random));
  ASSERT_EQ(::chown(file().c_str(), 65534, 65534), 0);
  auto key = open_totp_key("", "", false, dir, random);
  ASSERT_FALSE(key);
  EXPECT_EQ(key.error().code, ErrorCode::config_invalid);
  EXPECT_EQ(key.error().text(), "The TOTP key file " + file() +
                                    " belongs to uid 65534, not to uid 0 that cloakroom runs as; chown it.");
}

// A directory in its place is not a key file.
TEST_F(TotpKeyTest, RefusesNonRegularFile) {
  std::filesystem::create_directories(file());
  ::chmod(file().c_str(), 0700);
  auto key = open_totp_key("", "", false, dir, random);
  ASSERT_FALSE(key);
  EXPECT_EQ(key.error().text(), "The TOTP key file " + file() + " is not a regular file.");
}

// A KEK set after totp.key sealed secrets: a warning names the file and
// says removing it loses those users' TOTP; without the file, no warning.
TEST_F(TotpKeyTest, KekOverAnOldKeyFileWarns) {
  ::testing::internal::CaptureStderr();
  ASSERT_TRUE(open_totp_key(kKek, "", false, dir, random));
  EXPECT_EQ(::testing::internal::GetCapturedStderr().find("totp_key_file_left"), std::string::npos);
  ASSERT_TRUE(open_totp_key("", "", false, dir, random));  // the file era
  ::testing::internal::CaptureStderr();
  ASSERT_TRUE(open_totp_key(kKek, "", false, dir, random));
  const std::string log = ::testing::internal::GetCapturedStderr();
  EXPECT_NE(log.find(R"("event":"totp_key_file_left")"), std::string::npos) << log;
  EXPECT_NE(log.find(file()), std::string::npos) << log;
  EXPECT_NE(log.find("run `cloakroom key rewrap` to reseal them under the key-encryption key, then remove the "
                     "file (removing it before loses those users' TOTP for good)"),
            std::string::npos)
      << log;
  EXPECT_TRUE(std::filesystem::exists(file()));  // left alone
  ::testing::internal::CaptureStderr();
  ASSERT_TRUE(open_totp_key(kKek, "", false, dir, random, /*quiet=*/true));  // key rewrap says it itself
  EXPECT_EQ(::testing::internal::GetCapturedStderr(), "");
}

// During a KEK rotation the ring opens what the previous KEK and totp.key
// sealed, and seals under the current KEK only.
TEST_F(TotpKeyTest, PreviousKekAndFileBothOpen) {
  const char kNew[] = "BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc";
  auto file_key = open_totp_key("", "", false, dir, random);
  ASSERT_TRUE(file_key);
  const std::string by_file = file_key->seal("file era", "p", random);
  const std::string by_old = KeyEncryptionKey::parse(kKek)->seal("old kek", "p", random);
  auto keys = open_totp_key(kNew, kKek, false, dir, random, /*quiet=*/true);
  ASSERT_TRUE(keys) << keys.error().text();
  EXPECT_EQ(keys->openers(), 2u);
  EXPECT_EQ(*keys->open(by_file, "p"), "file era");
  EXPECT_EQ(*keys->open(by_old, "p"), "old kek");
  const std::string fresh = keys->seal("new", "p", random);
  EXPECT_TRUE(keys->is_current(fresh));
  EXPECT_EQ(*KeyEncryptionKey::parse(kNew)->open(fresh, "p"), "new");
}

}  // namespace
}  // namespace cloakroom
