#include "store/sqlite/database.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "support/temp_sqlite.h"

namespace cloakroom::sqlite {
namespace {

unsigned mode_of(const std::string& path) {
  struct stat st{};
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return st.st_mode & 0777;
}

// The database, its WAL and its shared-memory file are owner-only (0600),
// whatever the umask: they hold password hashes and session hashes.
TEST(SqliteDatabase, FilesAreOwnerOnly) {
  const mode_t old_umask = ::umask(022);  // the usual default, which gave 0644
  testing::TempSqlite db;
  ::umask(old_umask);
  ASSERT_TRUE(db.db()->run([](Connection& c) { return c.exec("CREATE TABLE t (x); INSERT INTO t VALUES (1);"); }));
  for (const char* suffix : {"", "-wal", "-shm"}) EXPECT_EQ(mode_of(db.path() + suffix), 0600u) << suffix;
}

// A database an older version left 0644 (with its WAL) is tightened on open.
TEST(SqliteDatabase, OpeningTightensAnExistingFile) {
  const std::string path = ::testing::TempDir() + "/loose-" + std::to_string(::getpid()) + ".db";
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
  std::ofstream(path).close();
  std::ofstream(path + "-wal").close();
  ::chmod(path.c_str(), 0644);
  ::chmod((path + "-wal").c_str(), 0644);
  ::testing::internal::CaptureStderr();
  {
    auto db = Database::open(path);
    ASSERT_TRUE(db);
    EXPECT_EQ(mode_of(path), 0600u);
    EXPECT_EQ(mode_of(path + "-wal"), 0600u);
  }
  std::string log = ::testing::internal::GetCapturedStderr();
  EXPECT_NE(log.find("file_mode_tightened"), std::string::npos) << log;
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
}

}  // namespace
}  // namespace cloakroom::sqlite
