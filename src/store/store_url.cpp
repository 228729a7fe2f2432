#include "store/store_url.h"

#include <sys/stat.h>

#include <filesystem>

#include "store/memory/session_store.h"
#include "store/memory/token_store.h"
#include "store/memory/user_store.h"
#include "store/sqlite/database.h"
#include "store/sqlite/session_store.h"
#include "store/sqlite/token_store.h"
#include "store/sqlite/user_store.h"

namespace cloakroom {
namespace {

namespace fs = std::filesystem;

// Opens (once per distinct file) the SQLite database a sqlite:// URL names.
Result<std::shared_ptr<sqlite::Database>> open_sqlite(const Config& cfg, const std::string& url, Stores& stores) {
  std::string path = url.substr(std::string_view("sqlite://").size());
  std::error_code ec;
  fs::path parent = fs::path(path).parent_path();
  if (!parent.empty()) {
    fs::create_directories(parent, ec);
    if (ec) return Error{ErrorCode::io_error, "Cannot create the directory " + parent.string() + ": " + ec.message() + "."};
    // Why: the directory holds password hashes and private keys.
    if (fs::weakly_canonical(parent, ec) == fs::weakly_canonical(cfg.data_dir, ec)) ::chmod(parent.c_str(), 0700);
  }
  fs::path canonical = fs::weakly_canonical(path, ec);
  for (const auto& db : stores.databases)
    if (fs::weakly_canonical(db->path(), ec) == canonical) return db;
  auto db = sqlite::Database::open(path);
  if (!db) return db.error();
  stores.databases.push_back(*db);
  return *db;
}

}  // namespace

Result<Stores> open_stores(const Config& cfg) {
  Stores stores;
  if (cfg.store.users == "memory://") {
    stores.users = std::make_unique<memory::UserStore>();
    stores.events = std::make_unique<memory::EventLog>();
  } else {
    auto db = open_sqlite(cfg, cfg.store.users, stores);
    if (!db) return db.error();
    stores.users = std::make_unique<sqlite::UserStore>(*db);
    stores.events = std::make_unique<sqlite::EventLog>(*db);
  }
  if (cfg.store.sessions == "memory://") {
    stores.sessions = std::make_unique<memory::SessionStore>();
    stores.tokens = std::make_unique<memory::TokenStore>();
  } else {
    auto db = open_sqlite(cfg, cfg.store.sessions, stores);
    if (!db) return db.error();
    stores.sessions = std::make_unique<sqlite::SessionStore>(*db);
    stores.tokens = std::make_unique<sqlite::TokenStore>(*db);
  }
  return stores;
}

}  // namespace cloakroom
