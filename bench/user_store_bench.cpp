// The user lookup a login makes before Argon2id (UserStore::find_by_name),
// on each users backend: a SQLite file, and PostgreSQL over TCP when
// CLOAKROOM_BENCH_POSTGRES names a database (bench/users_backends.py starts
// one and sets it). 1,000 users in each; the lookups cycle through them.
// Run: ./build/bench/micro_bench --benchmark_filter=UserFindByName
//      CLOAKROOM_BENCH_POSTGRES=postgres://u:pw@127.0.0.1:5432/db ./build/bench/micro_bench --benchmark_filter=UserFindByName
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "store/postgres/database.h"
#include "store/postgres/user_store.h"
#include "store/sqlite/database.h"
#include "store/sqlite/user_store.h"

namespace {

using namespace cloakroom;

// Why 1,000: enough that the lookups are not one cached page's worth of rows,
// few enough that filling PostgreSQL (one transaction each) takes a second.
constexpr int kUsers = 1000;

std::string name_of(int i) { return "bench-user-" + std::to_string(i); }

// Creates the users a store lacks; a name already there (an earlier run on
// the same PostgreSQL database) is kept. Returns the names.
std::vector<std::string> fill(UserStore& store) {
  std::vector<std::string> names;
  for (int i = 0; i < kUsers; ++i) {
    User u;
    u.id = "bench-id-" + std::to_string(i);
    u.username = name_of(i);
    u.password_hash = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g";
    u.roles = {"user"};
    (void)store.create(u);  // username_taken on a re-run: the row is there
    names.push_back(u.username);
  }
  return names;
}

// The same loop for every backend: one find_by_name per iteration, every one
// checked, so a failing store is an error, not a fast benchmark.
void lookups(benchmark::State& state, UserStore& store, const std::vector<std::string>& names) {
  std::size_t i = 0;
  for (auto _ : state) {
    auto user = store.find_by_name(names[i++ % names.size()]);
    if (!user) {
      state.SkipWithError("find_by_name failed");
      return;
    }
    benchmark::DoNotOptimize(user);
  }
}

// A SQLite file of kUsers users, made on first use (Google Benchmark calls a
// benchmark several times while it sizes the run) and removed at exit.
struct SqliteUsers {
  SqliteUsers() {
    remove_files();
    if (auto opened = sqlite::Database::open(path)) {
      db = *opened;
      store = std::make_unique<sqlite::UserStore>(db);
      names = fill(*store);
    }
  }
  ~SqliteUsers() {
    store.reset();
    db.reset();
    remove_files();
  }
  void remove_files() const {
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
  }
  std::string path = std::filesystem::temp_directory_path() / "cloakroom-bench-users.db";
  std::shared_ptr<sqlite::Database> db;
  std::unique_ptr<sqlite::UserStore> store;
  std::vector<std::string> names;
};

void BM_UserFindByName_sqlite(benchmark::State& state) {
  static SqliteUsers users;
  if (!users.store) {
    state.SkipWithError("cannot open the SQLite file");
    return;
  }
  lookups(state, *users.store, users.names);
}
BENCHMARK(BM_UserFindByName_sqlite)->Name("BM_UserFindByName/sqlite");

// The same for the PostgreSQL database at `url`, over the stores' own pool.
struct PostgresUsers {
  explicit PostgresUsers(const std::string& url) {
    if (auto opened = postgres::Database::open(url)) {
      db = *opened;
      store = std::make_unique<postgres::UserStore>(db);
      names = fill(*store);
    }
  }
  std::shared_ptr<postgres::Database> db;
  std::unique_ptr<postgres::UserStore> store;
  std::vector<std::string> names;
};

void BM_UserFindByName_postgres(benchmark::State& state, const std::string& url) {
  static PostgresUsers users(url);
  if (!users.store) {
    state.SkipWithError("cannot open the PostgreSQL database in CLOAKROOM_BENCH_POSTGRES");
    return;
  }
  lookups(state, *users.store, users.names);
}

// Registered only when a database is named: without one there is nothing to measure.
const bool kPostgresRegistered = [] {
  const char* url = std::getenv("CLOAKROOM_BENCH_POSTGRES");
  if (url == nullptr || *url == '\0') return false;
  benchmark::RegisterBenchmark("BM_UserFindByName/postgres",
                               [u = std::string(url)](benchmark::State& s) { BM_UserFindByName_postgres(s, u); });
  return true;
}();

}  // namespace
