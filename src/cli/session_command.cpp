#include <iomanip>
#include <iostream>
#include <unordered_map>

#include "cli/commands.h"
#include "core/clock.h"
#include "store/store_url.h"

namespace cloakroom::cli {
namespace {

long long now_ms() { return unix_millis(SystemClock{}.now()); }

}  // namespace

// `session list [--user NAME]`, `session revoke ID`, `session revoke --user NAME`.
// Revocations are durable at once and reach a running server within ~200 ms
// through the event log.
int session_command(const Args& args) {
  const auto& pos = args.positional;
  if (pos.size() < 2 || (pos[1] != "list" && pos[1] != "revoke"))
    return fail(kExitUsage, "usage: cloakroom session list [--user NAME] | revoke ID | revoke --user NAME");
  if (auto r = args.only({"user"}); !r) return fail(kExitUsage, r.error().text());
  auto user_name = args.get("user");
  const bool revoke = pos[1] == "revoke";
  if (revoke && (pos.size() == 3) == user_name.has_value())
    return fail(kExitUsage, "usage: cloakroom session revoke ID | revoke --user NAME");
  if (!revoke && pos.size() != 2) return fail(kExitUsage, "usage: cloakroom session list [--user NAME]");

  auto config = config_from(args);
  if (!config) return fail(kExitUsage, config.error().text());
  auto stores = open_stores(*config);
  if (!stores) return fail(kExitNo, stores.error().text());

  std::optional<User> user;
  if (user_name) {
    auto u = stores->users->find_by_name(*user_name);
    if (!u) {
      if (u.error().code == ErrorCode::not_found) return fail(kExitNo, "no user named \"" + *user_name + "\"");
      return fail(kExitNo, u.error().text());
    }
    user = *u;
  }

  if (revoke && user) {
    auto ids = stores->sessions->remove_user(user->id);
    if (!ids) return fail(kExitNo, ids.error().text());
    if (auto e = stores->events->append(StoreEvent::Kind::user_sessions_revoked, user->id, now_ms()); !e)
      return fail(kExitNo, e.error().text());
    std::cout << "revoked " << ids->size() << " session(s) of " << user->username << "\n";
    return kExitOk;
  }
  if (revoke) {
    auto removed = stores->sessions->remove(pos[2]);
    if (!removed) return fail(kExitNo, removed.error().text());
    if (!*removed) return fail(kExitNo, "no session with id \"" + pos[2] + "\"");
    if (auto e = stores->events->append(StoreEvent::Kind::session_revoked, pos[2], now_ms()); !e)
      return fail(kExitNo, e.error().text());
    std::cout << "revoked session " << pos[2] << "\n";
    return kExitOk;
  }

  long long now = now_ms();
  long long idle = config->session.idle_timeout.count();
  auto sessions = user ? stores->sessions->list_user(user->id) : stores->sessions->load_active(now, idle);
  if (!sessions) return fail(kExitNo, sessions.error().text());
  std::unordered_map<std::string, std::string> names;
  if (auto all = stores->users->list()) for (const auto& u : *all) names[u.id] = u.username;
  std::cout << std::left << std::setw(24) << "ID" << std::setw(20) << "USER" << std::setw(22) << "CREATED"
            << std::setw(22) << "LAST SEEN" << std::setw(22) << "EXPIRES" << std::setw(18) << "IP" << "USER AGENT\n";
  for (const auto& s : *sessions) {
    long long expires = std::min(s.expires_ms, s.last_seen_ms + idle);
    if (expires <= now) continue;
    std::cout << std::setw(24) << s.id << std::setw(20) << names[s.user_id] << std::setw(22) << rfc3339(s.created_ms)
              << std::setw(22) << rfc3339(s.last_seen_ms) << std::setw(22) << rfc3339(expires) << std::setw(18) << s.ip
              << s.user_agent.substr(0, 60) << "\n";
  }
  return kExitOk;
}

}  // namespace cloakroom::cli
