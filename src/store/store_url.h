#pragma once
// Opens the store a config URL names: "sqlite://PATH" or "memory://".
//
//   auto stores = open_stores(cfg);      // shares one SQLite file between concepts
//   if (!stores) return stores.error();
//   UserStore& users = *stores->users;
#include <memory>

#include "config/config.h"
#include "core/result.h"
#include "store/user_store.h"

namespace cloakroom {

namespace sqlite { class Database; }

struct Stores {
  std::shared_ptr<sqlite::Database> database;  // null when nothing uses SQLite
  std::unique_ptr<UserStore> users;
};

// Creates data_dir (mode 0700) when a store lives under it.
Result<Stores> open_stores(const Config& cfg);

}  // namespace cloakroom
