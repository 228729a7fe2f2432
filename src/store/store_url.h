#pragma once
// Opens the stores the config URLs name, through one table of backends by
// URL scheme (store_url.cpp): "sqlite://PATH" or "memory://" in this build,
// "redis://HOST:PORT/DB" for the session side, and for the users
// "postgres://USER@HOST:PORT/DB" (a libpq URI).
// store.users gives the users; store.sessions gives the sessions, the token
// state, the throttle buckets and the node registry beside them. Each
// backend brings the change feed its stores record into: one when both URLs
// name one database.
//
//   auto stores = open_stores(store_urls(cfg));   // config/store_urls.h
//   // one SQLite connection per distinct file
//   if (!stores) return stores.error();
//   UserStore& users = *stores->users;
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "store/challenge_store.h"
#include "store/change_feed.h"
#include "store/key_store.h"
#include "store/node_registry.h"
#include "store/session_store.h"
#include "store/store_counters.h"
#include "store/store_url_check.h"
#include "store/throttle_store.h"
#include "store/token_store.h"
#include "store/user_store.h"

namespace cloakroom {

// Each store keeps what it needs (a shared database connection) alive itself.
struct Stores {
  std::unique_ptr<UserStore> users;
  std::unique_ptr<SessionStore> sessions;
  // Refresh families, denylist and epochs live beside the sessions.
  std::unique_ptr<TokenStore> tokens;
  // Every distinct feed the stores above record into (one for one database).
  std::vector<std::shared_ptr<ChangeFeed>> feeds;
  // Lives beside the sessions.
  std::shared_ptr<NodeRegistry> nodes;
  // The shared signing key set, beside the users when they are in a shared
  // store (PostgreSQL); null: the keys file (jwt.keys) in the data dir.
  std::shared_ptr<KeyStore> keys;
  // Beside the sessions too: in process for sqlite:// and memory:// (each
  // node counts alone), in Redis for redis:// (every node draws from the
  // same buckets). App picks nothing: the session backend decides.
  std::unique_ptr<ThrottleStore> throttles;
  // Pending challenges (a login's second step, WebAuthn ceremonies), beside
  // the sessions so every node that shares them shares these.
  std::unique_ptr<ChallengeStore> challenges;
  // What the stores count for /metrics (Metrics lives above the stores; App
  // moves these counts over).
  std::shared_ptr<StoreCounters> counters = std::make_shared<StoreCounters>();
};

// What open_stores needs of the config: the values, not the Config, so the
// store layer stays below config/ (which asks store_url_check.h about URLs).
// config/store_urls.h fills it from a Config.
struct StoreUrls {
  std::string users;     // store.users
  std::string sessions;  // store.sessions
  std::string data_dir;  // made 0700 when a store lives in it
  // throttle.max_tracked: keys per rule an in-process throttle table holds.
  std::size_t throttle_max_tracked = 100'000;
  // feed.poll_interval: how long a feed that can wait for news (Redis) waits per check.
  std::chrono::milliseconds feed_poll_interval{5};
  // store.redis_wait_replicas / store.redis_wait_timeout: after each
  // revocation, wait for that many Redis replicas (0: do not wait).
  int redis_wait_replicas = 0;
  std::chrono::milliseconds redis_wait_timeout{100};
};

// Creates data_dir (mode 0700) when a store lives under it. feeds[0] is the
// users' feed and feeds.back() the sessions' (one and the same when both
// sides share a backend).
Result<Stores> open_stores(const StoreUrls& urls);

// The file a URL keeps its data in ("sqlite://data/x.db" -> "data/x.db"),
// which opening it creates when missing; nullopt for a server or memory://.
std::optional<std::string> store_file(std::string_view url);

// One side of a URL alone, for `store migrate`'s targets: only `users` (and
// its feed), or only sessions, tokens, their feed and the node registry.
// `named` names the URL in messages ("--to-users must be ...").
Result<Stores> open_user_side(std::string_view named, const std::string& url, const std::string& data_dir);
Result<Stores> open_session_side(std::string_view named, const std::string& url, const std::string& data_dir);

}  // namespace cloakroom
