#include "cli/args.h"

#include <cstdlib>
#include <iostream>

namespace cloakroom::cli {
namespace {
// Flags that take no value.
const std::set<std::string> kBooleanFlags = {"password-stdin", "activate", "help", "json", "no-wait", "now"};
const std::set<std::string_view> kGlobalFlags = {"config", "data-dir", "help"};
}  // namespace

std::optional<std::string> Args::get(const std::string& name) const {
  auto it = flags.find(name);
  if (it == flags.end()) return std::nullopt;
  return it->second;
}

std::vector<std::string> Args::all(const std::string& name) const {
  std::vector<std::string> out;
  auto [b, e] = flags.equal_range(name);
  for (auto it = b; it != e; ++it) out.push_back(it->second);
  return out;
}

Result<void> Args::only(std::initializer_list<std::string_view> allowed) const {
  for (const auto& [name, value] : flags) {
    if (kGlobalFlags.count(name)) continue;
    bool ok = false;
    for (auto a : allowed) ok = ok || a == name;
    if (!ok) return Error{ErrorCode::invalid_field, "unknown option --" + name + " for this command"};
  }
  return {};
}

Result<Args> parse_args(int argc, const char* const* argv) {
  Args args;
  bool only_positional = false;
  for (int i = 1; i < argc; ++i) {
    std::string word = argv[i];
    if (only_positional || !word.starts_with("--") || word == "-") {
      args.positional.push_back(word);
      continue;
    }
    if (word == "--") { only_positional = true; continue; }
    std::string name = word.substr(2);
    std::string value;
    auto eq = name.find('=');
    if (eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
    } else if (!kBooleanFlags.count(name)) {
      if (i + 1 >= argc) return Error{ErrorCode::invalid_field, "option --" + name + " needs a value"};
      value = argv[++i];
    }
    if (name.empty()) return Error{ErrorCode::invalid_field, "\"" + word + "\" is not an option"};
    args.flags.emplace(name, value);
  }
  return args;
}

Result<Config> config_from(const Args& args) {
  ConfigSources src;
  if (auto f = args.get("config")) src.file = *f;
  else if (const char* env = std::getenv("CLOAKROOM_CONFIG"); env && *env) src.file = env;
  src.env = cloakroom_environment();
  if (auto d = args.get("data-dir")) src.flags["data_dir"] = *d;
  if (auto l = args.get("listen")) src.flags["listen"] = *l;
  if (auto u = args.get("public-url")) src.flags["public_url"] = *u;
  return load_config(src);
}

int exit_code_for(const Error& e) { return e.code == ErrorCode::config_invalid ? kExitUsage : kExitNo; }

int stores_failure(const Error& e) { return fail(exit_code_for(e), e.text()); }

int fail(int code, std::string_view sentence) {
  std::cerr << "cloakroom: " << sentence;
  if (!sentence.empty() && sentence.back() != '.') std::cerr << '.';
  std::cerr << '\n';
  return code;
}

}  // namespace cloakroom::cli
