#pragma once
// Where token-mode state lives (durability): refresh families, the access
// token denylist and per-user epochs. The hot path reads the in-process
// RevocationList instead; families are read here only at refresh time. One
// implementation per backend: store/memory/, store/sqlite/ (same file names).
//
//   store.create_family(family);                         // login: durable before it returns
//   store.rotate_family(id, gen, next_hash, now, until); // compare-and-swap: false if someone else rotated
//   store.revoke_family(id, until_ms);                   // gone, and its access tokens denied until `until_ms`
//   store.revoke_family(id, user_id, now, until_ms);     // the same, only if it is that user's live family
//   store.deny(Revocation{Revocation::Kind::token, jti, exp_ms});
//   auto read = *store.find_family_and_epoch(id);        // refresh: the family and its user's epoch, one read
//   auto ended = *store.end_user_families(user_id);      // logout-all: epoch + 1 and every family gone, one step
//
// Only a hash of the current refresh secret is stored; the chain key derives
// a child secret from a parent one, so it yields nothing without a token.
// Every method is thread-safe and durable before it returns.
#include <string>
#include <utility>
#include <vector>

#include "core/auth_methods.h"
#include "core/result.h"

namespace cloakroom {

struct RefreshFamilyRecord {
  std::string id;            // public id (22 base64url chars); shown in /auth/sessions
  std::string user_id;
  std::string chain_key;     // 32 random bytes: secret(n+1) = HMAC-SHA256(chain_key, secret(n))
  std::string current_hash;  // SHA-256 of secret(generation), 32 raw bytes
  long long generation = 0;  // rotations so far
  long long created_ms = 0;
  long long rotated_ms = 0;    // last rotation (the grace window starts here); = created_ms at first
  long long expires_ms = 0;    // refresh_ttl after the last rotation
  std::string ip;
  std::string user_agent;
  bool remember = false;
  AuthMethods amr;            // how the user signed in; every rotation keeps it (a refresh is no new sign-in)
  long long auth_time_ms = 0;  // when; a record older than either reads as pwd at created_ms
};

// An entry of the denylist: one access token (by jti) or every access token
// of a refresh family (by its id, the tokens' `sid`), until `until_ms`.
struct Revocation {
  enum class Kind { token, family };
  Kind kind;
  std::string id;
  long long until_ms = 0;
};

// A family as a refresh reads it, with its user's epoch read in the same
// step. The access token minted from the read carries that epoch, so a
// logout-all after the read (end_user_families raises it) ends the token,
// and one before the read left no family to read: no refresh racing a
// logout-all mints a token that outlives it.
struct FamilyAndEpoch {
  RefreshFamilyRecord family;
  long long user_epoch = 0;
};

// What a logout-all ended: the user's new epoch and the families removed.
struct EndedFamilies {
  long long epoch = 0;
  std::vector<std::string> ids;
};

class TokenStore {
 public:
  virtual ~TokenStore() = default;

  virtual Result<void> create_family(const RefreshFamilyRecord& family) = 0;
  // not_found when absent (never created, revoked or purged).
  virtual Result<RefreshFamilyRecord> find_family(const std::string& id) = 0;
  // The same with the user's epoch (0 when never raised), both as of one moment.
  virtual Result<FamilyAndEpoch> find_family_and_epoch(const std::string& id) = 0;
  // Moves the family from `from_generation` to the next one. false (and no
  // change) when its generation is no longer `from_generation` or it is gone.
  virtual Result<bool> rotate_family(const std::string& id, long long from_generation, const std::string& next_hash,
                                     long long now_ms, long long expires_ms) = 0;
  // The user's families that have not expired at `now_ms`, oldest first.
  virtual Result<std::vector<RefreshFamilyRecord>> list_user_families(const std::string& user_id, long long now_ms) = 0;
  // Every user's families that have not expired at `now_ms`, oldest first (the CLI's list).
  virtual Result<std::vector<RefreshFamilyRecord>> list_active_families(long long now_ms) = 0;
  // Removes the family and denies its access tokens until `until_ms`, in one
  // step. true when the family existed.
  virtual Result<bool> revoke_family(const std::string& id, long long until_ms) = 0;
  // The same, only for a family of `user_id` that has not expired at
  // `now_ms` (one list_user_families shows): otherwise false, and nothing is
  // removed or denied.
  virtual Result<bool> revoke_family(const std::string& id, const std::string& user_id, long long now_ms,
                                     long long until_ms) = 0;
  // Logout-all: raises the user's epoch by one (recording epoch_raised) and
  // removes every family of the user, in one step. Why one: between two
  // steps a refresh could read the raised epoch beside a family still
  // there, and mint an access token carrying the new epoch. `keep` (a
  // family id; empty: none) stays: a password change keeps the caller's
  // family, whose next refresh mints at the new epoch.
  virtual Result<EndedFamilies> end_user_families(const std::string& user_id, const std::string& keep = {}) = 0;

  virtual Result<void> deny(const Revocation& revocation) = 0;
  // Every denylist entry still in force at `now_ms`.
  virtual Result<std::vector<Revocation>> load_denylist(long long now_ms) = 0;

  // Raises the user's epoch by one and returns it (the first bump gives 1);
  // families stay (store migrate brings epochs up to the source's with it).
  virtual Result<long long> bump_epoch(const std::string& user_id) = 0;
  // 0 for a user who never had one.
  virtual Result<long long> epoch(const std::string& user_id) = 0;
  virtual Result<std::vector<std::pair<std::string, long long>>> load_epochs() = 0;

  // Drops expired families and denylist entries; how many rows went.
  virtual Result<std::size_t> purge_expired(long long now_ms) = 0;
};

}  // namespace cloakroom
