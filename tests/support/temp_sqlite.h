#pragma once
// A SQLite database file in the test temp dir, removed (with its WAL) afterwards.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <string>

#include "store/sqlite/database.h"

namespace cloakroom::testing {

class TempSqlite {
 public:
  TempSqlite() {
    path_ = ::testing::TempDir() + "/cloakroom-" + std::to_string(::getpid()) + "-" + std::to_string(counter()++) + ".db";
    remove();
    auto db = sqlite::Database::open(path_);
    EXPECT_TRUE(db);
    db_ = *db;
  }
  ~TempSqlite() {
    db_.reset();
    remove();
  }
  std::shared_ptr<sqlite::Database> db() const { return db_; }
  const std::string& path() const { return path_; }

 private:
  static int& counter() {
    static int n = 0;
    return n;
  }
  void remove() {
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path_ + suffix);
  }
  std::string path_;
  std::shared_ptr<sqlite::Database> db_;
};

}  // namespace cloakroom::testing
