// The session hot path: cookie parsing, a cache hit, an unknown id answered
// by the negative cache, a miss filled from SQLite, and the memory one
// cached session costs (measured with 1,000,000 sessions).
// Run: ./build/bench/micro_bench --benchmark_filter='Session|Cookie'
// Startup with 1,000,000 stored sessions: bench/startup.sh.
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

// Time stands still: the negative cache's 2 s never pass mid-benchmark.
class FrozenClock final : public Clock {
 public:
  SystemTime now() const override { return at_; }

 private:
  SystemTime at_ = std::chrono::system_clock::now();
};

Config with_cache_entries(std::size_t n) {
  Config c;
  c.session.cache_entries = n;
  return c;
}

struct Fixture {
  explicit Fixture(SessionStore& s, std::size_t cache_entries = 1'000'000)
      : config(with_cache_entries(cache_entries)), store(s) {
    (void)users.create(user);
  }
  Config config;  // before `service`, which reads it
  memory::UserStore users;
  SessionStore& store;
  UserDirectory directory{users};
  FrozenClock clock;
  OsRandom rng;
  Metrics metrics{{"unmatched"}};
  User user{"u1", "alice", "h", {"admin"}, false, 1};
  SessionService service{{config, store, directory, clock, rng, metrics}};
};

// A stored session with a real secret, as another process would have written it.
std::string put_session(SessionStore& store, Random& rng, long long now) {
  SessionToken t = SessionToken::generate(rng);
  Sha256 h = t.secret_hash();
  (void)store.create({std::string(t.id()), std::string(reinterpret_cast<const char*>(h.data()), 32), "u1", now, now,
                      now + 86'400'000, "127.0.0.1", "Mozilla/5.0", false});
  return t.text();
}

// What the Authenticator does on a miss, without the pool hop.
Result<AuthenticatedSession> check(SessionService& service, std::string_view token) {
  if (auto hit = service.cached(token)) return std::move(*hit);
  SessionService::FillRead read;
  if (auto f = service.fill(token.substr(0, kSessionIdChars), &read); !f) return f.error();
  return service.filled(token, read);
}

void BM_CookieFind(benchmark::State& state) {
  const std::string header =
      "_ga=GA1.2.1234567890.1234567890; theme=dark; lang=en-US; "
      "__Host-sid=oIdPaHm75gBeP-e90ACQRg.bQ3oi7GL15knUEI8ZJxHP6wAJp6wl2TaA3VnXxXHnqY";
  for (auto _ : state) benchmark::DoNotOptimize(find_cookie(header, "__Host-sid"));
}
BENCHMARK(BM_CookieFind);

void BM_SessionCheckHit(benchmark::State& state) {
  memory::SessionStore store;
  Fixture f(store);  // one per thread, as before: the threads share no lock
  std::string token = f.service.create(f.user, "127.0.0.1", "bench", false, AuthMethods::password())->token;
  for (auto _ : state) benchmark::DoNotOptimize(f.service.cached(token));
}
BENCHMARK(BM_SessionCheckHit)->ThreadRange(1, 2);

// A made-up id after its one store read: the negative cache answers.
void BM_SessionCheckUnknown(benchmark::State& state) {
  memory::SessionStore store;
  Fixture f(store);
  OsRandom rng;
  std::string token = SessionToken::generate(rng).text();
  (void)check(f.service, token);
  for (auto _ : state) benchmark::DoNotOptimize(f.service.cached(token));
}
BENCHMARK(BM_SessionCheckUnknown);

// A SQLite file of `rows` live sessions, written in one transaction; the
// tokens of the first `keep` of them.
struct SqliteSessions {
  SqliteSessions(int rows, int keep) {
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
    db = *sqlite::Database::open(path);
    store = std::make_unique<sqlite::SessionStore>(db);
    OsRandom rng;
    const long long now = unix_millis(std::chrono::system_clock::now());
    (void)db->transaction([&](sqlite::Connection& c) -> Result<void> {
      for (int i = 0; i < rows; ++i) {
        SessionToken t = SessionToken::generate(rng);
        Sha256 h = t.secret_hash();
        auto r = c.exec("INSERT INTO sessions (id, secret_hash, user_id, created_ms, last_seen_ms, expires_ms, ip, "
                        "user_agent, remember) VALUES (?1, ?2, 'u1', ?3, ?3, ?4, '127.0.0.1', 'bench', 0)",
                        t.id(), sqlite::Blob{std::string_view(reinterpret_cast<const char*>(h.data()), 32)}, now,
                        now + 86'400'000);
        if (!r) return r.error();
        if (i < keep) tokens.push_back(t.text());
      }
      return {};
    });
  }
  ~SqliteSessions() {
    store.reset();
    db.reset();
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
  }
  std::string path = std::filesystem::temp_directory_path() / "cloakroom-bench-sessions.db";
  std::shared_ptr<sqlite::Database> db;
  std::unique_ptr<sqlite::SessionStore> store;
  std::vector<std::string> tokens;
};

// A miss: cached() says no, fill() reads SQLite (100,000 rows, WAL, page
// cache warm) and caches the session, filled() answers. The cache holds
// 1,000 of the 20,000 sessions cycled through, so nearly every check misses
// and its insert evicts one.
void BM_SessionCheckMissSqlite(benchmark::State& state) {
  SqliteSessions sessions(100'000, 20'000);
  Fixture f(*sessions.store, 1000);
  std::size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(check(f.service, sessions.tokens[i]));
    if (++i == sessions.tokens.size()) i = 0;
  }
  state.counters["hit_ratio"] = static_cast<double>(f.metrics.get(Counter::session_cache_hits)) /
                                static_cast<double>(state.iterations());
}
BENCHMARK(BM_SessionCheckMissSqlite)->Unit(benchmark::kMicrosecond);

// What a check would cost if every request went to the store instead of the
// in-process cache: one indexed SQLite read by id (WAL, page cache warm).
void BM_SessionStoreFindSqlite(benchmark::State& state) {
  SqliteSessions sessions(10'000, 1);
  const std::string id = sessions.tokens[0].substr(0, kSessionIdChars);
  for (auto _ : state) benchmark::DoNotOptimize(sessions.store->find(id));
}
BENCHMARK(BM_SessionStoreFindSqlite);

// Bytes of heap the cache holds per session: the heap grows by this much
// when one million sessions are filled into it (the store's own copy is
// created before the measurement starts).
void BM_SessionCacheMemory(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  for (auto _ : state) {
    memory::SessionStore store;
    Fixture f(store, 2 * static_cast<std::size_t>(n));  // room for all: shards fill unevenly
    const long long now = unix_millis(f.clock.now());
    OsRandom rng;
    std::vector<std::string> ids;
    ids.reserve(n);
    for (int i = 0; i < n; ++i) ids.push_back(put_session(store, rng, now).substr(0, kSessionIdChars));
    (void)f.directory.slot("u1");
    malloc_trim(0);
    std::size_t before = mallinfo2().uordblks;
    for (const auto& id : ids)
      if (!f.service.fill(id)) state.SkipWithError("fill failed");
    malloc_trim(0);
    std::size_t after = mallinfo2().uordblks;
    state.counters["bytes_per_session"] = static_cast<double>(after - before) / n;
    state.counters["sessions"] = static_cast<double>(f.service.cache_size());
  }
}
BENCHMARK(BM_SessionCacheMemory)->Arg(1'000'000)->Iterations(1)->Unit(benchmark::kMillisecond);

}  // namespace
