#pragma once
// Opens the stores the config URLs name: "sqlite://PATH" or "memory://".
//
//   auto stores = open_stores(cfg);      // one SQLite connection per distinct file
//   if (!stores) return stores.error();
//   UserStore& users = *stores->users;
#include <memory>
#include <vector>

#include "config/config.h"
#include "core/result.h"
#include "store/session_store.h"
#include "store/token_store.h"
#include "store/user_store.h"

namespace cloakroom {

namespace sqlite { class Database; }

struct Stores {
  std::vector<std::shared_ptr<sqlite::Database>> databases;  // kept open for the stores' lifetime
  std::unique_ptr<UserStore> users;
  std::unique_ptr<SessionStore> sessions;
  // Refresh families, denylist and epochs live beside the sessions.
  std::unique_ptr<TokenStore> tokens;
  // Lives beside the users: the CLI writes here, the server replays it.
  std::unique_ptr<EventLog> events;
};

// Creates data_dir (mode 0700) when a store lives under it.
Result<Stores> open_stores(const Config& cfg);

}  // namespace cloakroom
