#include "store/user_store.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <atomic>
#include <optional>
#include <thread>

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
  // A second process on the same data: none for memory (the same store, its threads race).
  std::unique_ptr<UserStore> peer() { return nullptr; }
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
  std::unique_ptr<UserStore> peer() {
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
  std::unique_ptr<UserStore> peer() {
    auto db = postgres::Database::open(database->url());
    EXPECT_TRUE(db);
    return std::make_unique<postgres::UserStore>(*db);
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

// The hash moves only from the value the caller read: an upgrade from a
// hash a password change has replaced since does not apply (false) and
// leaves the change's hash; neither does one for a user who is gone.
TYPED_TEST(UserStoreTest, PasswordHashIfIsCompareAndSet) {
  ASSERT_TRUE(this->store->create(this->alice()));
  auto stale = this->store->set_password_hash_if("id-alice", "$argon2id$other", "$argon2id$upgrade");
  ASSERT_TRUE(stale);
  EXPECT_FALSE(*stale);
  EXPECT_EQ(this->store->find_by_id("id-alice")->password_hash, "$argon2id$hash");

  auto applied = this->store->set_password_hash_if("id-alice", "$argon2id$hash", "$argon2id$upgrade");
  ASSERT_TRUE(applied);
  EXPECT_TRUE(*applied);
  EXPECT_EQ(this->store->find_by_id("id-alice")->password_hash, "$argon2id$upgrade");

  // A second upgrader that read the same old hash loses to the first.
  auto second = this->store->set_password_hash_if("id-alice", "$argon2id$hash", "$argon2id$second");
  ASSERT_TRUE(second);
  EXPECT_FALSE(*second);
  EXPECT_EQ(this->store->find_by_id("id-alice")->password_hash, "$argon2id$upgrade");

  auto gone = this->store->set_password_hash_if("nope", "$argon2id$hash", "$argon2id$upgrade");
  ASSERT_TRUE(gone);
  EXPECT_FALSE(*gone);
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

// create_all (store migrate's bulk copy) writes every new user with its
// fields, across more than one batch, skips an id already here, and refuses
// a name held by another id as username_taken.
TYPED_TEST(UserStoreTest, CreateAllCopiesNewUsersOnly) {
  ASSERT_TRUE(this->store->create(this->alice()));
  std::vector<User> users{this->alice()};
  for (int i = 0; i < 600; ++i)
    users.push_back(User{"id-" + std::to_string(i), "user" + std::to_string(i), "$argon2id$h" + std::to_string(i),
                         i % 2 ? std::vector<std::string>{"ops"} : std::vector<std::string>{}, i % 3 == 0,
                         1700000000 + i});
  auto written = this->store->create_all(users);
  ASSERT_TRUE(written) << written.error().text();
  EXPECT_EQ(*written, 600u);
  auto all = this->store->list();
  ASSERT_TRUE(all);
  EXPECT_EQ(all->size(), 601u);
  auto u = this->store->find_by_name("USER599");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->id, "id-599");
  EXPECT_EQ(u->password_hash, "$argon2id$h599");
  EXPECT_EQ(u->roles, std::vector<std::string>{"ops"});
  EXPECT_FALSE(u->disabled);
  EXPECT_EQ(u->created_at, 1700000599);
  EXPECT_TRUE(this->store->find_by_id("id-0")->disabled);
  // Again: nothing new.
  written = this->store->create_all(users);
  ASSERT_TRUE(written);
  EXPECT_EQ(*written, 0u);
  User clash = this->alice();
  clash.id = "id-other";
  clash.username = "alice";
  EXPECT_EQ(this->store->create_all(std::vector<User>{clash}).error().code, ErrorCode::username_taken);
  EXPECT_EQ(this->store->find_by_id("id-other").error().code, ErrorCode::not_found);
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

Passkey passkey(std::string credential_id, std::string user_id, long long created_at) {
  // Binary members with NUL and high bytes: they must round-trip as bytes on every backend.
  return Passkey{.credential_id = std::move(credential_id),
                 .user_id = std::move(user_id),
                 .user_handle = std::string("\x00\xffhandle", 8),
                 .public_key = std::string("\xa5\x01\x02\x03\x26\x00", 6),
                 .alg = -7,
                 .sign_count = 4294967295LL,
                 .user_verified = true,
                 .backup_eligible = true,
                 .backed_up = false,
                 .name = "YubiKey \xc3\xa9",
                 .created_at = created_at};
}

// A passkey is found by its credential id with every member intact.
TYPED_TEST(UserStoreTest, PasskeyAddThenFind) {
  const std::string id("\x00\x01\xfe\xff", 4);
  ASSERT_TRUE(this->store->add_passkey(passkey(id, "id-alice", 10)));
  auto p = this->store->find_passkey(id);
  ASSERT_TRUE(p) << p.error().text();
  EXPECT_EQ(p->credential_id, id);
  EXPECT_EQ(p->user_id, "id-alice");
  EXPECT_EQ(p->user_handle, std::string("\x00\xffhandle", 8));
  EXPECT_EQ(p->public_key, std::string("\xa5\x01\x02\x03\x26\x00", 6));
  EXPECT_EQ(p->alg, -7);
  EXPECT_EQ(p->sign_count, 4294967295LL);
  EXPECT_TRUE(p->user_verified);
  EXPECT_TRUE(p->backup_eligible);
  EXPECT_FALSE(p->backed_up);
  EXPECT_FALSE(p->flagged);
  EXPECT_EQ(p->name, "YubiKey \xc3\xa9");
  EXPECT_EQ(p->created_at, 10);
  EXPECT_EQ(p->last_used_at, 0);
  EXPECT_EQ(this->store->find_passkey(std::string("\x00\x01\xfe", 3)).error().code, ErrorCode::not_found);
}

// A credential id is unique across users: a second registration of it is a conflict.
TYPED_TEST(UserStoreTest, PasskeyIdIsUnique) {
  ASSERT_TRUE(this->store->add_passkey(passkey("c1", "id-alice", 1)));
  EXPECT_EQ(this->store->add_passkey(passkey("c1", "id-bob", 2)).error().code, ErrorCode::conflict);
}

// list_passkeys returns one user's passkeys, oldest first; delete removes only the owner's.
TYPED_TEST(UserStoreTest, PasskeyListAndDelete) {
  ASSERT_TRUE(this->store->add_passkey(passkey("c2", "id-alice", 20)));
  ASSERT_TRUE(this->store->add_passkey(passkey("c1", "id-alice", 10)));
  ASSERT_TRUE(this->store->add_passkey(passkey("c3", "id-bob", 5)));
  auto mine = this->store->list_passkeys("id-alice");
  ASSERT_TRUE(mine);
  ASSERT_EQ(mine->size(), 2u);
  EXPECT_EQ((*mine)[0].credential_id, "c1");
  EXPECT_EQ((*mine)[1].credential_id, "c2");
  EXPECT_TRUE(this->store->list_passkeys("id-nobody")->empty());
  EXPECT_EQ(this->store->delete_passkey("id-alice", "c3").error().code, ErrorCode::not_found);  // bob's
  EXPECT_TRUE(this->store->find_passkey("c3"));
  ASSERT_TRUE(this->store->delete_passkey("id-alice", "c1"));
  EXPECT_EQ(this->store->find_passkey("c1").error().code, ErrorCode::not_found);
  EXPECT_EQ(this->store->delete_passkey("id-alice", "c1").error().code, ErrorCode::not_found);
  EXPECT_EQ(this->store->list_passkeys("id-alice")->size(), 1u);
}

// The sign count moves only from the value the caller saw: a second sign-in
// verified against the same old counter loses (conflict) and changes nothing.
TYPED_TEST(UserStoreTest, PasskeySignCountIsCompareAndSet) {
  Passkey p = passkey("c1", "id-alice", 1);
  p.sign_count = 5;
  ASSERT_TRUE(this->store->add_passkey(p));
  ASSERT_TRUE(this->store->record_passkey_use("c1", 5, 6, true, 1700000000));
  EXPECT_EQ(this->store->record_passkey_use("c1", 5, 7, false, 1700000001).error().code, ErrorCode::conflict);
  auto after = this->store->find_passkey("c1");
  ASSERT_TRUE(after);
  EXPECT_EQ(after->sign_count, 6);
  EXPECT_TRUE(after->backed_up);
  EXPECT_EQ(after->last_used_at, 1700000000);
  EXPECT_EQ(this->store->record_passkey_use("gone", 0, 1, false, 1).error().code, ErrorCode::not_found);
}

// flag_passkey marks a passkey whose counter went back.
TYPED_TEST(UserStoreTest, PasskeyFlag) {
  ASSERT_TRUE(this->store->add_passkey(passkey("c1", "id-alice", 1)));
  ASSERT_TRUE(this->store->flag_passkey("c1"));
  EXPECT_TRUE(this->store->find_passkey("c1")->flagged);
  EXPECT_EQ(this->store->flag_passkey("gone").error().code, ErrorCode::not_found);
}
// Nothing stored: the default state, for a user and for no user alike.
TYPED_TEST(UserStoreTest, TotpStartsEmpty) {
  ASSERT_TRUE(this->store->create(this->alice()));
  for (const char* id : {"id-alice", "nope"}) {
    auto t = this->store->totp(id);
    ASSERT_TRUE(t) << id;
    EXPECT_EQ(t->pending, "");
    EXPECT_EQ(t->secret, "");
    EXPECT_EQ(t->last_step, -1);
    EXPECT_EQ(t->recovery_codes_left, 0);
  }
  EXPECT_EQ(*this->store->accept_totp_step("id-alice", 5), false);  // nothing confirmed
}

// An enrolment starts pending only for an existing user; binary blobs (NUL
// bytes) come back intact; confirming moves it, sets the step and the codes.
TYPED_TEST(UserStoreTest, TotpBeginThenConfirm) {
  ASSERT_TRUE(this->store->create(this->alice()));
  const std::string sealed("\x01\0sealed\xff", 9), other("\x01\0other\xff", 8);
  EXPECT_EQ(this->store->begin_totp("nope", sealed, 100).error().code, ErrorCode::not_found);
  ASSERT_TRUE(this->store->begin_totp("id-alice", sealed, 100));
  auto t = this->store->totp("id-alice");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->pending, sealed);
  EXPECT_EQ(t->pending_created, 100);
  EXPECT_EQ(t->secret, "");
  const std::vector<std::string> hashes{std::string("h1\0", 3), "h2", "h3"};
  EXPECT_EQ(*this->store->confirm_totp("id-alice", other, 7, hashes), false);  // another enrolment's secret
  EXPECT_EQ(this->store->totp("id-alice")->pending, sealed);
  EXPECT_EQ(*this->store->confirm_totp("id-alice", sealed, 7, hashes), true);
  t = this->store->totp("id-alice");
  EXPECT_EQ(t->pending, "");
  EXPECT_EQ(t->pending_created, 0);
  EXPECT_EQ(t->secret, sealed);
  EXPECT_EQ(t->last_step, 7);
  EXPECT_EQ(t->recovery_codes_left, 3);
  EXPECT_EQ(*this->store->confirm_totp("id-alice", sealed, 8, hashes), false);  // once
  EXPECT_EQ(*this->store->confirm_totp("id-alice", "", 8, hashes), false);      // "no pending" is no secret
}

// The replay guard only moves forward: a step at or before the last is refused.
TYPED_TEST(UserStoreTest, TotpStepOnlyMovesForward) {
  ASSERT_TRUE(this->store->create(this->alice()));
  ASSERT_TRUE(this->store->begin_totp("id-alice", "s", 1));
  ASSERT_TRUE(*this->store->confirm_totp("id-alice", "s", 10, {}));
  EXPECT_EQ(*this->store->accept_totp_step("id-alice", 10), false);
  EXPECT_EQ(*this->store->accept_totp_step("id-alice", 9), false);
  EXPECT_EQ(*this->store->accept_totp_step("id-alice", 11), true);
  EXPECT_EQ(*this->store->accept_totp_step("id-alice", 11), false);
  EXPECT_EQ(this->store->totp("id-alice")->last_step, 11);
  // A refused new enrolment leaves the confirmed secret and its guard alone.
  EXPECT_EQ(this->store->begin_totp("id-alice", "s2", 2).error().code, ErrorCode::conflict);
  EXPECT_EQ(this->store->totp("id-alice")->secret, "s");
  EXPECT_EQ(*this->store->accept_totp_step("id-alice", 12), true);
}

// Once a secret is confirmed, begin_totp is refused in the same step as its
// write: an enrolment racing a confirm never leaves a pending secret that a
// later confirm could swap in for the working one.
TYPED_TEST(UserStoreTest, TotpBeginRefusedWhileOn) {
  ASSERT_TRUE(this->store->create(this->alice()));
  ASSERT_TRUE(this->store->begin_totp("id-alice", "s", 1));
  ASSERT_TRUE(*this->store->confirm_totp("id-alice", "s", 10, {"h1"}));
  EXPECT_EQ(this->store->begin_totp("id-alice", "s2", 2).error().code, ErrorCode::conflict);
  auto t = this->store->totp("id-alice");
  EXPECT_EQ(t->pending, "");
  EXPECT_EQ(t->pending_created, 0);
  EXPECT_EQ(*this->store->confirm_totp("id-alice", "s2", 11, {"h2"}), false);
  EXPECT_EQ(this->store->totp("id-alice")->secret, "s");
  ASSERT_TRUE(this->store->clear_totp("id-alice"));
  EXPECT_TRUE(this->store->begin_totp("id-alice", "s3", 3));  // off again: enrolment works
}

// A recovery code works once; a new confirmation replaces every earlier code.
TYPED_TEST(UserStoreTest, RecoveryCodesAreSingleUse) {
  ASSERT_TRUE(this->store->create(this->alice()));
  ASSERT_TRUE(this->store->begin_totp("id-alice", "s", 1));
  ASSERT_TRUE(*this->store->confirm_totp("id-alice", "s", 1, {"h1", "h2"}));
  EXPECT_EQ(*this->store->use_recovery_code("id-alice", "h1"), true);
  EXPECT_EQ(*this->store->use_recovery_code("id-alice", "h1"), false);
  EXPECT_EQ(*this->store->use_recovery_code("id-alice", "hx"), false);
  EXPECT_EQ(*this->store->use_recovery_code("id-other", "h2"), false);  // codes are per user
  EXPECT_EQ(this->store->totp("id-alice")->recovery_codes_left, 1);
  ASSERT_TRUE(*this->store->confirm_totp("id-alice", "", 2, {"h3"}) == false);  // nothing pending: codes stay
  ASSERT_TRUE(this->store->clear_totp("id-alice"));
  ASSERT_TRUE(this->store->begin_totp("id-alice", "t", 2));
  ASSERT_TRUE(*this->store->confirm_totp("id-alice", "t", 2, {"h3"}));
  EXPECT_EQ(*this->store->use_recovery_code("id-alice", "h2"), false);
  EXPECT_EQ(this->store->totp("id-alice")->recovery_codes_left, 1);
  EXPECT_EQ(*this->store->use_recovery_code("id-alice", "h3"), true);
}

// New recovery codes while TOTP stays on: every old code (used or not) is
// void at once, the new ones each work once; refused while TOTP is off,
// changing nothing; the secret and the replay guard are untouched.
TYPED_TEST(UserStoreTest, RecoveryCodesReplacedWhileOn) {
  ASSERT_TRUE(this->store->create(this->alice()));
  EXPECT_EQ(*this->store->replace_recovery_codes("id-alice", {"n1"}), false);  // nothing stored
  EXPECT_EQ(*this->store->replace_recovery_codes("nope", {"n1"}), false);
  ASSERT_TRUE(this->store->begin_totp("id-alice", "s", 1));
  EXPECT_EQ(*this->store->replace_recovery_codes("id-alice", {"n1"}), false);  // only pending: off
  EXPECT_EQ(this->store->totp("id-alice")->recovery_codes_left, 0);
  ASSERT_TRUE(*this->store->confirm_totp("id-alice", "s", 40, {"h1", "h2", "h3"}));
  ASSERT_TRUE(*this->store->use_recovery_code("id-alice", "h1"));
  const std::vector<std::string> fresh{std::string("n1\0", 3), "n2"};
  EXPECT_EQ(*this->store->replace_recovery_codes("id-alice", fresh), true);
  auto t = this->store->totp("id-alice");
  EXPECT_EQ(t->recovery_codes_left, 2);
  EXPECT_EQ(t->secret, "s");
  EXPECT_EQ(t->last_step, 40);
  for (const char* old : {"h1", "h2", "h3"}) EXPECT_EQ(*this->store->use_recovery_code("id-alice", old), false) << old;
  EXPECT_EQ(*this->store->use_recovery_code("id-alice", fresh[0]), true);
  EXPECT_EQ(*this->store->use_recovery_code("id-alice", fresh[0]), false);
  EXPECT_EQ(*this->store->use_recovery_code("id-alice", "n2"), true);
  ASSERT_TRUE(this->store->clear_totp("id-alice"));
  EXPECT_EQ(*this->store->replace_recovery_codes("id-alice", {"n3"}), false);  // off again
  EXPECT_EQ(this->store->totp("id-alice")->recovery_codes_left, 0);
}

// `key rewrap` pages through the sealed secrets in id byte order, bounded
// by the limit; a reseal replaces a secret only while it is still the one
// read (binary bytes intact) and leaves last_step and recovery codes alone.
TYPED_TEST(UserStoreTest, TotpSealedPagesAndReseals) {
  const std::string bytes("\x01\x00\xff-s", 5);
  for (const char* id : {"id-b", "id-a", "id-C"}) {
    ASSERT_TRUE(this->store->create(User{id, std::string("user-") + id, "h", {}, false, 1}));
    ASSERT_TRUE(this->store->begin_totp(id, bytes + id, 1));
  }
  ASSERT_TRUE(*this->store->confirm_totp("id-a", bytes + "id-a", 70, {"h1"}));
  auto first = this->store->sealed_totp("", 2);
  ASSERT_TRUE(first) << first.error().text();
  ASSERT_EQ(first->size(), 2u);
  EXPECT_EQ((*first)[0].user_id, "id-C");  // byte order: 'C' < 'a'
  EXPECT_EQ((*first)[0].pending, bytes + "id-C");
  EXPECT_EQ((*first)[1].user_id, "id-a");
  EXPECT_EQ((*first)[1].secret, bytes + "id-a");
  EXPECT_EQ((*first)[1].pending, "");
  auto rest = this->store->sealed_totp("id-a", 2);
  ASSERT_EQ(rest->size(), 1u);
  EXPECT_EQ((*rest)[0].user_id, "id-b");
  EXPECT_TRUE(this->store->sealed_totp("id-b", 2)->empty());

  auto changed = this->store->reseal_totp({TotpReseal{"id-a", false, bytes + "id-a", bytes + "new-a"},
                                           TotpReseal{"id-b", true, bytes + "id-b", bytes + "new-b"},
                                           TotpReseal{"id-C", true, "not what is kept", "x"},
                                           TotpReseal{"id-C", false, bytes + "id-C", "x"}});  // it is pending
  ASSERT_TRUE(changed) << changed.error().text();
  EXPECT_EQ(*changed, 2u);
  auto a = this->store->totp("id-a");
  EXPECT_EQ(a->secret, bytes + "new-a");
  EXPECT_EQ(a->last_step, 70);
  EXPECT_EQ(a->recovery_codes_left, 1);
  EXPECT_EQ(this->store->totp("id-b")->pending, bytes + "new-b");
  EXPECT_EQ(this->store->totp("id-C")->pending, bytes + "id-C");
  EXPECT_EQ(this->store->totp("id-C")->secret, "");
  EXPECT_EQ(*this->store->reseal_totp({}), 0u);
}

// Clearing forgets secrets and codes; the guard starts over on re-enrolment.
TYPED_TEST(UserStoreTest, TotpClearForgetsEverything) {
  ASSERT_TRUE(this->store->create(this->alice()));
  ASSERT_TRUE(this->store->begin_totp("id-alice", "s", 1));
  ASSERT_TRUE(*this->store->confirm_totp("id-alice", "s", 50, {"h1"}));
  ASSERT_EQ(this->store->begin_totp("id-alice", "p", 2).error().code, ErrorCode::conflict);  // on: refused
  ASSERT_TRUE(this->store->clear_totp("id-alice"));
  auto t = this->store->totp("id-alice");
  EXPECT_EQ(t->secret, "");
  EXPECT_EQ(t->pending, "");
  EXPECT_EQ(t->last_step, -1);
  EXPECT_EQ(t->recovery_codes_left, 0);
  EXPECT_EQ(*this->store->use_recovery_code("id-alice", "h1"), false);
  EXPECT_EQ(*this->store->accept_totp_step("id-alice", 60), false);
  EXPECT_TRUE(this->store->clear_totp("id-alice"));  // nothing to clear is fine
}

// For store migrate: list_totp gives every TOTP row that holds a secret
// (pending or confirmed) with its unused recovery codes only; list_all_passkeys
// every user's passkeys; import_totp writes one into a store whose user has
// none, replay guard and codes included, and refuses (false) when it has one.
TYPED_TEST(UserStoreTest, TotpAndPasskeysListedAndImportedWhole) {
  User bob = this->alice();
  bob.id = "id-bob";
  bob.username = "bob";
  User carol = this->alice();
  carol.id = "id-carol";
  carol.username = "carol";
  for (const User& u : {this->alice(), bob, carol}) ASSERT_TRUE(this->store->create(u));
  const std::string sealed("\x01\0sealed\xff", 9);
  ASSERT_TRUE(this->store->begin_totp("id-alice", sealed, 1));
  ASSERT_TRUE(*this->store->confirm_totp("id-alice", sealed, 77, {std::string("h1\0", 3), "h2", "h3"}));
  ASSERT_TRUE(*this->store->use_recovery_code("id-alice", "h2"));
  ASSERT_TRUE(this->store->begin_totp("id-bob", "pending", 500));  // enrolling: pending only
  ASSERT_TRUE(this->store->begin_totp("id-carol", "gone", 5));
  ASSERT_TRUE(this->store->clear_totp("id-carol"));  // off: not listed
  ASSERT_TRUE(this->store->add_passkey(passkey("c2", "id-bob", 20)));
  ASSERT_TRUE(this->store->add_passkey(passkey(std::string("\0c1", 3), "id-alice", 10)));
  ASSERT_TRUE(this->store->record_passkey_use("c2", 4294967295LL, 4294967295LL, true, 1700000001));

  auto totp = this->store->list_totp();
  ASSERT_TRUE(totp) << totp.error().text();
  ASSERT_EQ(totp->size(), 2u);
  std::sort(totp->begin(), totp->end(), [](const auto& a, const auto& b) { return a.user_id < b.user_id; });
  TotpRecord a = (*totp)[0], b = (*totp)[1];
  EXPECT_EQ(a.user_id, "id-alice");
  EXPECT_EQ(a.state.secret, sealed);
  EXPECT_EQ(a.state.pending, "");
  EXPECT_EQ(a.state.last_step, 77);
  EXPECT_EQ(a.state.recovery_codes_left, 2);
  std::sort(a.recovery_hashes.begin(), a.recovery_hashes.end());
  EXPECT_EQ(a.recovery_hashes, (std::vector<std::string>{std::string("h1\0", 3), "h3"}));
  EXPECT_EQ(b.user_id, "id-bob");
  EXPECT_EQ(b.state.secret, "");
  EXPECT_EQ(b.state.pending, "pending");
  EXPECT_EQ(b.state.pending_created, 500);
  EXPECT_TRUE(b.recovery_hashes.empty());
  auto passkeys = this->store->list_all_passkeys();
  ASSERT_TRUE(passkeys) << passkeys.error().text();
  ASSERT_EQ(passkeys->size(), 2u);
  std::sort(passkeys->begin(), passkeys->end(), [](const auto& x, const auto& y) { return x.user_id < y.user_id; });
  EXPECT_EQ((*passkeys)[0].credential_id, std::string("\0c1", 3));
  EXPECT_EQ((*passkeys)[0].public_key, std::string("\xa5\x01\x02\x03\x26\x00", 6));
  EXPECT_EQ((*passkeys)[1].credential_id, "c2");
  EXPECT_EQ((*passkeys)[1].last_used_at, 1700000001);
  EXPECT_TRUE((*passkeys)[1].backed_up);

  // Into a fresh store of the same backend, as store migrate does.
  this->store.reset();
  this->store = this->backend.make();
  for (const User& u : {this->alice(), bob}) ASSERT_TRUE(this->store->create(u));
  EXPECT_EQ(this->store->import_totp(TotpRecord{"id-nobody", a.state, {}}).error().code, ErrorCode::not_found);
  EXPECT_EQ(*this->store->import_totp(a), true);
  EXPECT_EQ(*this->store->import_totp(b), true);
  EXPECT_EQ(*this->store->import_totp(a), false);  // held already: unchanged
  auto t = this->store->totp("id-alice");
  EXPECT_EQ(t->secret, sealed);
  EXPECT_EQ(t->pending, "");
  EXPECT_EQ(t->last_step, 77);
  EXPECT_EQ(t->recovery_codes_left, 2);
  EXPECT_EQ(*this->store->accept_totp_step("id-alice", 77), false);  // the replay guard came along
  EXPECT_EQ(*this->store->use_recovery_code("id-alice", "h2"), false);  // used stays used
  EXPECT_EQ(*this->store->use_recovery_code("id-alice", "h3"), true);
  t = this->store->totp("id-bob");
  EXPECT_EQ(t->pending, "pending");
  EXPECT_EQ(t->pending_created, 500);
  EXPECT_EQ(t->secret, "");
  EXPECT_EQ(this->store->list_totp()->size(), 2u);
}

// Two nodes (a second connection to the same data, or threads on the one
// memory store) racing with one code or one recovery code: exactly one wins.
TYPED_TEST(UserStoreTest, TotpRacesHaveOneWinner) {
  ASSERT_TRUE(this->store->create(this->alice()));
  ASSERT_TRUE(this->store->begin_totp("id-alice", "s", 1));
  ASSERT_TRUE(*this->store->confirm_totp("id-alice", "s", 1, {"h1"}));
  auto peer = this->backend.peer();
  UserStore* nodes[2] = {this->store.get(), peer ? peer.get() : this->store.get()};
  for (long long step = 2; step < 12; ++step) {
    std::atomic<int> steps{0}, codes{0};
    std::vector<std::thread> threads;
    for (int i = 0; i < 8; ++i)
      threads.emplace_back([&, i] {
        if (auto won = nodes[i % 2]->accept_totp_step("id-alice", step); won && *won) ++steps;
        if (auto won = nodes[i % 2]->use_recovery_code("id-alice", "h1"); won && *won) ++codes;
      });
    for (auto& t : threads) t.join();
    EXPECT_EQ(steps.load(), 1) << step;
    EXPECT_EQ(codes.load(), step == 2 ? 1 : 0) << step;
  }
}

// New recovery codes racing uses of the old ones (on two nodes where the
// backend has them): every old code is either used before the replacement
// or refused after it; none survives it, and the new ones are all unused.
TYPED_TEST(UserStoreTest, RecoveryCodeReplacementRacesUses) {
  ASSERT_TRUE(this->store->create(this->alice()));
  ASSERT_TRUE(this->store->begin_totp("id-alice", "s", 1));
  const std::vector<std::string> old{"o0", "o1", "o2", "o3", "o4", "o5"};
  ASSERT_TRUE(*this->store->confirm_totp("id-alice", "s", 1, old));
  auto peer = this->backend.peer();
  UserStore* nodes[2] = {this->store.get(), peer ? peer.get() : this->store.get()};
  std::atomic<bool> replaced{false};
  std::atomic<int> used_after{0};
  std::vector<std::thread> threads;
  threads.emplace_back([&] {
    if (auto r = nodes[0]->replace_recovery_codes("id-alice", {"n0", "n1"}); r && *r) replaced = true;
  });
  for (std::size_t i = 0; i < old.size(); ++i)
    threads.emplace_back([&, i] {
      const bool after = replaced.load();
      if (auto won = nodes[1]->use_recovery_code("id-alice", old[i]); won && *won && after) ++used_after;
    });
  for (auto& t : threads) t.join();
  ASSERT_TRUE(replaced.load());
  EXPECT_EQ(used_after.load(), 0);
  for (const auto& h : old) EXPECT_EQ(*this->store->use_recovery_code("id-alice", h), false) << h;
  EXPECT_EQ(this->store->totp("id-alice")->recovery_codes_left, 2);
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
