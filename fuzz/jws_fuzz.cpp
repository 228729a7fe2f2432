// libFuzzer target for the JWS parser and verifier.
// Invariants: never crashes; a token that verifies was signed by one of the
// fixed keys (the fuzzer cannot forge: any accepted input must have been a
// seed we signed, with its signing input unchanged).
#include <cstdint>
#include <set>
#include <string>
#include <string_view>

#include "jose/jws_parser.h"
#include "jose/jws_signer.h"
#include "jose/jws_verifier.h"

namespace {

using namespace cloakroom::jose;

struct Keys {
  KeySet set;
  Keys() {
    Jwk hs = *Jwk::from_json(*cloakroom::json::parse(
        R"({"kty":"oct","alg":"HS256","kid":"h","k":"AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow"})"));
    Jwk ed = *Jwk::from_json(*cloakroom::json::parse(
        R"({"kty":"OKP","crv":"Ed25519","kid":"e","d":"nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"})"));
    set = KeySet({hs, ed});
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const Keys keys;
  static const TokenPolicy policy{"https://auth.example.com", {"api"}, std::chrono::seconds(60)};
  std::string_view token(reinterpret_cast<const char*>(data), size);
  auto parsed = parse_jws(token);
  if (!parsed) return 0;
  auto claims = verify_jws(*parsed, keys.set, policy, 1'800'000'000);
  if (claims) {
    // An accepted token's signature must verify again with the key it names.
    const Jwk* key = keys.set.find(parsed->kid);
    if (!key || !key->verify(parsed->signing_input, parsed->signature)) __builtin_trap();
  }
  return 0;
}
