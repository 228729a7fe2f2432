#include "store/postgres/user_store.h"

#include <unicode/utf8.h>

#include <algorithm>
#include <cstdint>

#include "core/log.h"
#include "store/postgres/change_feed.h"
#include "store/sql_text.h"

namespace cloakroom::postgres {
namespace {

// Roles travel as one comma-joined text (role names have no commas: see
// check_role) and are stored as text[]: no array literal quoting to get wrong.
constexpr char kColumns[] = "id, username, password_hash, array_to_string(roles, ','), disabled, created_at";
constexpr auto kFindByName = sql("SELECT ", kColumns, " FROM cloakroom_users WHERE username_key = $1");
constexpr auto kFindById = sql("SELECT ", kColumns, " FROM cloakroom_users WHERE id = $1");
// COLLATE "C": byte order, as SQLite sorts, whatever the database's locale.
constexpr auto kList = sql("SELECT ", kColumns, " FROM cloakroom_users ORDER BY created_at, username COLLATE \"C\"");

User read_user(const Row& row) {
  return User{row.text(0), row.text(1), row.text(2), split_roles(row.text(3)), row.boolean(4), row.integer(5)};
}

// Whether PostgreSQL can hold `text` as a UTF8 text value: well-formed
// UTF-8 without NUL. A name that is not cannot be stored, so it is no user
// (rather than an error from the server).
bool storable(const std::string& text) {
  const auto* bytes = reinterpret_cast<const std::uint8_t*>(text.data());
  const auto length = static_cast<std::int32_t>(std::min<std::size_t>(text.size(), INT32_MAX));
  if (length != static_cast<std::int64_t>(text.size())) return false;
  for (std::int32_t i = 0; i < length;) {
    UChar32 c;
    U8_NEXT(bytes, i, length, c);
    if (c <= 0) return false;
  }
  return true;
}

}  // namespace

Result<void> UserStore::create(const User& user) {
  auto inserted = db_->run([&](Connection& c) {
    return c.exec(
        "INSERT INTO cloakroom_users (id, username, username_key, password_hash, roles, disabled, created_at) "
        "VALUES ($1, $2, $3, $4, string_to_array($5, ','), $6, $7)",
        user.id, user.username, username_key(user.username), user.password_hash, join_roles(user.roles),
        user.disabled, user.created_at);
  });
  // The one place a clash becomes the client's answer: the name (ignoring case) exists.
  if (!inserted && inserted.error().code == ErrorCode::conflict) return ErrorCode::username_taken;
  return done(inserted);
}

Result<User> UserStore::find_by_name(const std::string& username) {
  const std::string key = username_key(username);
  if (!storable(key)) return ErrorCode::not_found;
  return db_->run([&](Connection& c) { return c.one(kFindByName, read_user, key); });
}

Result<User> UserStore::find_by_id(const std::string& id) {
  if (!storable(id)) return ErrorCode::not_found;
  return db_->run([&](Connection& c) { return c.one(kFindById, read_user, id); });
}

Result<std::vector<User>> UserStore::list() {
  return db_->run([&](Connection& c) { return c.query(kList, read_user); });
}

// One column of one user, and its change feed entry, in one transaction.
template <class Value>
Result<void> UserStore::update(const char* statement, const std::string& id, const Value& value) {
  if (!storable(id)) return ErrorCode::not_found;
  return db_->transaction([&](Connection& c) -> Result<void> {
    auto changed = c.exec(statement, value, id);
    if (!changed) return changed.error();
    if (*changed == 0) return ErrorCode::not_found;
    return record_change(c, Change::Kind::user_changed, id);
  });
}

Result<void> UserStore::set_disabled(const std::string& id, bool disabled) {
  return update("UPDATE cloakroom_users SET disabled = $1, updated_at = now() WHERE id = $2", id, disabled);
}
Result<void> UserStore::set_password_hash(const std::string& id, const std::string& hash) {
  return update("UPDATE cloakroom_users SET password_hash = $1, updated_at = now() WHERE id = $2", id, hash);
}
Result<void> UserStore::set_roles(const std::string& id, const std::vector<std::string>& roles) {
  return update("UPDATE cloakroom_users SET roles = string_to_array($1, ','), updated_at = now() WHERE id = $2", id,
                join_roles(roles));
}

Result<void> UserStore::add_password_reset(const PasswordReset& reset) {
  return db_->transaction([&](Connection& c) -> Result<void> {
    // Used and long-expired links go with each new one: the table stays small without a sweeper.
    if (auto r = c.exec("DELETE FROM cloakroom_password_resets WHERE used OR expires_ms < $1",
                        reset.expires_ms - kResetKeepMs);
        !r)
      return r.error();
    return done(c.exec("INSERT INTO cloakroom_password_resets (token_hash, user_id, expires_ms) VALUES ($1, $2, $3)",
                       reset.token_hash, reset.user_id, reset.expires_ms));
  });
}

Result<std::string> UserStore::use_password_reset(const std::string& token_hash, long long now_ms) {
  if (!storable(token_hash)) return ErrorCode::not_found;
  return db_->run([&](Connection& c) {
    return c.one("UPDATE cloakroom_password_resets SET used = true WHERE token_hash = $1 AND NOT used "
                 "AND expires_ms > $2 RETURNING user_id",
                 [](const Row& r) { return r.text(0); }, token_hash, now_ms);
  });
}

Result<std::vector<std::string>> UserStore::disabled_ids() {
  return db_->run([](Connection& c) {
    return c.query("SELECT id FROM cloakroom_users WHERE disabled", [](const Row& row) { return row.text(0); });
  });
}

Result<void> UserStore::ping() {
  auto primary = db_->run(
      [](Connection& c) { return c.one("SELECT NOT pg_is_in_recovery()", [](const Row& r) { return r.boolean(0); }); },
      std::chrono::milliseconds(500));
  if (!primary) return primary.error();
  if (*primary) return {};
  // The reason goes to the log; readiness answers only 503.
  log_line("warn", "postgres_standby",
           {{"database", db_->name()}, {"detail", "the server is a read-only standby: logins cannot be written"}});
  return ErrorCode::store_unavailable;
}

}  // namespace cloakroom::postgres
