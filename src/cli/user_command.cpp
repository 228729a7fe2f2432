#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <iomanip>
#include <iostream>
#include <iterator>
#include <sstream>

#include "api/auth_routes.h"
#include "cli/commands.h"
#include "cli/data_dir.h"
#include "core/audit_log.h"
#include "core/clock.h"
#include "core/random.h"
#include "core/duration.h"
#include "identity/credentials_policy.h"
#include "identity/reset_link.h"
#include "password/password_hasher.h"
#include "config/store_urls.h"

namespace cloakroom::cli {
namespace {

// One line from the terminal with echo off.
std::optional<std::string> prompt_hidden(const char* prompt) {
  std::cerr << prompt << std::flush;
  termios old{};
  tcgetattr(STDIN_FILENO, &old);
  termios quiet = old;
  quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
  tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
  std::string line;
  bool ok = static_cast<bool>(std::getline(std::cin, line));
  tcsetattr(STDIN_FILENO, TCSANOW, &old);
  std::cerr << "\n";
  if (!ok) return std::nullopt;
  return line;
}

// The new password from stdin (--password-stdin: the first line) or a
// terminal prompt asked twice.
Result<std::string> read_new_password(const Args& args, const Config& cfg) {
  std::string password;
  if (args.has("password-stdin")) {
    // Why: bound the read; a password is at most 1024 bytes.
    std::string line;
    char c;
    while (std::cin.get(c) && c != '\n' && line.size() <= kPasswordMax) line += c;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    password = std::move(line);
  } else if (isatty(STDIN_FILENO)) {
    auto first = prompt_hidden("New password: ");
    auto second = prompt_hidden("Repeat password: ");
    if (!first || !second) return Error{ErrorCode::invalid_field, "no password was entered"};
    if (*first != *second) return Error{ErrorCode::invalid_field, "the two passwords do not match"};
    password = std::move(*first);
  } else {
    return Error{ErrorCode::invalid_field, "stdin is not a terminal; pass --password-stdin to read the password from it"};
  }
  if (auto r = check_password(password, cfg.auth.password_min); !r) return r.error();
  return password;
}

std::vector<std::string> split_commas(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  for (std::string item; std::getline(ss, item, ',');)
    if (!item.empty()) out.push_back(item);
  return out;
}

int store_failure(const Error& e) { return fail(kExitNo, e.text()); }

// `user add NAME`: checks the name, roles and password before opening the
// stores, so a refused line leaves no data dir behind.
int add_user(const Args& args, const Config& config) {
  const std::string& name = args.operands[0];
  if (auto r = check_username(name); !r) return fail(kExitUsage, r.error().text());
  std::vector<std::string> roles;
  for (const auto& r : args.all("role"))
    for (auto& role : split_commas(r)) roles.push_back(role);
  for (const auto& role : roles)
    if (auto r = check_role(role); !r) return fail(kExitUsage, r.error().text());
  auto password = read_new_password(args, config);
  if (!password) return fail(kExitUsage, password.error().text());
  auto hash = PasswordHasher({config.password.memory_kib, config.password.iterations}).hash(*password);
  if (!hash) return store_failure(hash.error());
  SystemClock clock;
  OsRandom random;
  auto user = api::make_user(random, clock, name, std::move(*hash), roles);
  if (!user) return fail(kExitUsage, user.error().text());

  auto audit = AuditLog::open(config.log.audit, config.data_dir, config.log.level);
  if (!audit) return fail(audit.error());
  // The one command besides serve that may create the data dir; it says where.
  DataDirWatch watch(config);
  auto stores = open_stores(store_urls(config));
  if (!stores) return fail(stores.error());
  if (watch.created()) std::cout << "created the data directory " << watch.where() << "\n";
  if (auto r = stores->users->create(*user); !r) {
    if (r.error().code == ErrorCode::username_taken) return fail(kExitNo, "user \"" + name + "\" already exists");
    return store_failure(r.error());
  }
  (*audit)->record(AuditEvent::user_created, AuditContext::cli(), user->id, {{"username", user->username}});
  std::cout << "created user " << user->username << " (id " << user->id << ")\n";
  return kExitOk;
}

}  // namespace

int user_command(const Args& args) {
  const std::string_view verb = args.verb();
  auto config = config_from(args);
  if (!config) return fail(kExitUsage, config.error().text());
  if (verb == "add") return add_user(args, *config);
  auto audit = AuditLog::open(config->log.audit, config->data_dir, config->log.level);
  if (!audit) return fail(audit.error());
  auto stores = open_existing_stores(*config);
  if (!stores) return fail(stores.error());
  UserStore& users = *stores->users;
  Argon2Params params{config->password.memory_kib, config->password.iterations};

  if (verb == "list") {
    auto all = users.list();
    if (!all) return store_failure(all.error());
    std::cout << std::left << std::setw(24) << "ID" << std::setw(24) << "USERNAME" << std::setw(10) << "STATUS"
              << std::setw(22) << "CREATED" << "ROLES\n";
    for (const auto& u : *all) {
      std::string roles;
      for (const auto& r : u.roles) roles += (roles.empty() ? "" : ",") + r;
      std::cout << std::setw(24) << u.id << std::setw(24) << u.username << std::setw(10)
                << (u.disabled ? "disabled" : "active") << std::setw(22) << rfc3339(u.created_at * 1000) << roles << "\n";
    }
    return kExitOk;
  }

  // Checked before the user lookup: a wrong --ttl is a usage error whoever the user is.
  std::chrono::milliseconds ttl = std::chrono::hours(1);
  if (verb == "reset-link") {
    if (auto given = args.get("ttl")) {
      auto parsed = parse_duration(*given);
      if (!parsed) return fail(kExitUsage, "--ttl: " + std::string(parsed.error().text()));
      if (*parsed < kResetTtlMin || *parsed > kResetTtlMax)
        return fail(kExitUsage, "--ttl must be between 1m and 7d, not " + *given);
      ttl = *parsed;
    }
  }

  const std::string& name = args.operands[0];
  auto user = users.find_by_name(name);
  if (!user) {
    if (user.error().code == ErrorCode::not_found) return fail(kExitNo, "no user named \"" + name + "\"");
    return store_failure(user.error());
  }
  Result<void> done;
  std::string message;
  // Recorded once the change is durable.
  auto record = [&](AuditEvent e, std::initializer_list<LogField> more = {}) {
    (*audit)->record(e, AuditContext::cli(), user->id, more);
  };
  if (verb == "disable" || verb == "enable") {
    done = users.set_disabled(user->id, verb == "disable");
    if (done) record(verb == "disable" ? AuditEvent::user_disabled : AuditEvent::user_enabled, {{"username", user->username}});
    message = std::string(verb == "disable" ? "disabled user " : "enabled user ") + user->username;
    if (verb == "disable")
      message += "; every credential they hold stops working until `user enable` (to end them for good: "
                 "session revoke --user)";
  } else if (verb == "passwd") {
    auto password = read_new_password(args, *config);
    if (!password) return fail(kExitUsage, password.error().text());
    auto hash = PasswordHasher(params).hash(*password);
    if (!hash) return store_failure(hash.error());
    // A password reset ends every session: whoever knew the old one is out.
    auto ended = change_password(users, store_credential_ends(*stores), user->id, *hash);
    if (!ended) return store_failure(ended.error());
    record(AuditEvent::user_password_changed, {{"username", user->username}, {"via", "cli"}});
    record(AuditEvent::logout_all, {{"sessions", std::to_string(ended->sessions)},
                                    {"families", std::to_string(ended->families)}});
    message = "changed the password of " + user->username + " and ended " + std::to_string(ended->sessions) +
              " session(s) and " + std::to_string(ended->families) + " refresh token family(ies)";
  } else if (verb == "reset-2fa") {
    // The store directly, no TotpService: turning it off needs no key. Then
    // the user's credentials end: a sign-in that used the lost factor is over.
    auto state = users.totp(user->id);
    if (!state) return store_failure(state.error());
    if (state->secret.empty()) {
      // Nothing to reset: an unfinished setup is forgotten, nobody is signed out.
      if (!state->pending.empty())
        if (auto r = users.clear_totp(user->id); !r) return store_failure(r.error());
      return fail(kExitNo, user->username + " has no TOTP turned on; nothing was reset and nobody was signed out");
    }
    done = users.clear_totp(user->id);
    if (!done) return store_failure(done.error());
    auto ended = end_credentials(store_credential_ends(*stores), user->id);
    if (!ended) return store_failure(ended.error());
    record(AuditEvent::totp_disabled, {{"username", user->username}, {"via", "cli"}});
    record(AuditEvent::logout_all, {{"sessions", std::to_string(ended->sessions)},
                                    {"families", std::to_string(ended->families)}});
    message = "turned TOTP off for " + user->username + " (secret and recovery codes forgotten; passkeys kept) and "
              "ended " + std::to_string(ended->sessions) + " session(s) and " + std::to_string(ended->families) +
              " refresh token family(ies)";
  } else if (verb == "reset-link") {
    SystemClock clock;
    OsRandom random;
    auto link = make_reset_link(random, user->id, unix_millis(clock.now()), ttl);
    if (auto r = users.add_password_reset(link.record); !r) return store_failure(r.error());
    record(AuditEvent::password_reset_link_created,
           {{"username", user->username}, {"expires_at", rfc3339(link.record.expires_ms)}});
    // stdout only: the link opens the account until it is used or expires.
    std::cout << reset_url(config->public_url, link.token) << "\n";
    std::cerr << "a password reset link for " << user->username << ", valid until "
              << rfc3339(link.record.expires_ms) << " and for one use\n";
    return kExitOk;
  } else {  // roles
    auto set = args.get("set");  // required by the table
    auto roles = split_commas(*set);
    for (const auto& role : roles)
      if (auto r = check_role(role); !r) return fail(kExitUsage, r.error().text());
    done = users.set_roles(user->id, roles);
    if (done) record(AuditEvent::user_roles_changed, {{"username", user->username}, {"roles", *set}});
    message = "roles of " + user->username + ": " + (set->empty() ? "(none)" : *set);
  }
  if (!done) return store_failure(done.error());
  std::cout << message << "\n";
  return confirm_applied(*stores, args);
}

}  // namespace cloakroom::cli
