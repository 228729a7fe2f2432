// Token mode: what the denylist costs a bearer check, and what a refresh costs.
// Run: ./build/bench/micro_bench --benchmark_filter='Revocation|Denylist|Refresh'
#include <benchmark/benchmark.h>

#include <filesystem>

#include "store/memory/token_store.h"
#include "store/memory/user_store.h"
#include "store/sqlite/database.h"
#include "store/sqlite/token_store.h"
#include "token/token_service.h"

namespace {

using namespace cloakroom;

constexpr int kDenylisted = 100'000;

void fill_denylist(RevocationList& list) {
  std::vector<Revocation> entries;
  for (int i = 0; i < kDenylisted; ++i)
    entries.push_back({i % 2 ? Revocation::Kind::token : Revocation::Kind::family, "denied-" + std::to_string(i),
                       9'999'999'999'999});
  list.load(entries, {});
}

// One lookup in a list of 100,000 entries (jti, sid and epoch; a miss):
// what a check costs when something was revoked since the token's last check.
void BM_RevocationLookup(benchmark::State& state) {
  RevocationList list;
  fill_denylist(list);
  for (auto _ : state) benchmark::DoNotOptimize(list.revoked("Xb3kq0mZ8uVwTt1yLp2s9A", "Qm4r8sT1uVwXyZ0aBcDeFg", "u1", 0));
}
BENCHMARK(BM_RevocationLookup)->ThreadRange(1, 2);

struct TokenFixture {
  Config config;
  SystemClock clock;
  OsRandom rng;
  RevocationList revocations;
  AccessTokens tokens;
  explicit TokenFixture(jose::Alg alg)
      : config(with_issuer()), tokens(config, jose::KeySet({*jose::Jwk::generate(alg)}), clock, rng, revocations) {}
  static Config with_issuer() {
    Config c;
    c.jwt.issuer = "https://auth.example.com";
    return c;
  }
};

// A cached bearer check with an empty denylist, with 100,000 denylisted
// tokens (the steady state: one atomic load), and with 100,000 while
// revocations keep arriving (every check does the lookup).
void BM_DenylistCachedVerify(benchmark::State& state) {
  TokenFixture f(jose::Alg::HS256);
  if (state.range(0) > 0) fill_denylist(f.revocations);
  std::string jwt = *f.tokens.mint_access("u1", "alice", {"admin"}, "Qm4r8sT1uVwXyZ0aBcDeFg", AuthMethods::password(), 0);
  (void)f.tokens.verify(jwt);
  long long epoch = 0;
  for (auto _ : state) {
    if (state.range(0) == 2) f.revocations.raise_epoch("someone-else", ++epoch);
    benchmark::DoNotOptimize(f.tokens.verify(jwt));
  }
  state.SetLabel(state.range(0) == 0 ? "empty denylist" : state.range(0) == 1 ? "100k denylisted" : "100k, revoking meanwhile");
}
BENCHMARK(BM_DenylistCachedVerify)->Arg(0)->Arg(1)->Arg(2);

// A rotation: parse, find the family, compare, HMAC the next secret, CAS,
// mint an ES256 access token. Memory store (the logic and the signature) and
// SQLite with synchronous=FULL (what a refresh costs durably).
void BM_Refresh(benchmark::State& state) {
  TokenFixture f(jose::Alg::ES256);
  memory::UserStore users;
  User user{"u1", "alice", "h", {"admin"}, false, 1};
  (void)users.create(user);
  UserDirectory directory(users);
  Metrics metrics{{"unmatched"}};
  std::string path = std::filesystem::temp_directory_path() / "cloakroom-bench-refresh.db";
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
  std::unique_ptr<TokenStore> store;
  std::shared_ptr<sqlite::Database> db;
  if (state.range(0) == 0) {
    store = std::make_unique<memory::TokenStore>();
  } else {
    db = *sqlite::Database::open(path);
    store = std::make_unique<sqlite::TokenStore>(db);
  }
  AuditLog audit(std::make_unique<StderrAuditSink>(), LogLevel::warn);  // a rotation records nothing
  TokenService service({f.config, *store, directory, f.tokens, f.revocations, f.clock, f.rng, metrics, audit});
  std::string refresh = service.issue(user, "127.0.0.1", "bench", false, AuthMethods::password())->refresh_token;
  for (auto _ : state) refresh = service.refresh(refresh, "127.0.0.1", "bench")->refresh_token;
  state.SetLabel(state.range(0) == 0 ? "memory store" : "sqlite store");
  store.reset();
  db.reset();
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
}
BENCHMARK(BM_Refresh)->Arg(0)->Arg(1)->Unit(benchmark::kMicrosecond);

}  // namespace
