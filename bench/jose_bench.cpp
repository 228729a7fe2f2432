// JWS sign and verify per algorithm (from the compact string: base64url,
// JSON, claims and the signature), and the cached path.
// Run: ./build/bench/micro_bench --benchmark_filter=Jws
#include <benchmark/benchmark.h>

#include "jose/jws_parser.h"
#include "jose/jws_signer.h"
#include "jose/jws_verifier.h"
#include "token/access_tokens.h"

namespace {

using namespace cloakroom;
using namespace cloakroom::jose;

const Alg kAlgs[] = {Alg::HS256, Alg::HS384, Alg::HS512, Alg::RS256, Alg::PS256, Alg::ES256, Alg::EdDSA};
const TokenPolicy kPolicy{"https://auth.example.com", {"cloakroom"}, std::chrono::seconds(60)};

std::string claims() {
  return R"({"iss":"https://auth.example.com","sub":"fGxzY8KltsvQwH0uWgoQYw","aud":"cloakroom","exp":4102444800,"iat":1800000000,"nbf":1800000000,"jti":"Zm9vYmFyYmF6cXV4cXV1eA","username":"alice@example.com","roles":["admin","ops"]})";
}

void BM_JwsSign(benchmark::State& state) {
  Jwk key = *Jwk::generate(kAlgs[state.range(0)]);
  state.SetLabel(std::string(alg_name(key.alg())));
  std::string c = claims();
  for (auto _ : state) benchmark::DoNotOptimize(sign_jwt(key, c));
}
BENCHMARK(BM_JwsSign)->DenseRange(0, 6);

void BM_JwsVerify(benchmark::State& state) {
  Jwk key = *Jwk::generate(kAlgs[state.range(0)]);
  KeySet keys({key});
  state.SetLabel(std::string(alg_name(key.alg())));
  std::string token = *sign_jwt(key, claims());
  for (auto _ : state) {
    auto parsed = parse_jws(token);
    benchmark::DoNotOptimize(verify_jws(*parsed, keys, kPolicy, 1'800'000'000));
  }
}
BENCHMARK(BM_JwsVerify)->DenseRange(0, 6);

// What a repeat of the same access token costs: a verified-token cache hit.
void BM_JwsVerifyCached(benchmark::State& state) {
  Config config;
  config.jwt.issuer = "https://auth.example.com";
  SystemClock clock;
  OsRandom rng;
  Jwk key = *Jwk::generate(Alg::ES256);
  RevocationList revocations;
  AccessTokens tokens(config, KeySet({key}), clock, rng, revocations);
  std::string token = *tokens.mint("u1", "alice", {"admin"}, std::chrono::seconds(3600));
  (void)tokens.verify(token);
  for (auto _ : state) benchmark::DoNotOptimize(tokens.verify(token));
}
BENCHMARK(BM_JwsVerifyCached)->ThreadRange(1, 2);

}  // namespace

namespace {
// Parsing alone (no signature, no claims): the share of verify that is JSON and base64url.
void BM_JwsParse(benchmark::State& state) {
  cloakroom::jose::Jwk key = *cloakroom::jose::Jwk::generate(cloakroom::jose::Alg::HS256);
  std::string token = *cloakroom::jose::sign_jwt(key, claims());
  for (auto _ : state) benchmark::DoNotOptimize(cloakroom::jose::parse_jws(token));
}
BENCHMARK(BM_JwsParse);
}  // namespace
