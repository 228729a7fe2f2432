#include "cli/data_dir.h"

#include <filesystem>
#include <utility>

#include "config/store_urls.h"

namespace cloakroom::cli {
namespace {

namespace fs = std::filesystem;

bool exists(const std::string& path) {
  std::error_code ec;
  return fs::exists(path, ec);
}

// The folder a file would be created in; "." for a bare name.
std::string folder_of(const std::string& file) {
  fs::path parent = fs::path(file).parent_path();
  return parent.empty() ? "." : parent.string();
}

// `missing` (a SQLite file, or the keys file's folder) is not there. When
// the data dir that holds it is missing too, that is what is said.
// `what` is named, then the config `key` that points at it.
Error refusal(const Config& config, const std::string& missing, std::string_view what, std::string_view key) {
  constexpr std::string_view kCreators = "only cloakroom user add and cloakroom serve create one";
  const std::string data_dir = shown_path(config.data_dir);
  if (!exists(config.data_dir) && (shown_path(missing) == data_dir || shown_path(folder_of(missing)) == data_dir))
    return Error{ErrorCode::not_found, "no data directory at " + data_dir +
                                           ": run this where the data is, or pass --data-dir DIR; " +
                                           std::string(kCreators)};
  return Error{ErrorCode::not_found, "no " + std::string(what) + " at " + shown_path(missing) + " (" +
                                         std::string(key) + "); " + std::string(kCreators)};
}

}  // namespace

std::string shown_path(const std::string& path) {
  std::error_code ec;
  fs::path p = fs::absolute(path, ec).lexically_normal();
  if (ec) return path;
  std::string out = p.string();
  if (out.size() > 1 && out.back() == '/') out.pop_back();
  return out;
}

Result<Stores> open_existing_stores(const Config& config) {
  for (const auto& [key, url] : {std::pair<std::string, std::string>{"store.users", config.store.users},
                                 std::pair<std::string, std::string>{"store.sessions", config.store.sessions}}) {
    auto file = store_file(url);
    if (file && !exists(*file)) return refusal(config, *file, "database", key);
  }
  return open_stores(store_urls(config));
}

Result<std::unique_ptr<KeySource>> open_existing_key_source(const Config& config, const Stores& stores) {
  // Why only the folder: `key` commands and `token mint` make the first key
  // set in an existing data dir, as the server does on its first start.
  if (!stores.keys && !exists(folder_of(config.jwt.keys)))
    return refusal(config, folder_of(config.jwt.keys), "folder for the keys file", "jwt.keys");
  return open_key_source(config, stores);
}

DataDirWatch::DataDirWatch(const Config& config) : path_(config.data_dir), existed_(exists(config.data_dir)) {}

bool DataDirWatch::created() const { return !existed_ && exists(path_); }

}  // namespace cloakroom::cli
