#pragma once
// Where the redis:// stores keep what, and how their scripts are called.
// One prefix (the URL's ?prefix=, default "cloakroom:") starts every key,
// so several deployments or test runs share a Redis without meeting.
//
//   redis::Keys keys{"cloakroom:"};
//   keys.session("Ab3...");                 // "cloakroom:s:Ab3..."
//   keys.user_sessions("u1");               // "cloakroom:{u:u1}:s"
//   redis::Script drop = redis::store_script("drop", "record('session_revoked', ARGV[3], 0) ...");
//   redis::ScriptRunner run{client, keys, wait};
//   run(drop, {keys.session(id)}, {id});                    // KEYS[3..], ARGV[3..]
//
// Key layout (P = prefix). Every key has a TTL or a bound:
//   P s:<id>          hash    one session; user_id inside       TTL expires_ms + slack
//   P {u:<user}:s     zset    the user's session ids by created  TTL of its longest session
//   P sessions        zset    every session id by expires_ms     TTL of the longest session
//   P sessions:seen   zset    every session id by last_seen_ms   TTL of the longest session
//                             (those signed in without "keep me signed in")
//   P sessions:seen:r zset    the same for remembered sessions   TTL of the longest session
//                             (their own idle bound: session.remember_idle_timeout)
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
//   P node:<id>       hash    a serving process, its positions  TTL kNodeTtl, renewed by each heartbeat
//                             ("pos:<feed>") and kids held
//   P nodes           set     node ids                           TTL kNodeTtl, renewed by each heartbeat
//   P c:<sha256 hex>  hash    a pending challenge (store/challenge_store.h): TTL its expiry + slack
//                             kind, payload, expires, attempts
//   P challenges:<kind> zset  challenge ids (hex) by expiry     the kind's bound's count; TTL the latest
//                                                                expiry + slack
//   P t:<rule>:{<key>} hash   one throttle bucket: tokens, updated TTL the rule's window, renewed by each
//                                                                change (untouched that long = full again)
//
// Throttle buckets are tagged by what they throttle (an address, a
// username, a pair of both), each in a slot of its own; their scripts touch
// no feed or index. A login's charge takes from three buckets in one script,
// so, like the scripts above, it needs one primary (on Cluster it would be
// one script per slot, giving back what the others took when one refuses).
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
// Every mutation of sessions and token state is one script that changes
// the state and XADDs its feed entry (record() in the shared preamble), so no reader sees one without
// the other. Scripts record before they change anything: Redis does not
// roll a failed script back, and a failed XADD then leaves the state as it
// was. Needs Redis 7.0 or later (PEXPIRETIME, XADD with MAXLEN ~ and an id).
#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/auth_methods.h"
#include "core/result.h"
#include "store/redis/client.h"
#include "store/store_counters.h"

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
  std::string remembered_seen() const { return prefix + "sessions:seen:r"; }
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
  std::string challenge(std::string_view id_hash_hex) const { return prefix + "c:" + std::string(id_hash_hex); }
  std::string challenges(std::string_view kind) const { return prefix + "challenges:" + std::string(kind); }
  std::string throttle(std::string_view rule, std::string_view key) const {
    return prefix + "t:" + std::string(rule) + ":{" + std::string(key) + "}";
  }
};

// A store script: the shared preamble (NOW, keep_until, record, the key
// names above and the index helpers, in Lua) followed by `body`.
Script store_script(std::string name, std::string_view body);

// The optional WAIT after a revoking script (store.redis_wait_replicas,
// store.redis_wait_timeout). A revocation acknowledged by the primary only
// is lost if the primary fails over to a replica that had not received it:
// the revoked credential would work again. WAIT makes the call return only
// once `replicas` replicas hold it too, or the timeout passed. Fewer: the
// revocation still stands (on the primary, and in the feed every node
// follows), so the call succeeds; it is counted and logged when it starts
// and stops falling short (not once per revocation).
//
//   auto wait = std::make_shared<ReplicaWait>(ReplicaWait::Options{1, 100ms}, counters);
//   ScriptRunner{client, keys, wait}.revoking(revoke, {...}, {...});   // EVALSHA + WAIT 1 100, one round trip
class ReplicaWait {
 public:
  struct Options {
    int replicas = 0;  // 0: no WAIT
    std::chrono::milliseconds timeout{100};
  };
  ReplicaWait(Options options, std::shared_ptr<StoreCounters> counters);

  const Options& options() const { return options_; }
  // Notes what one WAIT answered (replicas that acknowledged): counts a shortfall, logs a change.
  void record(long long acknowledged, std::string_view op);

 private:
  const Options options_;
  const std::shared_ptr<StoreCounters> counters_;
  std::atomic<bool> short_{false};
};

// How the stores run their scripts, held once by each (SessionStore,
// TokenStore, ChangeFeed, NodeRegistry): the client, the key names and the
// WAIT after revoking scripts (none when null).
//
//   redis::ScriptRunner run{client, keys, wait};
//   auto created = run(create, {run.keys.session(id)}, {id, ...});
//   auto removed = run.revoking(remove, {...}, {...});      // EVALSHA + WAIT, one round trip
//   auto purged = run.in_batches(purge, {...}, {...});      // until a batch was not full; the total
struct ScriptRunner {
  std::shared_ptr<Client> client;
  Keys keys;
  std::shared_ptr<ReplicaWait> wait;

  // Runs a store script with KEYS = feed, feed counter, `script_keys...`
  // and ARGV = prefix, feed bound, `args...` (so the body's own start at
  // KEYS[3], ARGV[3]).
  Result<Reply> operator()(const Script& script, std::vector<std::string> script_keys,
                           std::vector<std::string> args) const;
  // The same, then WAIT when `wait` asks for replicas; the script's reply either way.
  Result<Reply> revoking(const Script& script, std::vector<std::string> script_keys,
                         std::vector<std::string> args) const;
  // For a script that removes up to a batch and answers {removed, 1 when
  // the batch was full}: runs it until a batch was not full; the total.
  Result<std::size_t> in_batches(const Script& script, std::vector<std::string> script_keys,
                                 std::vector<std::string> args) const;
};

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

// How a session or family hash signed in (its `amr` and `auth_time_ms`
// fields): a hash written before those fields existed was a password login
// at its creation.
AuthMethods amr_of(const Fields& f);
long long auth_time_of(const Fields& f);

// A decimal integer reply or bulk string ("42", a score such as "1700000000000"); 0 otherwise.
long long to_integer(const Reply& r);
long long to_integer(std::string_view text);
// Element i of an array reply; a nil reply when there is none (a reply of an unexpected shape).
const Reply& element(const Reply& r, std::size_t i);
// The elements of an array reply as strings (non-strings give "").
std::vector<std::string> to_strings(const Reply& r);

// HGETALL of each key in one pipelined round trip per batch, in order.
Result<std::vector<Fields>> read_hashes(Client& client, const std::vector<std::string>& keys);

// The records kept under `ids` (one hash each, at key_of(id)), made by
// make(id, fields), in order; ids whose hash is gone are left out.
template <class KeyOf, class Make>
auto read_records(Client& client, const std::vector<std::string>& ids, KeyOf key_of, Make make)
    -> Result<std::vector<decltype(make(ids.front(), std::declval<const Fields&>()))>> {
  std::vector<std::string> keys;
  keys.reserve(ids.size());
  for (const auto& id : ids) keys.push_back(key_of(id));
  auto hashes = read_hashes(client, keys);
  if (!hashes) return hashes.error();
  std::vector<decltype(make(ids.front(), std::declval<const Fields&>()))> out;
  for (std::size_t i = 0; i < ids.size(); ++i)
    if (!(*hashes)[i].empty()) out.push_back(make(ids[i], (*hashes)[i]));
  return out;
}

}  // namespace cloakroom::redis
