// What a TOTP code costs the server (POST /auth/login/second-factor and the
// TOTP endpoints all call TotpService::verify): read the user's TOTP row,
// unseal the secret (XChaCha20-Poly1305 under the TOTP key), compute the
// codes of the three steps in the ±1 window (three HMAC-SHA-1s, compared in
// constant time) and, when one matches, take its step with one atomic UPDATE
// (the replay guard; a durable write, synchronous=FULL). Each part alone, then
// the whole on a SQLite file.
// Run: ./build/bench/micro_bench --benchmark_filter=Totp
#include <benchmark/benchmark.h>

#include <chrono>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include "core/key_encryption.h"
#include "mfa/base32.h"
#include "mfa/totp.h"
#include "mfa/totp_service.h"
#include "store/sqlite/database.h"
#include "store/sqlite/user_store.h"
#include "support/fake_clock.h"

namespace {

using namespace cloakroom;
using testing::FakeClock;

KeyEncryptionKey random_key(Random& rng) {
  std::array<unsigned char, KeyEncryptionKey::kBytes> bytes{};
  rng.fill(bytes);
  return KeyEncryptionKey(bytes);
}

std::span<const unsigned char> bytes_of(const std::string& s) {
  return {reinterpret_cast<const unsigned char*>(s.data()), s.size()};
}

// The code check alone: the ±1 window, right code (Arg 0) or wrong (Arg 1).
// Both compute all three candidates, so both should cost the same.
void BM_TotpMatch(benchmark::State& state) {
  OsRandom rng;
  const TotpSecret secret = new_totp_secret(rng);
  const long long now = 1'800'000'000;
  const std::string code = state.range(0) == 0 ? totp_code(secret, totp_step(now)) : "000000";
  const bool want_match = state.range(0) == 0 || match_totp(secret, code, now).has_value();
  for (auto _ : state) {
    auto step = match_totp(secret, code, now);
    if (step.has_value() != want_match) state.SkipWithError("unexpected verdict");
    benchmark::DoNotOptimize(step);
  }
  state.SetLabel(state.range(0) == 0 ? "right code" : "wrong code");
}
BENCHMARK(BM_TotpMatch)->Arg(0)->Arg(1);

// Opening a sealed 20-byte secret, as TotpService does on every verify. The
// purpose has the shape TotpService binds in ("cloakroom:totp:v1:<user id>");
// its content does not change the cost.
void BM_TotpUnseal(benchmark::State& state) {
  OsRandom rng;
  const KeyEncryptionKey key = random_key(rng);
  const TotpSecret secret = new_totp_secret(rng);
  const std::string purpose = "cloakroom:totp:v1:bench-user-0123456789abcdef";
  const std::string sealed =
      key.seal(std::string_view(reinterpret_cast<const char*>(secret.data()), secret.size()), purpose, rng);
  for (auto _ : state) {
    auto opened = key.open(sealed, purpose);
    if (!opened) state.SkipWithError("open failed");
    benchmark::DoNotOptimize(opened);
  }
}
BENCHMARK(BM_TotpUnseal);

// One user with TOTP on, in a SQLite file (WAL, synchronous=FULL, as `serve`
// opens it), enrolled through TotpService itself; `secret` is the raw
// secret, decoded from what enrolment showed, to compute codes with.
struct SqliteTotpUser {
  SqliteTotpUser() {
    remove_files();
    db = *sqlite::Database::open(path);
    users = std::make_unique<sqlite::UserStore>(db);
    (void)users->create(user);
    service = std::make_unique<TotpService>(*users, random_key(rng), clock, rng, "bench");
    auto enrolled = service->begin_enroll(user);
    if (!enrolled) return;
    secret = base32_decode(enrolled->secret).value_or("");
    auto confirmed = service->confirm(user.id, code_at(now()));
    ready = confirmed && confirmed->verdict == TotpVerdict::accepted;
  }
  ~SqliteTotpUser() {
    service.reset();
    users.reset();
    db.reset();
    remove_files();
  }
  void remove_files() const {
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
  }
  long long now() const { return unix_seconds(clock.now()); }
  std::string code_at(long long unix_time) const { return totp_code(bytes_of(secret), totp_step(unix_time)); }

  std::string path = std::filesystem::temp_directory_path() / "cloakroom-bench-totp.db";
  std::shared_ptr<sqlite::Database> db;
  std::unique_ptr<sqlite::UserStore> users;
  FakeClock clock;
  OsRandom rng;
  User user{"u1", "alice", "h", {"user"}, false, 1};
  std::unique_ptr<TotpService> service;
  std::string secret;
  bool ready = false;
};

// The read every verify starts with: the user's TOTP row (sealed secret,
// last step, recovery codes left), one indexed SQLite read.
void BM_TotpStateRead_sqlite(benchmark::State& state) {
  SqliteTotpUser u;
  if (!u.ready) return state.SkipWithError("enrolment failed");
  for (auto _ : state) {
    auto row = u.users->totp(u.user.id);
    if (!row || row->secret.empty()) state.SkipWithError("no TOTP row");
    benchmark::DoNotOptimize(row);
  }
}
BENCHMARK(BM_TotpStateRead_sqlite)->Name("BM_TotpStateRead/sqlite")->Unit(benchmark::kMicrosecond);

// The replay guard: one atomic UPDATE taking a later step each time, each
// taken (true), committed durably.
void BM_TotpAcceptStep_sqlite(benchmark::State& state) {
  SqliteTotpUser u;
  if (!u.ready) return state.SkipWithError("enrolment failed");
  long long step = totp_step(u.now());
  for (auto _ : state) {
    auto taken = u.users->accept_totp_step(u.user.id, ++step);
    if (!taken || !*taken) state.SkipWithError("step not taken");
  }
}
BENCHMARK(BM_TotpAcceptStep_sqlite)->Name("BM_TotpAcceptStep/sqlite")->Unit(benchmark::kMicrosecond);

// The whole TotpService::verify with a right code, accepted every time: the
// clock moves one step (30 s) per iteration, as a user signing in again would
// see it. Codes are computed ahead in batches, outside the timing.
void BM_TotpVerify_sqlite(benchmark::State& state) {
  SqliteTotpUser u;
  if (!u.ready) return state.SkipWithError("enrolment failed");
  std::vector<std::string> codes;
  std::size_t next = 0;
  long long at = u.now();
  for (auto _ : state) {
    if (next == codes.size()) {
      state.PauseTiming();
      codes.clear();
      next = 0;
      // Why 4096: one pause per 4096 verifies keeps the pause's own cost out of the figure.
      for (int i = 1; i <= 4096; ++i) codes.push_back(u.code_at(at + i * kTotpPeriodSeconds));
      at += 4096 * kTotpPeriodSeconds;
      state.ResumeTiming();
    }
    u.clock.advance(std::chrono::seconds(kTotpPeriodSeconds));
    auto verdict = u.service->verify(u.user.id, codes[next++]);
    if (!verdict || *verdict != TotpVerdict::accepted) state.SkipWithError("code not accepted");
  }
}
BENCHMARK(BM_TotpVerify_sqlite)->Name("BM_TotpVerify/sqlite")->Unit(benchmark::kMicrosecond);

}  // namespace
