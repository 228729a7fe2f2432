#include "store/store_url.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "store/memory/user_store.h"
#include "store/sqlite/database.h"
#include "store/sqlite/user_store.h"

namespace cloakroom {

Result<Stores> open_stores(const Config& cfg) {
  Stores stores;
  if (cfg.store.users == "memory://") {
    stores.users = std::make_unique<memory::UserStore>();
    return stores;
  }
  std::string path = cfg.store.users.substr(std::string_view("sqlite://").size());
  std::filesystem::path parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(parent, ec);
    if (ec) return Error{ErrorCode::io_error, "Cannot create the directory " + parent.string() + ": " + ec.message() + "."};
    // Why: the directory holds password hashes and private keys.
    if (parent == std::filesystem::path(cfg.data_dir)) ::chmod(parent.c_str(), 0700);
  }
  auto db = sqlite::Database::open(path);
  if (!db) return db.error();
  stores.database = std::move(*db);
  stores.users = std::make_unique<sqlite::UserStore>(stores.database);
  return stores;
}

}  // namespace cloakroom
