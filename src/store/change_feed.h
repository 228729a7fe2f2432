#pragma once
// The change feed: an ordered, durable, replayable log of every change that
// affects a check, so each serving process keeps its caches in step with
// the store without asking it per request.
//
//   // Writers never call append() for store changes: each store method that
//   // revokes or changes something records its entry itself, in the same
//   // transaction as the change (SQLite: the events table), so nobody sees
//   // one without the other.
//   sessions.remove(id);                                  // + session_revoked(id), atomically
//   feed.append(Change{Change::Kind::keys_changed});       // for state outside the stores (keys file)
//
//   // Readers (FeedFollower, one per process) poll cheaply and read on change:
//   if (*feed.changed()) for (auto& e : *feed.read(position, 1000)) { apply(e.change); position = e.position; }
//
// Entries are idempotent (evict, refresh, deny-until, raise-epoch-to), so
// applying one twice, or one a process made itself, is harmless.
// Positions only grow, in commit order: a reader that has applied up to P
// never later finds an entry below P.
//
// Backends: sqlite:// (table `events`, polled with PRAGMA data_version),
// memory:// (one process). A Redis Stream implements the same interface:
// the Lua script that changes the state XADDs the entry (MAXLEN ~ bound) in
// the same call; read() is XRANGE after the last id; changed() becomes
// XREAD BLOCK on the follower's own connection; bounds() comes from XINFO
// STREAM (first entry, last-generated-id), which also shows a stream that
// was trimmed past a reader or went backwards (resync). A PostgreSQL feed
// must hand out positions in commit order (a counter row updated in the
// writing transaction), since sequence values are not.
#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace cloakroom {

struct Change {
  enum class Kind {
    session_revoked,        // subject: session id
    user_sessions_revoked,  // subject: user id (every session of the user ended)
    family_revoked,         // subject: refresh family id; value: its access tokens denied until (ms)
    token_denied,           // subject: jti; value: denied until (ms)
    epoch_raised,           // subject: user id; value: the new epoch
    user_changed,           // subject: user id (disabled, roles, password)
    keys_changed,           // the signing key set changed (no subject)
  };
  Kind kind;
  std::string subject;
  long long value = 0;
  long long at_ms = 0;  // when it was written (the feed's lag in ms is measured from it)
};

std::string_view kind_name(Change::Kind kind);
// false when `name` is not a kind this build knows.
bool kind_from_name(std::string_view name, Change::Kind& out);

struct FeedEntry {
  long long position = 0;
  Change change;
  // false: written by a newer cloakroom with a kind this build does not
  // know; its position is stepped over, its change not guessed at.
  bool known = true;
};

// What the feed holds right now: entries first..last (0, 0 when empty).
// A reader whose position is below first - 1 missed entries that were
// pruned, and must resync (reload its caches) instead of replaying.
struct FeedBounds {
  long long first = 0;
  long long last = 0;
};

class ChangeFeed {
 public:
  virtual ~ChangeFeed() = default;

  // For changes that no store method records (the keys file). Durable before it returns.
  virtual Result<void> append(const Change& change) = 0;
  // Up to `max` entries after `position`, oldest first.
  virtual Result<std::vector<FeedEntry>> read(long long position, std::size_t max) = 0;
  virtual Result<FeedBounds> bounds() = 0;
  // Cheap, meant to be called every few milliseconds: false only when
  // nothing can have been appended since the last call. A backend that
  // cannot tell says true.
  virtual Result<bool> changed() = 0;
  // Drops entries written before `before_ms`.
  virtual Result<void> prune(long long before_ms) = 0;
  // Stable across processes that open the same feed ("sqlite:/srv/cloakroom.db"):
  // the node registry keys applied positions by it.
  virtual const std::string& name() const = 0;
};

}  // namespace cloakroom
