// What a passkey sign-in costs the server: webauthn::verify_assertion on a
// valid response (sizes and ids, clientDataJSON parsed and checked,
// authenticator data parsed, rpIdHash and flags, the stored COSE key decoded
// into an OpenSSL key, the signature over authData || SHA-256(clientDataJSON)
// verified), per key type; then its parts, so the signature's share shows.
// Keys and the assertion are made in setup with OpenSSL, by the same test
// authenticator the unit tests use (tests/support/webauthn_test_support.h).
// Run: ./build/bench/micro_bench --benchmark_filter=Webauthn
#include <benchmark/benchmark.h>

#include <string>

#include "support/webauthn_test_support.h"
#include "webauthn/assertion.h"
#include "webauthn/authenticator_data.h"
#include "webauthn/client_data.h"
#include "webauthn/cose_key.h"

namespace {

using namespace cloakroom;
using namespace cloakroom::webauthn;
using namespace cloakroom::webauthn::testing;

// A sign-in as a browser would send it (UP and UV, counter 0 as most
// passkeys keep it), for one new key of `alg`, and the stored record.
struct SignIn {
  explicit SignIn(CoseAlg alg) : authenticator(alg) {
    client_data_json = client_data("webauthn.get", challenge, rp.origin);
    authenticator_data = auth_data(rp.id_hash, UP | UV, 0);
    signed_bytes = authenticator_data + hash_bytes(sha256(client_data_json));
    signature = authenticator.sign(signed_bytes);
    cose = authenticator.cose();
  }
  Result<AssertionResult, WebauthnError> verify() const {
    return verify_assertion({.credential_id = credential_id, .client_data_json = client_data_json,
                             .authenticator_data = authenticator_data, .signature = signature,
                             .user_handle = user_handle, .expected_challenge = challenge,
                             .require_user_verification = true},
                            rp, {.credential_id = credential_id, .user_handle = user_handle, .public_key = cose});
  }

  RelyingParty rp = *RelyingParty::from_public_url("https://auth.example.com", "cloakroom");
  TestAuthenticator authenticator;
  std::string credential_id = std::string(16, '\x11');
  std::string user_handle = std::string(32, '\x77');
  std::string challenge = std::string(32, '\x33');
  std::string client_data_json, authenticator_data, signed_bytes, signature, cose;
};

// The whole check, as POST /auth/passkeys/login pays it after the challenge
// and credential lookups.
void BM_WebauthnAssertionVerify(benchmark::State& state, CoseAlg alg) {
  const SignIn s(alg);
  for (auto _ : state) {
    auto r = s.verify();
    if (!r) state.SkipWithError(std::string(reason_name(r.error())).c_str());
    benchmark::DoNotOptimize(r);
  }
}
BENCHMARK_CAPTURE(BM_WebauthnAssertionVerify, ES256, CoseAlg::ES256)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_WebauthnAssertionVerify, EdDSA, CoseAlg::EdDSA)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_WebauthnAssertionVerify, RS256, CoseAlg::RS256)->Unit(benchmark::kMicrosecond);

// The signature alone, with the key already decoded: what OpenSSL costs.
void BM_WebauthnSignatureVerify(benchmark::State& state, CoseAlg alg) {
  const SignIn s(alg);
  const auto key = CoseKey::parse(s.cose);
  if (!key) return state.SkipWithError("key did not parse");
  for (auto _ : state) {
    auto ok = key->verify(s.signed_bytes, s.signature);
    if (!ok) state.SkipWithError("signature refused");
    benchmark::DoNotOptimize(ok);
  }
}
BENCHMARK_CAPTURE(BM_WebauthnSignatureVerify, ES256, CoseAlg::ES256)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_WebauthnSignatureVerify, EdDSA, CoseAlg::EdDSA)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_WebauthnSignatureVerify, RS256, CoseAlg::RS256)->Unit(benchmark::kMicrosecond);

// The stored COSE key decoded (libcbor) and made an OpenSSL key: paid on
// every sign-in, since the store keeps the COSE bytes.
void BM_WebauthnCoseKeyParse(benchmark::State& state, CoseAlg alg) {
  const SignIn s(alg);
  for (auto _ : state) {
    auto key = CoseKey::parse(s.cose);
    if (!key) state.SkipWithError("key did not parse");
    benchmark::DoNotOptimize(key);
  }
}
BENCHMARK_CAPTURE(BM_WebauthnCoseKeyParse, ES256, CoseAlg::ES256);
BENCHMARK_CAPTURE(BM_WebauthnCoseKeyParse, EdDSA, CoseAlg::EdDSA);
BENCHMARK_CAPTURE(BM_WebauthnCoseKeyParse, RS256, CoseAlg::RS256);

// clientDataJSON parsed and checked (type, challenge, origin, crossOrigin).
void BM_WebauthnClientDataCheck(benchmark::State& state) {
  const SignIn s(CoseAlg::EdDSA);
  for (auto _ : state) {
    auto ok = check_client_data(s.client_data_json, Ceremony::get, s.challenge, s.rp);
    if (!ok) state.SkipWithError("client data refused");
    benchmark::DoNotOptimize(ok);
  }
}
BENCHMARK(BM_WebauthnClientDataCheck);

// Authenticator data of a sign-in (37 bytes: rpIdHash, flags, counter).
void BM_WebauthnAuthDataParse(benchmark::State& state) {
  const SignIn s(CoseAlg::EdDSA);
  for (auto _ : state) {
    auto ad = parse_authenticator_data(s.authenticator_data);
    if (!ad) state.SkipWithError("authenticator data refused");
    benchmark::DoNotOptimize(ad);
  }
}
BENCHMARK(BM_WebauthnAuthDataParse);

}  // namespace
