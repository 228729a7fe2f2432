#include "store/redis/server_check.h"

#include "core/log.h"

namespace cloakroom::redis {
namespace {

// Why this one only: every other policy (allkeys-*, volatile-*) may delete
// keys we rely on; volatile-* ones too, since the denylist and families
// carry TTLs.
constexpr std::string_view kNoEviction = "noeviction";

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

Result<void> check_server(Client& client) {
  // exchange(): an error reply to CONFIG (renamed, forbidden) is an answer here, not a failure.
  auto replies = client.exchange({{"PING"}, {"CONFIG", "GET", "maxmemory-policy"}});
  const std::string where = client.url().display();
  if (std::string why = unusable(client, replies); !why.empty())
    return Error{ErrorCode::store_unavailable, "Cannot use Redis at " + where + ": " + why + "."};
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
