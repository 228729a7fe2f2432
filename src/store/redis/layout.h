#pragma once
// Where the redis:// stores keep what, and how their scripts are called.
// One prefix (the URL's ?prefix=, default "cloakroom:") starts every key,
// so several deployments or test runs share a Redis without meeting.
//
//   redis::Keys keys{"cloakroom:"};
//   keys.session("Ab3...");                 // "cloakroom:s:Ab3..."
//   keys.user_sessions("u1");               // "cloakroom:{u:u1}:s"
//   redis::Script drop = redis::store_script("drop", "record('session_revoked', ARGV[3], 0) ...");
//   run_script(client, keys, drop, {keys.session(id)}, {id});   // KEYS[3..], ARGV[3..]
//
// Key layout (P = prefix). Every key has a TTL or a bound:
//   P s:<id>          hash    one session; user_id inside       TTL expires_ms + slack
//   P {u:<user}:s     zset    the user's session ids by created  TTL of its longest session
//   P sessions        zset    every session id by expires_ms     TTL of the longest session
//   P sessions:seen   zset    every session id by last_seen_ms   TTL of the longest session
//   P f:<id>          hash    one refresh family                TTL expires_ms + slack (moved by rotation)
//   P {u:<user}:f     zset    the user's family ids by created   TTL of its longest family
//   P families        zset    every family id by expires_ms      TTL of the longest family
//   P denylist        zset    "jti:<jti>", "sid:<family id>" by until_ms; TTL of the latest until
//   P epochs          hash    user id -> epoch                  no TTL: one integer per user who ever
//                                                                logged out everywhere (forgetting one
//                                                                would revive that user's old tokens)
//   P feed            stream  the change feed, ids "<n>-0"       MAXLEN ~ kFeedMaxLen, pruned by age
//   P feed:n          string  the last position handed out      one integer
//   P feed:origin     string  random, set once per dataset      one value; a new one = data was lost
//   P node:<id>       hash    a serving process + positions     TTL kNodeTtl, renewed by each heartbeat
//   P nodes           set     node ids                           TTL kNodeTtl, renewed by each heartbeat
//
// Sessions are keyed by id alone: the id does not tell whose it is, so a
// lookup by id cannot name the user's hash tag; the user's index holds the
// ids instead. The {u:<user>} tags put one user's indexes in one slot.
// Scripts also touch the global indexes and the feed, so this runs on one
// Redis primary (with replicas), not across Redis Cluster shards: that
// needs one feed per slot, a later step the tags leave room for.
//
// Expiry: purge_expired (by the caller's clock) is what removes expired
// records; the TTLs are the memory bound behind it, set kSlack past the
// expiry by Redis's clock so a node whose clock lags Redis's never finds
// a record gone that it still counts as live.
//
// Every mutation is one script that changes the state and XADDs its feed
// entry (record() in the shared preamble), so no reader sees one without
// the other. Scripts record before they change anything: Redis does not
// roll a failed script back, and a failed XADD then leaves the state as it
// was. Needs Redis 7.0 or later (PEXPIRETIME, XADD with MAXLEN ~ and an id).
#include <chrono>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/result.h"
#include "store/redis/client.h"

namespace cloakroom::redis {

// Why 1 minute: far above clock skew between hosts, small against any expiry.
inline constexpr std::chrono::milliseconds kSlack{60'000};
// Why 100,000: about 10 MB of stream; a process further behind than that resyncs (reloads) instead of replaying.
inline constexpr long long kFeedMaxLen = 100'000;
// Why 15 minutes: longer than the follower's 10 minutes before it forgets a
// gone process, so `node list` shows it as gone first; the TTL is the backstop.
inline constexpr std::chrono::milliseconds kNodeTtl{15 * 60'000};

struct Keys {
  std::string prefix;

  std::string session(std::string_view id) const { return prefix + "s:" + std::string(id); }
  std::string user_sessions(std::string_view user) const { return prefix + "{u:" + std::string(user) + "}:s"; }
  std::string sessions() const { return prefix + "sessions"; }
  std::string sessions_seen() const { return prefix + "sessions:seen"; }
  std::string family(std::string_view id) const { return prefix + "f:" + std::string(id); }
  std::string user_families(std::string_view user) const { return prefix + "{u:" + std::string(user) + "}:f"; }
  std::string families() const { return prefix + "families"; }
  std::string denylist() const { return prefix + "denylist"; }
  std::string epochs() const { return prefix + "epochs"; }
  std::string feed() const { return prefix + "feed"; }
  std::string feed_counter() const { return prefix + "feed:n"; }
  std::string feed_origin() const { return prefix + "feed:origin"; }
  std::string node(std::string_view id) const { return prefix + "node:" + std::string(id); }
  std::string nodes() const { return prefix + "nodes"; }
};

// A store script: the shared preamble (NOW, keep_until, record and the
// key names above, in Lua) followed by `body`.
Script store_script(std::string name, std::string_view body);

// Runs a store script with KEYS = feed, feed counter, `keys...` and
// ARGV = prefix, feed bound, `args...` (so the body's own start at KEYS[3], ARGV[3]).
Result<Reply> run_script(Client& client, const Keys& keys, const Script& script, std::vector<std::string> script_keys,
                         std::vector<std::string> args);

// The fields of an HGETALL reply, by name; empty when the hash is missing.
class Fields {
 public:
  explicit Fields(const Reply& hgetall);
  bool empty() const { return values_.empty(); }
  std::string text(const std::string& name) const;
  long long integer(const std::string& name) const;  // 0 when absent or not a number
  const std::unordered_map<std::string, std::string>& all() const { return values_; }

 private:
  std::unordered_map<std::string, std::string> values_;
};

// A decimal integer reply or bulk string ("42", a score such as "1700000000000"); 0 otherwise.
long long to_integer(const Reply& r);
long long to_integer(std::string_view text);
// Element i of an array reply; a nil reply when there is none (a reply of an unexpected shape).
const Reply& element(const Reply& r, std::size_t i);
// The elements of an array reply as strings (non-strings give "").
std::vector<std::string> to_strings(const Reply& r);

// HGETALL of each key in one pipelined round trip per batch, in order.
Result<std::vector<Fields>> read_hashes(Client& client, const std::vector<std::string>& keys);

}  // namespace cloakroom::redis
