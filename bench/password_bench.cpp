// Argon2id hash and verify at the configured defaults (OWASP m=19 MiB, t=2).
// Run: ./build/bench/micro_bench --benchmark_filter=Password
#include <benchmark/benchmark.h>

#include "config/config.h"
#include "core/json.h"
#include "password/password_hasher.h"

namespace {

using cloakroom::Argon2Params;
using cloakroom::PasswordHasher;

void BM_PasswordHash(benchmark::State& state) {
  PasswordHasher hasher(Argon2Params{});
  for (auto _ : state) benchmark::DoNotOptimize(hasher.hash("correct horse battery staple"));
}
BENCHMARK(BM_PasswordHash)->Unit(benchmark::kMillisecond)->MinTime(2.0);

void BM_PasswordVerify(benchmark::State& state) {
  PasswordHasher hasher(Argon2Params{});
  std::string phc = *hasher.hash("correct horse battery staple");
  for (auto _ : state) benchmark::DoNotOptimize(hasher.verify(phc, "correct horse battery staple"));
}
BENCHMARK(BM_PasswordVerify)->Unit(benchmark::kMillisecond)->MinTime(2.0);

// Everything a login does besides the hash: parsing its JSON body.
void BM_LoginBodyParse(benchmark::State& state) {
  const std::string body = R"({"username":"alice@example.com","password":"correct horse battery staple","mode":"session"})";
  for (auto _ : state) benchmark::DoNotOptimize(cloakroom::json::parse(body));
}
BENCHMARK(BM_LoginBodyParse);

}  // namespace
