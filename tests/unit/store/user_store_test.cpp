#include "store/user_store.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <optional>

#include "store/memory/user_store.h"
#include "store/postgres/user_store.h"
#include "store/sqlite/database.h"
#include "store/sqlite/user_store.h"
#include "support/postgres_server.h"

namespace cloakroom {
namespace {

// canonical_username is NFC; username_key adds ASCII lower case only.
TEST(UsernameKey, IsNfcThenAsciiLowerCase) {
  EXPECT_EQ(canonical_username("cafe\xcc\x81"), "caf\xc3\xa9");
  EXPECT_EQ(canonical_username("caf\xc3\xa9"), "caf\xc3\xa9");
  EXPECT_EQ(canonical_username("Alice"), "Alice");
  EXPECT_EQ(canonical_username("\xe2\x84\xab"), "\xc3\x85");  // ANGSTROM SIGN -> A with ring
  EXPECT_EQ(canonical_username("a\xff"), "a\xff");              // ill-formed: left as is
  EXPECT_EQ(username_key("CAFE\xcc\x81"), "caf\xc3\x89");  // NFC first: É, which keeps its case
  EXPECT_EQ(username_key("Alice"), "alice");
  EXPECT_EQ(username_key("\xc3\x89"), "\xc3\x89");  // É: Unicode case is not folded
}

// Each backend behind the same interface; TYPED_TEST runs every case on each.
struct MemoryBackend {
  static constexpr const char* kName = "Memory";
  std::unique_ptr<UserStore> make() { return std::make_unique<memory::UserStore>(); }
};

struct SqliteBackend {
  static constexpr const char* kName = "Sqlite";
  std::string path;
  std::unique_ptr<UserStore> make() {
    path = ::testing::TempDir() + "/users-" + std::to_string(::getpid()) + "-" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".db";
    std::filesystem::remove(path);
    auto db = sqlite::Database::open(path);
    EXPECT_TRUE(db);
    return std::make_unique<sqlite::UserStore>(*db);
  }
  ~SqliteBackend() {
    if (!path.empty()) {
      std::filesystem::remove(path);
      std::filesystem::remove(path + "-wal");
      std::filesystem::remove(path + "-shm");
    }
  }
};

// A fresh database on the test binary's one PostgreSQL server.
struct PostgresBackend {
  static constexpr const char* kName = "Postgres";
  std::optional<testing::TempPostgres> database;
  std::unique_ptr<UserStore> make() {
    database.emplace();
    return std::make_unique<postgres::UserStore>(database->db());
  }
};

// Test names say the backend: UserStoreTest/Postgres.CreateThenFind.
struct BackendName {
  template <class Backend>
  static std::string GetName(int) {
    return Backend::kName;
  }
};

template <class Backend>
class UserStoreTest : public ::testing::Test {
 protected:
  void SetUp() override { store = backend.make(); }
  User alice() { return User{"id-alice", "Alice", "$argon2id$hash", {"admin", "ops"}, false, 1700000000}; }
  Backend backend;
  std::unique_ptr<UserStore> store;
};

using Backends = ::testing::Types<MemoryBackend, SqliteBackend, PostgresBackend>;
TYPED_TEST_SUITE(UserStoreTest, Backends, BackendName);

// A created user is found by name (any ASCII case) and by id, fields intact.
TYPED_TEST(UserStoreTest, CreateThenFind) {
  ASSERT_TRUE(this->store->create(this->alice()));
  for (auto name : {"Alice", "alice", "ALICE"}) {
    auto u = this->store->find_by_name(name);
    ASSERT_TRUE(u) << name;
    EXPECT_EQ(u->username, "Alice");
    EXPECT_EQ(u->roles, (std::vector<std::string>{"admin", "ops"}));
    EXPECT_EQ(u->password_hash, "$argon2id$hash");
    EXPECT_EQ(u->created_at, 1700000000);
  }
  EXPECT_TRUE(this->store->find_by_id("id-alice"));
}

// Names are unique ignoring case.
TYPED_TEST(UserStoreTest, DuplicateNameIsTaken) {
  ASSERT_TRUE(this->store->create(this->alice()));
  User other = this->alice();
  other.id = "id-2";
  other.username = "ALICE";
  EXPECT_EQ(this->store->create(other).error().code, ErrorCode::username_taken);
}

// "café" precomposed (U+00E9) and decomposed (e + U+0301) are one name: a
// second registration is taken and either spelling finds the account.
TYPED_TEST(UserStoreTest, NfcAndNfdAreOneName) {
  User cafe = this->alice();
  cafe.username = canonical_username("cafe\xcc\x81");  // as make_user stores it
  ASSERT_TRUE(this->store->create(cafe));
  User other = this->alice();
  other.id = "id-2";
  other.username = "caf\xc3\xa9";
  EXPECT_EQ(this->store->create(other).error().code, ErrorCode::username_taken);
  for (auto name : {"caf\xc3\xa9", "cafe\xcc\x81", "CAF\xc3\xa9", "CAFe\xcc\x81"}) {
    auto u = this->store->find_by_name(name);
    ASSERT_TRUE(u) << name;
    EXPECT_EQ(u->username, "caf\xc3\xa9");
  }
}

// Unknown names and ids are not_found.
TYPED_TEST(UserStoreTest, MissingIsNotFound) {
  EXPECT_EQ(this->store->find_by_name("nobody").error().code, ErrorCode::not_found);
  EXPECT_EQ(this->store->find_by_id("nope").error().code, ErrorCode::not_found);
  EXPECT_EQ(this->store->set_disabled("nope", true).error().code, ErrorCode::not_found);
}

// Updates change only what they name.
TYPED_TEST(UserStoreTest, UpdatesApply) {
  ASSERT_TRUE(this->store->create(this->alice()));
  ASSERT_TRUE(this->store->set_disabled("id-alice", true));
  ASSERT_TRUE(this->store->set_password_hash("id-alice", "$argon2id$new"));
  ASSERT_TRUE(this->store->set_roles("id-alice", {}));
  auto u = this->store->find_by_id("id-alice");
  ASSERT_TRUE(u);
  EXPECT_TRUE(u->disabled);
  EXPECT_EQ(u->password_hash, "$argon2id$new");
  EXPECT_TRUE(u->roles.empty());
  EXPECT_EQ(u->username, "Alice");
}

// list() returns every user, oldest first.
TYPED_TEST(UserStoreTest, ListsInCreationOrder) {
  User b = this->alice();
  b.id = "id-b";
  b.username = "bob";
  b.created_at = 1800000000;
  ASSERT_TRUE(this->store->create(b));
  ASSERT_TRUE(this->store->create(this->alice()));
  auto all = this->store->list();
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].username, "Alice");
  EXPECT_TRUE(this->store->ping());
}

// disabled_ids() lists exactly the disabled users, and follows set_disabled.
TYPED_TEST(UserStoreTest, DisabledIdsFollowSetDisabled) {
  User b = this->alice();
  b.id = "id-b";
  b.username = "bob";
  ASSERT_TRUE(this->store->create(this->alice()));
  ASSERT_TRUE(this->store->create(b));
  EXPECT_TRUE(this->store->disabled_ids()->empty());
  ASSERT_TRUE(this->store->set_disabled("id-b", true));
  EXPECT_EQ(*this->store->disabled_ids(), std::vector<std::string>{"id-b"});
  ASSERT_TRUE(this->store->set_disabled("id-b", false));
  EXPECT_TRUE(this->store->disabled_ids()->empty());
}

// A name with a NUL byte is no user: never cut short at the NUL into another name.
TYPED_TEST(UserStoreTest, NameWithNulIsNotFound) {
  ASSERT_TRUE(this->store->create(this->alice()));
  EXPECT_EQ(this->store->find_by_name(std::string("Alice\0x", 7)).error().code, ErrorCode::not_found);
  EXPECT_EQ(this->store->find_by_name("Alice\xff").error().code, ErrorCode::not_found);  // not UTF-8
  EXPECT_EQ(this->store->find_by_id(std::string("id-alice\0", 9)).error().code, ErrorCode::not_found);
}

// The SQLite file is migrated to the latest schema and survives reopening.
TEST(SqliteDatabase, MigratesAndPersists) {
  std::string path = ::testing::TempDir() + "/migrate-" + std::to_string(::getpid()) + ".db";
  std::filesystem::remove(path);
  {
    auto db = sqlite::Database::open(path);
    ASSERT_TRUE(db);
    EXPECT_EQ((*db)->schema_version(), sqlite::latest_schema_version());
    sqlite::UserStore users(*db);
    ASSERT_TRUE(users.create(User{"i", "carol", "h", {}, false, 1}));
  }
  auto again = sqlite::Database::open(path);
  ASSERT_TRUE(again);
  EXPECT_TRUE(sqlite::UserStore(*again).find_by_name("carol"));
  std::filesystem::remove(path);
}

// A database from a newer cloakroom is refused, not silently downgraded.
TEST(SqliteDatabase, RefusesNewerSchema) {
  std::string path = ::testing::TempDir() + "/newer-" + std::to_string(::getpid()) + ".db";
  std::filesystem::remove(path);
  {
    auto db = sqlite::Database::open(path);
    ASSERT_TRUE(db);
    ASSERT_TRUE((*db)->run([](sqlite::Connection& c) { return c.exec("PRAGMA user_version = 999"); }));
  }
  auto db = sqlite::Database::open(path);
  ASSERT_FALSE(db);
  EXPECT_NE(db.error().text().find("newer"), std::string_view::npos);
  std::filesystem::remove(path);
}

// A reset link works once: the first use returns its user, a second use,
// an unknown hash and an expired link all answer not_found.
TYPED_TEST(UserStoreTest, PasswordResetIsSingleUseAndExpires) {
  ASSERT_TRUE(this->store->create(this->alice()));
  ASSERT_TRUE(this->store->add_password_reset({"aa11", "id-alice", 10'000}));
  ASSERT_TRUE(this->store->add_password_reset({"bb22", "id-alice", 10'000}));
  EXPECT_EQ(this->store->use_password_reset("cc33", 5'000).error().code, ErrorCode::not_found);
  EXPECT_EQ(this->store->use_password_reset("bb22", 10'000).error().code, ErrorCode::not_found);  // expired
  EXPECT_EQ(*this->store->use_password_reset("aa11", 9'999), "id-alice");
  EXPECT_EQ(this->store->use_password_reset("aa11", 9'999).error().code, ErrorCode::not_found);  // used
}

// Adding a link drops used ones: a used hash is then unknown, and the same
// hash may even be stored again (not that 32 random bytes repeat).
TYPED_TEST(UserStoreTest, AddingAResetDropsUsedOnes) {
  ASSERT_TRUE(this->store->add_password_reset({"aa11", "id-alice", 10'000}));
  ASSERT_TRUE(this->store->use_password_reset("aa11", 1'000));
  ASSERT_TRUE(this->store->add_password_reset({"aa11", "id-alice", 20'000}));
  EXPECT_EQ(*this->store->use_password_reset("aa11", 1'000), "id-alice");
}

}  // namespace
}  // namespace cloakroom
