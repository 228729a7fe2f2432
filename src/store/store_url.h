#pragma once
// Opens the stores the config URLs name, through one table of backends by
// URL scheme (store_url.cpp): "sqlite://PATH" or "memory://" in this build,
// "redis://HOST:PORT/DB" for the session side, and for the users
// "postgres://USER:PASSWORD@HOST:PORT/DB" (a libpq URI).
// store.users gives the users; store.sessions gives the sessions, the token
// state and the node registry beside them. Each backend brings the change
// feed its stores record into: one when both URLs name one database.
//
//   auto stores = open_stores({cfg.store.users, cfg.store.sessions, cfg.data_dir});
//   // one SQLite connection per distinct file
//   if (!stores) return stores.error();
//   UserStore& users = *stores->users;
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "store/change_feed.h"
#include "store/key_store.h"
#include "store/node_registry.h"
#include "store/session_store.h"
#include "store/store_url_check.h"
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
};

// What open_stores needs of the config: the values, not the Config, so the
// store layer stays below config/ (which asks store_url_check.h about URLs).
struct StoreUrls {
  std::string users;     // store.users
  std::string sessions;  // store.sessions
  std::string data_dir;  // made 0700 when a store lives in it
};

// Creates data_dir (mode 0700) when a store lives under it. feeds[0] is the
// users' feed and feeds.back() the sessions' (one and the same when both
// sides share a backend).
Result<Stores> open_stores(const StoreUrls& urls);

// One side of a URL alone, for `store migrate`'s targets: only `users` (and
// its feed), or only sessions, tokens, their feed and the node registry.
// `named` names the URL in messages ("--to-users must be ...").
Result<Stores> open_user_side(std::string_view named, const std::string& url, const std::string& data_dir);
Result<Stores> open_session_side(std::string_view named, const std::string& url, const std::string& data_dir);

}  // namespace cloakroom
