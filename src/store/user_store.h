#pragma once
// Where users live. One interface, one implementation per backend
// (store/memory/user_store.h, store/sqlite/user_store.h), chosen by URL in
// store/store_url.h, so handlers never know which backend they talk to.
//
//   Result<User> u = users.find_by_name("alice");
//   if (!u && u.error().code == ErrorCode::not_found) ...   // no such user
//
// Usernames are compared in Unicode NFC, ignoring ASCII case: "Alice" and
// "alice" are one user, and so are "café" typed precomposed (U+00E9) or
// decomposed (e + U+0301). The stored spelling is the NFC form of the one
// given at registration (canonical_username).
// Every method is safe to call from several threads at once.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.h"

namespace cloakroom {

struct User {
  std::string id;             // opaque, random, never reused
  std::string username;
  std::string password_hash;  // PHC string; never leaves the process
  std::vector<std::string> roles;
  bool disabled = false;
  long long created_at = 0;   // unix seconds
};

// A passkey (WebAuthn credential) a user registered; see webauthn/ for how
// one is verified. Binary members are raw bytes.
struct Passkey {
  std::string credential_id;  // 1..1023 bytes, unique across all users
  std::string user_id;
  std::string user_handle;    // the opaque WebAuthn user.id (random, never the name), one per user
  std::string public_key;     // the COSE_Key bytes as registered
  int alg = 0;                // COSE algorithm: -7 ES256, -8 EdDSA, -257 RS256
  long long sign_count = 0;   // the authenticator's counter (0..2^32-1), 0 for most passkeys
  bool user_verified = false; // UV at registration
  bool backup_eligible = false;
  bool backed_up = false;     // synced passkey (BS), as of the last use
  bool flagged = false;       // a sign-in showed a counter that went back: a cloned authenticator?
  std::string name;           // the user's label ("YubiKey 5", "Pixel")
  long long created_at = 0;   // unix seconds
  long long last_used_at = 0; // unix seconds; 0: never
};

// A user's TOTP second factor as stored (see mfa/totp_service.h). Secrets
// are sealed by the caller (core/key_encryption.h, the user id bound in);
// recovery codes are kept as hashes only (mfa/recovery_codes.h).
struct TotpState {
  std::string pending;             // sealed secret awaiting its first code; empty: none
  long long pending_created = 0;   // unix seconds
  std::string secret;              // sealed confirmed secret; empty: TOTP is off
  long long last_step = -1;        // the last accepted time step: the replay guard
  int recovery_codes_left = 0;     // unused recovery codes
};

// A user's TOTP factor whole, for a bulk copy (store migrate): the state as
// stored (secrets still sealed) and the hashes of the unused recovery codes.
// Used codes are not carried: they open nothing anywhere.
struct TotpRecord {
  std::string user_id;
  TotpState state;                           // recovery_codes_left: recovery_hashes.size()
  std::vector<std::string> recovery_hashes;  // unused, in no particular order
};

// `rows` with each (user id, code hash) of `codes` put in its user's row
// (codes of users without a row are dropped): for the stores' list_totp.
std::vector<TotpRecord> with_recovery_codes(std::vector<TotpRecord> rows,
                                            const std::vector<std::pair<std::string, std::string>>& codes);

// `key rewrap` reads the sealed secrets a page at a time (sealed_totp) and
// keeps each resealed one only while it is still the one it read
// (reseal_totp): a user who enrols again or turns TOTP off meanwhile wins.
struct SealedTotp {
  std::string user_id;
  std::string pending;  // sealed; empty: none
  std::string secret;   // sealed; empty: none
};
struct TotpReseal {
  std::string user_id;
  bool pending = false;  // the pending secret, else the confirmed one
  std::string was;       // sealed, as read (not empty)
  std::string now;       // the same secret sealed under the current key
};

// A password reset link (`user reset-link`): only the SHA-256 of its token
// is stored (lower-case hex), so a copy of the store opens no account.
struct PasswordReset {
  std::string token_hash;
  std::string user_id;
  long long expires_ms = 0;
};

class UserStore {
 public:
  virtual ~UserStore() = default;

  // username_taken if the name exists (ignoring ASCII case).
  virtual Result<void> create(const User& user) = 0;
  // For a bulk copy (store migrate): creates each user whose id is not here
  // yet, in as few round trips as the backend allows (this default: one
  // create per user), and returns how many it wrote. username_taken when one
  // clashes by name with another user here; the users before it, or before
  // its batch, may be written already.
  virtual Result<std::size_t> create_all(std::span<const User> users);
  // not_found when absent; store_unavailable when the backend fails.
  virtual Result<User> find_by_name(const std::string& username) = 0;
  virtual Result<User> find_by_id(const std::string& id) = 0;
  virtual Result<std::vector<User>> list() = 0;
  virtual Result<void> set_disabled(const std::string& id, bool disabled) = 0;
  virtual Result<void> set_password_hash(const std::string& id, const std::string& hash) = 0;
  // Compare-and-set: stores `hash` only while the user's hash is still
  // `expected`, so a login's upgrade of the hash it verified cannot undo a
  // password change that landed meanwhile. true when written (with the
  // same user_changed entry as set_password_hash); false when the stored
  // hash differs or the user is gone.
  virtual Result<bool> set_password_hash_if(const std::string& id, const std::string& expected,
                                            const std::string& hash) = 0;
  virtual Result<void> set_roles(const std::string& id, const std::vector<std::string>& roles) = 0;
  virtual Result<void> add_password_reset(const PasswordReset& reset) = 0;
  // Marks the reset used and returns its user id, in one step, so a link
  // works once even when two requests race. not_found when the hash is
  // unknown, already used or expired at `now_ms` (one answer for all three).
  virtual Result<std::string> use_password_reset(const std::string& token_hash, long long now_ms) = 0;
  // The ids of every disabled user (few; the request path keeps them all).
  virtual Result<std::vector<std::string>> disabled_ids() = 0;

  // Passkeys. add_passkey: conflict when the credential id exists (for any user).
  virtual Result<void> add_passkey(const Passkey& passkey) = 0;
  // not_found when no user has this credential id.
  virtual Result<Passkey> find_passkey(const std::string& credential_id) = 0;
  // The user's passkeys, oldest first (empty when none).
  virtual Result<std::vector<Passkey>> list_passkeys(const std::string& user_id) = 0;
  // not_found unless the credential is this user's: a user removes only their own.
  virtual Result<void> delete_passkey(const std::string& user_id, const std::string& credential_id) = 0;
  // A verified sign-in, recorded only while the counter is still
  // `expected_count` (compare-and-set): conflict when another sign-in with
  // the same counter got there first (a replay race or a clone: refuse it);
  // not_found when the passkey is gone.
  virtual Result<void> record_passkey_use(const std::string& credential_id, long long expected_count,
                                          long long new_count, bool backed_up, long long used_at) = 0;
  // Marks the passkey `flagged` (a counter went back); not_found when gone.
  virtual Result<void> flag_passkey(const std::string& credential_id) = 0;
  // TOTP. A user with nothing stored has a default TotpState (for any id).
  virtual Result<TotpState> totp(const std::string& user_id) = 0;
  // Keeps `sealed` as the pending secret (replacing an earlier one);
  // not_found when there is no such user; conflict, changing nothing, when a
  // confirmed secret exists, checked in the same step as the write (so an
  // enrolment racing a confirm never leaves a pending secret behind).
  virtual Result<void> begin_totp(const std::string& user_id, const std::string& sealed, long long now) = 0;
  // Atomically: when the pending secret is still `pending`, it becomes the
  // confirmed secret with last_step = `step`, and the recovery codes become
  // `recovery_hashes` (all unused, earlier ones gone). false, changing
  // nothing, when the pending secret is another or gone (a second
  // enrolment raced this one).
  virtual Result<bool> confirm_totp(const std::string& user_id, const std::string& pending, long long step,
                                    const std::vector<std::string>& recovery_hashes) = 0;
  // Atomically sets last_step = `step` if the user has a confirmed secret
  // and `step` is greater than last_step: of callers racing with one code,
  // exactly one gets true.
  virtual Result<bool> accept_totp_step(const std::string& user_id, long long step) = 0;
  // Atomically marks the unused recovery code with this hash used: true for
  // exactly one caller; false when there is none, or it was used.
  virtual Result<bool> use_recovery_code(const std::string& user_id, const std::string& code_hash) = 0;
  // Atomically, while the user has a confirmed secret: the recovery codes
  // become `recovery_hashes` (all unused), every earlier one void at once.
  // false, changing nothing, when TOTP is off (turned off in a race, say).
  virtual Result<bool> replace_recovery_codes(const std::string& user_id,
                                              const std::vector<std::string>& recovery_hashes) = 0;
  // Forgets the user's secrets (pending and confirmed) and recovery codes.
  virtual Result<void> clear_totp(const std::string& user_id) = 0;
  // Up to `limit` users with TOTP state, ids after `after` ("" for the
  // first page) in byte order: a bounded page, so `key rewrap` never holds
  // the whole table (nor one transaction over it).
  virtual Result<std::vector<SealedTotp>> sealed_totp(const std::string& after, std::size_t limit) = 0;
  // In one transaction: each secret still `was` becomes `now` (nothing else
  // changes: last_step, recovery codes). How many changed; one changed
  // meanwhile is left as it is.
  virtual Result<std::size_t> reseal_totp(const std::vector<TotpReseal>& reseals) = 0;

  // For a bulk copy (store migrate). Every user's passkeys (this default:
  // list(), then list_passkeys for each user; the SQL stores use one query).
  virtual Result<std::vector<Passkey>> list_all_passkeys();
  // Every TOTP row that holds a secret (pending or confirmed), with its unused recovery codes.
  virtual Result<std::vector<TotpRecord>> list_totp() = 0;
  // Writes `record` for a user with no TOTP secret here (pending or
  // confirmed): the confirmed secret with its replay guard and recovery
  // codes, or else the pending one. false, changing nothing, when the user
  // has one already; not_found when there is no such user. This default
  // uses begin_totp and confirm_totp (not atomic: for an offline copy).
  virtual Result<bool> import_totp(const TotpRecord& record);

  // Cheap round trip for /readyz: fails when a write could not start now.
  virtual Result<void> ping() = 0;
};

// Why 7 days past the new link's expiry: no link lives longer (--ttl is at
// most 7d), so an older expired row can never be redeemed; the stores drop
// such rows, and used ones, when a new link is added.
inline constexpr long long kResetKeepMs = 7LL * 86'400'000;

// The spelling to store and show: the NFC form (UAX #15) of valid UTF-8;
// anything else comes back unchanged (it then matches no stored name).
std::string canonical_username(std::string_view username);
// "Alice" -> "alice", "cafe\u0301" -> "café": the uniqueness key for usernames
// (canonical_username, then ASCII lower case). Every lookup goes through it.
std::string username_key(const std::string& username);

// Roles as one comma-separated text, as the SQL stores keep them (role names
// have no commas: see check_role), and back; empty items are dropped.
std::string join_roles(const std::vector<std::string>& roles);
std::vector<std::string> split_roles(std::string_view text);

}  // namespace cloakroom
