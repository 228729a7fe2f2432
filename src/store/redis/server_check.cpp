#include "store/redis/server_check.h"

#include "core/log.h"

namespace cloakroom::redis {
namespace {

// Why this one only: every other policy (allkeys-*, volatile-*) may delete
// keys we rely on; volatile-* ones too, since the denylist and families
// carry TTLs.
constexpr std::string_view kNoEviction = "noeviction";

// Why 7.0: PEXPIRETIME (layout.cpp's keep_until) is new in 7.0.
constexpr int kMinMajor = 7;
constexpr int kMinMinor = 0;

// Why the server did not answer usably, as the end of a sentence; empty when it did.
std::string unusable(const Client& client, const Result<std::vector<Reply>>& replies) {
  std::string why;
  if (!replies) why = client.last_failure().empty() ? std::string(replies.error().text()) : client.last_failure();
  else if (replies->at(0).type == Reply::Type::error) why = replies->at(0).str;
  if (why.starts_with("NOAUTH"))
    why = "it requires a password, and the URL has none (redis://:PASSWORD@HOST:PORT/DB, or USER:PASSWORD@ for an ACL user)";
  if (why.ends_with('.')) why.pop_back();
  return why;
}

}  // namespace

Result<void> check_version(std::string_view info_server, const std::string& where) {
  // "redis_version:7.0.15\r\n" among "key:value" lines.
  constexpr std::string_view kKey = "redis_version:";
  std::string_view version;
  for (std::size_t at = 0; at < info_server.size();) {
    std::size_t end = info_server.find('\n', at);
    if (end == std::string_view::npos) end = info_server.size();
    std::string_view line = info_server.substr(at, end - at);
    if (line.ends_with('\r')) line.remove_suffix(1);
    if (line.starts_with(kKey)) version = line.substr(kKey.size());
    at = end + 1;
  }
  int major = -1, minor = -1;
  if (auto dot = version.find('.'); dot != std::string_view::npos) {
    auto digits = [](std::string_view d) {
      if (d.empty() || d.size() > 4 || d.find_first_not_of("0123456789") != std::string_view::npos) return -1;
      return std::stoi(std::string(d));
    };
    major = digits(version.substr(0, dot));
    const std::string_view rest = version.substr(dot + 1);
    minor = digits(rest.substr(0, rest.find('.')));
  }
  if (major < 0 || minor < 0) {
    log_line("warn", "redis_version_unchecked",
             {{"url", where},
              {"effect", "could not read redis_version from INFO server; cloakroom needs Redis 7.0 or later "
                         "(its scripts call PEXPIRETIME) and revocations fail on an older one"}});
    return {};
  }
  if (major > kMinMajor || (major == kMinMajor && minor >= kMinMinor)) return {};
  return Error{ErrorCode::config_invalid,
               "Redis at " + where + " is version " + std::string(version) +
                   "; cloakroom needs Redis 7.0 or later (its scripts call PEXPIRETIME, new in 7.0, besides ZADD GT "
                   "and XTRIM MINID from 6.2), so upgrade it."};
}

Result<void> check_server(Client& client) {
  // exchange(): an error reply to CONFIG (renamed, forbidden) is an answer here, not a failure.
  auto replies = client.exchange({{"PING"}, {"CONFIG", "GET", "maxmemory-policy"}, {"INFO", "server"}});
  const std::string where = client.url().display();
  if (std::string why = unusable(client, replies); !why.empty())
    return Error{ErrorCode::store_unavailable, "Cannot use Redis at " + where + ": " + why + "."};
  const Reply& info = replies->at(2);
  if (auto version = check_version(info.type == Reply::Type::error ? std::string_view() : std::string_view(info.str),
                                   where);
      !version)
    return version.error();
  const Reply& config = replies->at(1);
  // {"maxmemory-policy", value}
  if (config.type != Reply::Type::array || config.elements.size() != 2) {
    log_line("warn", "redis_eviction_unchecked",
             {{"url", where},
              {"detail", config.type == Reply::Type::error ? std::string_view(config.str).substr(0, 200)
                                                           : std::string_view("no maxmemory-policy in the reply")},
              {"effect", "could not read maxmemory-policy (CONFIG is renamed or not allowed); make sure it is "
                         "noeviction: under any other policy a full Redis can drop revocations and revoked "
                         "credentials work again"}});
    return {};
  }
  const std::string& policy = config.elements[1].str;
  if (policy == kNoEviction) return {};
  return Error{ErrorCode::config_invalid,
               "Redis at " + where + " may evict keys when its memory is full (maxmemory-policy " + policy +
                   "), which would silently drop revocations and make revoked sessions and tokens work again; set "
                   "maxmemory-policy noeviction (CONFIG SET maxmemory-policy noeviction, and the same in redis.conf "
                   "or your provider's parameter group)."};
}

}  // namespace cloakroom::redis
