#include <algorithm>
#include <iomanip>
#include <iostream>
#include <unordered_map>

#include "cli/commands.h"
#include "cli/data_dir.h"
#include "core/audit_log.h"
#include "core/clock.h"
#include "identity/credential_info.h"
#include "session/session_service.h"
#include "config/store_urls.h"

namespace cloakroom::cli {
namespace {

long long now_ms() { return unix_millis(SystemClock{}.now()); }

}  // namespace

CredentialEnds store_credential_ends(Stores& stores) {
  return CredentialEnds{
      [&stores](const std::string& user_id, const std::string& keep) -> Result<std::size_t> {
        // The epoch with the families in one step: every access token of the user is dead from here on.
        auto ended = stores.tokens->end_user_families(user_id, keep);
        if (!ended) return ended.error();
        return ended->ids.size();
      },
      [&stores](const std::string& user_id, const std::string& keep) -> Result<std::size_t> {
        auto removed = stores.sessions->remove_user(user_id, keep);
        if (!removed) return removed.error();
        return removed->size();
      }};
}

Result<EndedCredentials> end_user_credentials(Stores& stores, const std::string& user_id) {
  return end_credentials(store_credential_ends(stores), user_id);
}

// `session list [--user NAME]`, `session revoke ID`, `session revoke --user NAME`.
// Revocations are durable at once; a revoke returns when every serving
// process has applied it (see confirm_applied).
int session_command(const Args& args) {
  auto user_name = args.get("user");
  const bool revoke = args.verb() == "revoke";
  if (revoke && args.operands.empty() == !user_name.has_value())
    return fail(kExitUsage, "\"session revoke\" needs an ID (from session list) or --user NAME, not both; usage: " +
                                usage_line(*args.command));

  auto config = config_from(args);
  if (!config) return fail(kExitUsage, config.error().text());
  auto audit = AuditLog::open(config->log.audit, config->data_dir, config->log.level);
  if (!audit) return fail(audit.error());
  auto stores = open_existing_stores(*config);
  if (!stores) return fail(stores.error());

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
    auto ended = end_user_credentials(*stores, user->id);
    if (!ended) return fail(kExitNo, ended.error().text());
    (*audit)->record(AuditEvent::logout_all, AuditContext::cli(), user->id,
                     {{"sessions", std::to_string(ended->sessions)}, {"families", std::to_string(ended->families)}});
    std::cout << "revoked " << ended->sessions << " session(s) and " << ended->families
              << " refresh token famil" << (ended->families == 1 ? "y" : "ies") << " of " << user->username
              << " and every access token they were issued\n";
    return confirm_applied(*stores, args);
  }
  if (revoke) {
    const std::string& id = args.operands[0];
    // The owner, for the audit event only: a failed read does not stop the revocation.
    std::string owner;
    if (auto s = stores->sessions->find(id)) owner = s->user_id;
    auto removed = stores->sessions->remove(id);
    if (!removed) return fail(kExitNo, removed.error().text());
    const bool was_session = *removed;
    if (!*removed) {
      // Not a session: a refresh family? Its access tokens are denied for as
      // long as any of them can live.
      auto found = stores->tokens->find_family(id);
      if (!found) {
        if (found.error().code == ErrorCode::not_found)
          return fail(kExitNo, "no session or refresh token family with id \"" + id + "\"");
        return fail(kExitNo, found.error().text());
      }
      owner = found->user_id;
      long long until = now_ms() + config->jwt.access_ttl.count() + config->jwt.leeway.count();
      if (auto family = stores->tokens->revoke_family(id, until); !family) return fail(kExitNo, family.error().text());
    }
    (*audit)->record(was_session ? AuditEvent::session_revoked : AuditEvent::family_revoked, AuditContext::cli(),
                     owner, {{was_session ? "session_id" : "family_id", id}, {"reason", "operator"}});
    std::cout << (was_session ? "revoked session " : "revoked refresh token family ") << id << "\n";
    return confirm_applied(*stores, args);
  }

  long long now = now_ms();
  const IdleBounds idle = idle_bounds(*config);
  auto sessions = user ? stores->sessions->list_user(user->id) : stores->sessions->load_active(now, idle);
  if (!sessions) return fail(kExitNo, sessions.error().text());
  auto families = user ? stores->tokens->list_user_families(user->id, now) : stores->tokens->list_active_families(now);
  if (!families) return fail(kExitNo, families.error().text());
  auto users = user ? Result<std::vector<User>>(std::vector<User>{*user}) : stores->users->list();
  if (!users) return fail(kExitNo, users.error().text());
  std::unordered_map<std::string, std::string> names;
  for (const auto& u : *users) names[u.id] = u.username;
  // From the stores, not the services: the last-seen times are the ones
  // persisted, which trail a running server's by at most its touch interval.
  std::vector<CredentialInfo> live_sessions, live_families;
  for (const auto& s : *sessions) {
    const long long expires = idle.deadline(s, s.last_seen_ms);
    if (expires > now) live_sessions.push_back(info_of(s, s.last_seen_ms, expires));
  }
  for (const auto& f : *families) live_families.push_back(info_of(f));
  const auto rows = oldest_first(std::move(live_sessions), std::move(live_families));
  std::cout << std::left << std::setw(24) << "ID" << std::setw(9) << "MODE" << std::setw(20) << "USER" << std::setw(22)
            << "CREATED" << std::setw(22) << "LAST SEEN" << std::setw(22) << "EXPIRES" << std::setw(18) << "IP"
            << "USER AGENT\n";
  for (const auto& r : rows) {
    std::cout << std::setw(24) << r.id << std::setw(9) << mode_name(r.mode) << std::setw(20) << names[r.user_id] << std::setw(22)
              << rfc3339(r.created_ms) << std::setw(22) << rfc3339(r.last_seen_ms) << std::setw(22)
              << rfc3339(r.expires_ms) << std::setw(18) << r.ip << r.user_agent.substr(0, 60) << "\n";
  }
  return kExitOk;
}

}  // namespace cloakroom::cli
