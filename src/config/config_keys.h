#pragma once
// Internal to src/config: the value a source (file, env, flag) supplies for
// one key before the key's own parser gives it a type. Not for other modules.
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "config/config.h"

namespace cloakroom::config_detail {

using RawValue = std::variant<std::string, long long, bool, std::vector<std::string>>;

// Which kind of source supplies a value: a secret key may come from the
// environment only, never from a file that may be copied or committed.
enum class Source { file, environment, flag };

// Applies one key from any source. `origin` names the source for messages
// ("cloakroom.toml", "environment variable CLOAKROOM_HTTP_THREADS", "flag --listen").
Result<void> apply_key(Config& cfg, std::string_view section, std::string_view key,
                       const RawValue& value, std::string_view origin, Source source);

// Validates one [[access.rule]] table's worth of fields.
Result<AccessRule> make_access_rule(const std::string& prefix, std::vector<std::string> methods,
                                    std::vector<std::string> roles, std::string_view origin);

}  // namespace cloakroom::config_detail
