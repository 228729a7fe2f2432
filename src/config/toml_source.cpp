// The only translation unit that includes toml++ (a heavy header library):
// it turns a TOML document into apply_key() calls. Debian's toml++ is built
// with exceptions, so its parse_error is caught here and becomes an Error;
// this runs at startup only, never on the request path.
#include <toml++/toml.h>

#include <algorithm>

#include "config/config.h"
#include "config/config_keys.h"
#include "core/edit_distance.h"

namespace cloakroom {
namespace {

using config_detail::RawValue;

Error invalid(std::string message) { return Error{ErrorCode::config_invalid, std::move(message)}; }

// A TOML scalar or array of strings as a RawValue; nullopt for other shapes.
std::optional<RawValue> raw_of(const toml::node& node) {
  if (auto s = node.value<std::string>(); s && node.is_string()) return RawValue{*s};
  if (node.is_integer()) return RawValue{static_cast<long long>(*node.value<int64_t>())};
  if (node.is_boolean()) return RawValue{*node.value<bool>()};
  if (const toml::array* arr = node.as_array()) {
    std::vector<std::string> items;
    for (const auto& item : *arr) {
      if (!item.is_string()) return std::nullopt;
      items.push_back(*item.value<std::string>());
    }
    return RawValue{std::move(items)};
  }
  return std::nullopt;
}

std::vector<std::string> strings_of(const toml::node* node, bool& ok) {
  std::vector<std::string> out;
  if (!node) return out;
  const toml::array* arr = node->as_array();
  if (!arr) { ok = false; return out; }
  for (const auto& item : *arr) {
    if (!item.is_string()) { ok = false; return out; }
    out.push_back(*item.value<std::string>());
  }
  return out;
}

Result<void> apply_rules(Config& cfg, const toml::node& node, std::string_view origin) {
  const toml::array* rules = node.as_array();
  if (!rules || !rules->is_array_of_tables())
    return invalid("Config key access.rule in " + std::string(origin) + " must be written as [[access.rule]] tables.");
  for (const auto& entry : *rules) {
    const toml::table& t = *entry.as_table();
    static constexpr std::string_view kRuleKeys[] = {"prefix", "methods", "roles", "second_factor"};
    for (const auto& [k, v] : t) {
      if (std::find(std::begin(kRuleKeys), std::end(kRuleKeys), k.str()) != std::end(kRuleKeys)) continue;
      std::string hint;
      for (std::string_view known : kRuleKeys)
        if (edit_distance(k.str(), known) <= 2) hint = " (did you mean access.rule." + std::string(known) + "?)";
      return invalid("Unknown config key access.rule." + std::string(k.str()) + " in " + std::string(origin) + hint +
                     ".");
    }
    bool ok = true;
    auto prefix = t["prefix"].value<std::string>();
    auto roles = strings_of(t.get("roles"), ok);
    auto methods = strings_of(t.get("methods"), ok);
    if (!ok || !prefix)
      return invalid("Config key access.rule in " + std::string(origin) +
                     " needs prefix = \"/path\" and lists of strings for roles and methods.");
    const toml::node* second_factor = t.get("second_factor");
    if (second_factor && !second_factor->is_boolean())
      return invalid("Config key access.rule.second_factor in " + std::string(origin) + " must be true or false.");
    auto rule = config_detail::make_access_rule(*prefix, std::move(methods), std::move(roles), origin);
    if (!rule) return rule.error();
    rule->second_factor = second_factor && *second_factor->value<bool>();
    cfg.access_rules.push_back(std::move(*rule));
  }
  return {};
}

}  // namespace

Result<void> apply_toml(Config& cfg, std::string_view toml_text, std::string_view origin) {
  toml::table root;
  try {
    root = toml::parse(toml_text, origin);
  } catch (const toml::parse_error& err) {
    return invalid("The config file " + std::string(origin) + " is not valid TOML (line " +
                   std::to_string(err.source().begin.line) + "): " + std::string(err.description()) + ".");
  }
  for (const auto& [key, node] : root) {
    std::string section(key.str());
    if (const toml::table* table = node.as_table()) {
      for (const auto& [sub, value] : *table) {
        if (section == "access" && sub.str() == "rule") {
          if (auto r = apply_rules(cfg, value, origin); !r) return r;
          continue;
        }
        auto raw = raw_of(value);
        if (!raw)
          return invalid("Config key " + section + "." + std::string(sub.str()) + " in " + std::string(origin) +
                         " has a value of an unsupported type.");
        if (auto r = config_detail::apply_key(cfg, section, sub.str(), *raw, origin, config_detail::Source::file); !r) return r;
      }
      continue;
    }
    auto raw = raw_of(node);
    if (!raw)
      return invalid("Config key " + section + " in " + std::string(origin) + " has a value of an unsupported type.");
    if (auto r = config_detail::apply_key(cfg, "", section, *raw, origin, config_detail::Source::file); !r) return r;
  }
  return {};
}

}  // namespace cloakroom
