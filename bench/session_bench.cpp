// The session hot path: cookie parsing, a cache-hit check, a miss, and the
// memory one cached session costs (measured with 1,000,000 sessions).
// Run: ./build/bench/micro_bench --benchmark_filter='Session|Cookie'
#include <benchmark/benchmark.h>
#include <malloc.h>

#include <filesystem>

#include "auth/cookie.h"
#include "session/session_service.h"
#include "store/memory/session_store.h"
#include "store/memory/user_store.h"
#include "store/sqlite/database.h"
#include "store/sqlite/session_store.h"

namespace {

using namespace cloakroom;

struct Fixture {
  Config config;
  memory::UserStore users;
  memory::SessionStore store;
  UserDirectory directory{users};
  SystemClock clock;
  OsRandom rng;
  Metrics metrics{{"unmatched"}};
  User user{"u1", "alice", "h", {"admin"}, false, 1};
  SessionService service{{config, store, directory, clock, rng, metrics}};
  Fixture() { (void)users.create(user); }
};

void BM_CookieFind(benchmark::State& state) {
  const std::string header =
      "_ga=GA1.2.1234567890.1234567890; theme=dark; lang=en-US; "
      "__Host-sid=oIdPaHm75gBeP-e90ACQRg.bQ3oi7GL15knUEI8ZJxHP6wAJp6wl2TaA3VnXxXHnqY";
  for (auto _ : state) benchmark::DoNotOptimize(find_cookie(header, "__Host-sid"));
}
BENCHMARK(BM_CookieFind);

void BM_SessionCheckHit(benchmark::State& state) {
  Fixture f;
  std::string token = f.service.create(f.user, "127.0.0.1", "bench", false)->token;
  for (auto _ : state) benchmark::DoNotOptimize(f.service.authenticate(token));
}
BENCHMARK(BM_SessionCheckHit)->ThreadRange(1, 2);

void BM_SessionCheckMiss(benchmark::State& state) {
  Fixture f;
  OsRandom rng;
  std::string token = SessionToken::generate(rng).text();
  for (auto _ : state) benchmark::DoNotOptimize(f.service.authenticate(token));
}
BENCHMARK(BM_SessionCheckMiss);

// What a check would cost if every request went to the store instead of the
// in-process cache: one indexed SQLite read by id (WAL, page cache warm).
void BM_SessionStoreFindSqlite(benchmark::State& state) {
  std::string path = std::filesystem::temp_directory_path() / "cloakroom-bench-sessions.db";
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
  {
    sqlite::SessionStore store(*sqlite::Database::open(path));
    OsRandom rng;
    std::string id;
    for (int i = 0; i < 10'000; ++i) {
      SessionToken t = SessionToken::generate(rng);
      id = std::string(t.id());
      (void)store.create({id, std::string(32, 'h'), "u1", 1, 1, 4'000'000'000'000, "127.0.0.1", "bench", false});
    }
    for (auto _ : state) benchmark::DoNotOptimize(store.find(id));
  }
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
}
BENCHMARK(BM_SessionStoreFindSqlite);

// Bytes of heap the cache holds per session: the heap grows by this much
// when one million sessions are loaded into it (the store's own copy is
// created before the measurement starts).
void BM_SessionCacheMemory(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  for (auto _ : state) {
    Fixture f;
    long long now = unix_millis(f.clock.now());
    OsRandom rng;
    for (int i = 0; i < n; ++i) {
      SessionToken t = SessionToken::generate(rng);
      Sha256 h = t.secret_hash();
      (void)f.store.create({std::string(t.id()), std::string(reinterpret_cast<const char*>(h.data()), 32), "u1", now,
                            now, now + 86'400'000, "127.0.0.1", "Mozilla/5.0", false});
    }
    malloc_trim(0);
    std::size_t before = mallinfo2().uordblks;
    if (!f.service.load()) state.SkipWithError("load failed");
    malloc_trim(0);
    std::size_t after = mallinfo2().uordblks;
    state.counters["bytes_per_session"] = static_cast<double>(after - before) / n;
    state.counters["sessions"] = static_cast<double>(f.service.active());
  }
}
BENCHMARK(BM_SessionCacheMemory)->Arg(1'000'000)->Iterations(1)->Unit(benchmark::kMillisecond);

}  // namespace
