#pragma once
// The data dir as commands see it. Those that read or change existing data
// refuse to run where there is none, rather than leave an empty data dir and
// database behind (a `user list` run from the wrong folder). Only `serve`
// and `user add` create it, and they say where.
//
//   auto stores = open_existing_stores(*config);   // not_found: "no data directory at /abs/cloakroom-data; ..."
//   auto keys = open_existing_key_source(*config, *stores);
//
//   DataDirWatch watch(*config);                   // user add, serve: may create it
//   auto stores = open_stores(store_urls(*config));
//   if (watch.created()) std::cout << "created the data directory " << watch.where() << "\n";
#include <memory>
#include <string>

#include "config/config.h"
#include "core/result.h"
#include "store/store_url.h"
#include "token/key_source.h"

namespace cloakroom::cli {

// Absolute and normalised, as messages show a path.
std::string shown_path(const std::string& path);

// open_stores, unless opening would create the data dir or a SQLite file
// (store.users, store.sessions): then not_found, one sentence naming it.
// Stores on a server (postgres://, redis://) need no data dir.
Result<Stores> open_existing_stores(const Config& config);

// open_key_source; with the keys in the keys file (jwt.keys), its folder
// must exist (a missing keys file in it is made, as the server makes it).
Result<std::unique_ptr<KeySource>> open_existing_key_source(const Config& config, const Stores& stores);

// Whether the data dir existed when made, to tell afterwards whether it was created.
class DataDirWatch {
 public:
  explicit DataDirWatch(const Config& config);
  bool created() const;
  std::string where() const { return shown_path(path_); }

 private:
  std::string path_;
  bool existed_;
};

}  // namespace cloakroom::cli
