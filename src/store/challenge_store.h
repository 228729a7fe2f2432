#pragma once
// Short-lived, single-use challenges that carry a flow from one request to
// the next, which may reach another node: a login waiting for its second
// factor, a WebAuthn ceremony waiting for the authenticator's answer. Kept
// beside the sessions (a table in SQLite, a key with a TTL in Redis, a map
// in memory), so every node that shares the sessions sees them.
//
//   store.put({.id_hash = sha256(id), .kind = "login", .payload = json, .expires_ms = now + 5 * 60'000}, now);
//   auto c = store.attempt(id_hash, "login", now_ms, /*max_attempts=*/5);  // counts one attempt
//   if (!c) -> 503 (fail closed)   if (!*c) -> unknown, expired, used or out of attempts
//   ... check the code against (*c)->payload ...
//   if (right && *store.consume(id_hash)) -> done (exactly one caller gets true)
//
// The caller hands in the SHA-256 of the random id it gave the client, so
// the store never holds a usable challenge id. Payloads are the caller's
// (JSON text); they must not hold secrets in the clear. Thread-safe; calls
// may wait on the network: never from an I/O thread.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.h"

namespace cloakroom {

// The bound on challenges of one kind outstanding in one store (a constant,
// not a key: nobody tunes it). Each kind counts apart, so a flood of one
// flow cannot starve another: anyone may ask for passkey sign-in options
// (paid per client network only, and many networks are cheap: an IPv6 /48
// holds 65,536 /64s), and those must not fill the place of the second steps
// of logins whose password was right. Why 100,000: a few hundred bytes
// each (tens of MB per kind at most), far above any real burst of flows
// waiting out their few minutes, yet no flood grows the store without bound.
inline constexpr std::size_t kMaxPendingChallenges = 100'000;

// put()'s answer when the bound is reached even after dropping the expired
// ones: overloaded (503, try again), never an unbounded store.
inline Error challenges_full() {
  return Error{ErrorCode::overloaded, "Too many sign-in challenges are pending; try again shortly."};
}

struct PendingChallenge {
  std::string id_hash;  // SHA-256 of the id the client holds, 32 raw bytes
  std::string kind;     // which flow: a challenge of one kind is never taken for another
  std::string payload;
  long long expires_ms = 0;
  int attempts = 0;  // attempts counted so far, this one included when returned by attempt()
};

class ChallengeStore {
 public:
  virtual ~ChallengeStore() = default;

  // Keeps a new challenge (attempts starts at 0). A clash of ids is an
  // internal error: ids are random. At the bound for its kind (at most
  // kMaxPendingChallenges of that kind) it first drops the ones expired by
  // `now_ms`, then refuses with challenges_full() if none of its kind had;
  // challenges of other kinds neither count nor are refused.
  virtual Result<void> put(const PendingChallenge& challenge, long long now_ms) = 0;
  // Counts one attempt and returns the challenge with it; nullopt when none
  // of this kind is kept under id_hash, it expired by `now_ms`, or it had
  // `max_attempts` already (it is then removed). However many callers race,
  // no more than max_attempts get it back.
  virtual Result<std::optional<PendingChallenge>> attempt(const std::string& id_hash, std::string_view kind,
                                                          long long now_ms, int max_attempts) = 0;
  // Removes it: true for the one caller that removed it, false for the rest.
  virtual Result<bool> consume(const std::string& id_hash) = 0;
  // Removes expired challenges; how many.
  virtual Result<std::size_t> purge_expired(long long now_ms) = 0;
};

}  // namespace cloakroom
