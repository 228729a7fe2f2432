#include "cli/data_dir.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>

namespace cloakroom::cli {
namespace {

namespace fs = std::filesystem;

class DataDir : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("cloakroom-data-dir-test-" + std::to_string(::getpid()));
    fs::remove_all(root_);
    fs::create_directories(root_);
  }
  void TearDown() override { fs::remove_all(root_); }

  Config config_in(const fs::path& dir) {
    Config c;
    c.data_dir = dir.string();
    c.store.users = c.store.sessions = "sqlite://" + (dir / "cloakroom.db").string();
    c.jwt.keys = (dir / "keys.jwks.json").string();
    return c;
  }

  fs::path root_;
};

// A missing data dir is refused by name, and nothing is created.
TEST_F(DataDir, MissingDataDirIsRefusedAndNotCreated) {
  const fs::path dir = root_ / "cloakroom-data";
  auto stores = open_existing_stores(config_in(dir));
  ASSERT_FALSE(stores);
  EXPECT_EQ(stores.error().code, ErrorCode::not_found);
  EXPECT_EQ(std::string(stores.error().text()),
            "no data directory at " + dir.string() +
                ": run this where the data is, or pass --data-dir DIR; only cloakroom user add and cloakroom serve "
                "create one");
  EXPECT_FALSE(fs::exists(dir));
}

// A data dir without its database: the database is named, and not created empty.
TEST_F(DataDir, MissingDatabaseIsRefusedAndNotCreated) {
  auto stores = open_existing_stores(config_in(root_));
  ASSERT_FALSE(stores);
  EXPECT_EQ(std::string(stores.error().text()),
            "no database at " + (root_ / "cloakroom.db").string() +
                " (store.users); only cloakroom user add and cloakroom serve create one");
  EXPECT_TRUE(fs::is_empty(root_));
}

// Stores that are not files need no data dir; the keys file's folder is still required.
TEST_F(DataDir, MemoryStoresNeedNoDataDirButTheKeysFileDoes) {
  Config c = config_in(root_ / "absent");
  c.store.users = c.store.sessions = "memory://";
  auto stores = open_existing_stores(c);
  ASSERT_TRUE(stores) << stores.error().text();
  auto keys = open_existing_key_source(c, *stores);
  ASSERT_FALSE(keys);
  EXPECT_EQ(keys.error().code, ErrorCode::not_found);
  EXPECT_FALSE(fs::exists(root_ / "absent"));
}

// DataDirWatch tells whether the data dir was made after it looked.
TEST_F(DataDir, WatchTellsWhetherItWasCreated) {
  const fs::path dir = root_ / "new";
  DataDirWatch watch(config_in(dir));
  EXPECT_FALSE(watch.created());
  fs::create_directories(dir);
  EXPECT_TRUE(watch.created());
  EXPECT_EQ(watch.where(), dir.string());
  EXPECT_FALSE(DataDirWatch(config_in(dir)).created());
}

}  // namespace
}  // namespace cloakroom::cli
