#pragma once
// The audit log: security events as JSON lines, apart from the operational
// log and never carrying a credential (no password, token, cookie, secret or hash).
//
//   auto audit = AuditLog::open(cfg.log.audit, cfg.data_dir, cfg.log.level);   // "stderr" or a file path
//   if (auto ok = check_audit_target(cfg.log.audit, cfg.data_dir); !ok) ...   // config check: same rules, creates nothing
//   audit->record(AuditEvent::login_failed, AuditContext::api(ip, ua, request_id), "",
//                 {{"username", attempted}, {"reason", "wrong_password"}});
//   audit->record(AuditEvent::user_disabled, AuditContext::cli(), user.id, {{"username", user.username}});
//
// The events are one list, CLOAKROOM_AUDIT_EVENTS below: name, level,
// outcome and the event's own fields. docs/operations.md lists the same rows
// and a unit test fails when the two drift.
#include <span>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>

#include "core/log.h"
#include "core/result.h"

namespace cloakroom {

// X(name, level, outcome, "its own fields, space-separated", "when it is written")
#define CLOAKROOM_AUDIT_EVENTS(X)                                                                                   \
  X(login_succeeded, info, success, "mode credential_id",                                                           \
    "A login made a session or a refresh family (`credential_id`: its public id, never the token).")                \
  X(login_failed, warn, failure, "username reason",                                                                 \
    "A login was refused: `reason` is `unknown_user`, `wrong_password`, `account_disabled` or `password_changed` " \
    "(the password changed while the login was under way: the credential it had just made is revoked); "        \
    "`username` is the name tried, left out when unknown (often a password typed into it).")                      \
  X(login_throttled, warn, refused, "username retry_after",                                                         \
    "A login was refused with 429 before any password check; `retry_after` in seconds.")                            \
  X(logout, info, success, "mode credential_id", "POST /auth/logout ended the caller's session or refresh family.") \
  X(logout_all, info, success, "sessions families",                                                                 \
    "Every credential of the user ended: POST /auth/logout-all, `session revoke --user`, or `user passwd` (after "  \
    "its user_password_changed); the counts of what ended.")                                                        \
  X(session_revoked, info, success, "session_id reason",                                                            \
    "One session ended: `reason` is `user_request` (DELETE /auth/sessions/{id}), `login_replaced` (a login from "   \
    "the same client), `max_per_user` or `operator` (`session revoke ID`).")                                        \
  X(family_revoked, info, success, "family_id reason", "One refresh family ended; `reason` as for session_revoked.") \
  X(refresh_token_reused, warn, refused, "family_id reason",                                                        \
    "A spent refresh token came back, so the whole family is revoked: `reason` is `spent_token` or "             \
    "`too_many_repeats`.")                                                                                          \
  X(refresh_repeated, info, success, "family_id repeat",                                                            \
    "The previous refresh token again within jwt.refresh_grace (a retry, another tab); `repeat` counts them.")      \
  X(csrf_refused, warn, refused, "reason origin sec_fetch_site expected",                                           \
    "A sign-in or cookie-authenticated change from another origin; `expected` is public_url.")                      \
  X(key_rotated, info, success, "kid",                                                                              \
    "A key became the signing key (`key rotate`, `key activate`, `key generate --activate`).")                      \
  X(key_retired, info, success, "kid", "`key retire` (it verifies for a grace period, or not at all with --now).")  \
  X(key_rewrapped, info, success, "key_sets totp_seals left unopened",                                              \
    "`key rewrap` sealed the key set and TOTP secrets again under the current key-encryption key; `left` are "     \
    "still under an earlier key, `unopened` (users) open under none.")                                              \
  X(user_created, info, success, "username", "POST /auth/register or `user add`.")                                 \
  X(user_disabled, info, success, "username", "`user disable`.")                                                    \
  X(user_enabled, info, success, "username", "`user enable`.")                                                      \
  X(user_roles_changed, info, success, "username roles", "`user roles --set`; `roles` as set, comma-separated.")    \
  X(user_password_changed, info, success, "username via",                                                        \
    "`user passwd` (`via` cli), POST /auth/password (`password_change`) or a reset link (`reset_link`); a "  \
    "logout_all with the counts follows.")               \
  X(password_change_refused, warn, failure, "username",                                                          \
    "POST /auth/password with a wrong current password (it counts against the login throttle).")                 \
  X(password_reset_link_created, info, success, "username expires_at",                                          \
    "`user reset-link`: a single-use link for the account until `expires_at` (the link itself is never logged).") \
  X(passkey_added, info, success, "passkey_id name user_verified",                                             \
    "POST /auth/passkeys/register stored a new passkey (`passkey_id`: the base64url credential id).")          \
  X(passkey_removed, info, success, "passkey_id", "DELETE /auth/passkeys/{id}: the user removed one of theirs.") \
  X(passkey_login, info, success, "passkey_id user_verified",                                                  \
    "A passkey sign-in verified; the login_succeeded that follows names the session or family it made.")       \
  X(passkey_refused, warn, failure, "ceremony reason passkey_id",                                             \
    "A passkey registration or sign-in was refused: `ceremony` is `register` or `login`, `reason` the check "    \
    "that failed (`challenge_unknown`, `unknown_credential`, `origin_mismatch`, `signature_invalid`, ...).")     \
  X(passkey_counter_regressed, warn, refused, "passkey_id stored_count",                                       \
    "A passkey signed with a counter that did not go up (a cloned authenticator?): refused, and the passkey is " \
    "flagged on /account.") \
  X(totp_enabled, info, success, "username",                                                                     \
    "POST /auth/totp/confirm: the first right code turned TOTP on (ten new recovery codes; none is logged).")      \
  X(totp_disabled, info, success, "username via",                                                                \
    "TOTP turned off: DELETE /auth/totp (`via` `code`, `recovery_code` or `password`) or `user reset-2fa` (`cli`).") \
  X(recovery_codes_renewed, info, success, "username via",                                                       \
    "POST /auth/totp/recovery-codes (`via` `code` or `password`): ten new recovery codes, every earlier one void " \
    "(none is logged).")                                                                                           \
  X(second_factor_failed, warn, failure, "username step reason",                                                 \
    "A TOTP or recovery code was refused: `step` is `login`, `confirm`, `disable` or `recovery_codes`; "        \
    "`reason` is `wrong`, `replayed`, `wrong_password` or `not_enrolled`. Each counts against the login throttle.")

enum class AuditEvent {
#define CLOAKROOM_AUDIT_ENUM(name, level, outcome, fields, when) name,
  CLOAKROOM_AUDIT_EVENTS(CLOAKROOM_AUDIT_ENUM)
#undef CLOAKROOM_AUDIT_ENUM
};

// One row of the list, as data (for the writer, the docs test and the docs generator).
struct AuditEventSpec {
  std::string_view name;
  LogLevel level;
  std::string_view outcome;  // success | failure | refused
  std::string_view fields;   // the event's own fields, space-separated, in the order written
  std::string_view when;     // one sentence for the docs
};
const AuditEventSpec& audit_spec(AuditEvent event);
std::span<const AuditEventSpec> audit_events();
// The table of events docs/operations.md carries (a unit test compares them).
std::string audit_reference_markdown();

// Who caused the event and from where. CLI events have no address, user
// agent or request id (and write none).
struct AuditContext {
  std::string_view actor;       // "api" or "cli"
  std::string_view ip;          // the client address after http.trusted_proxies
  std::string_view user_agent;  // as sent; cut to kUserAgentMax bytes
  std::string_view request_id;
  static AuditContext api(std::string_view ip, std::string_view user_agent, std::string_view request_id) {
    return {"api", ip, user_agent, request_id};
  }
  static AuditContext cli() { return {"cli", {}, {}, {}}; }
};

// Where the lines go: one call per line, each line a whole JSON object
// ending in '\n'. Implementations are thread-safe.
class AuditSink {
 public:
  virtual ~AuditSink() = default;
  virtual void write(std::string_view line) = 0;
};

// stderr, shared with the operational log: each line carries "log":"audit"
// so a collector can split the two.
class StderrAuditSink final : public AuditSink {
 public:
  void write(std::string_view line) override;
};

// log.audit's rules, one function for serve, the CLI and `config check`
// (which opens nothing new: a missing file only needs a writable folder).
// Refused, each in one sentence (config_invalid): a symbolic link, anything
// but a regular file, a file owned by another user than the one it is
// written as. That user is the process's, except for root when the data
// directory belongs to another user (the service user): the file is then
// that user's, so the service can still append what the root CLI created.
Result<void> check_audit_target(const std::string& where, const std::string& data_dir);

// A file opened for appending (created 0600, by the rules above): one
// write(2) per line, so lines from threads and processes never interleave.
class FileAuditSink final : public AuditSink {
 public:
  static Result<std::unique_ptr<FileAuditSink>> open(std::string path, const std::string& data_dir);
  ~FileAuditSink() override;
  void write(std::string_view line) override;

 private:
  FileAuditSink(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
  std::string path_;
  int fd_;
};

class AuditLog {
 public:
  // Why 256: enough for any real browser's User-Agent; a client's header
  // cannot make audit lines long.
  static constexpr std::size_t kUserAgentMax = 256;

  AuditLog(std::unique_ptr<AuditSink> sink, LogLevel threshold) : sink_(std::move(sink)), threshold_(threshold) {}
  // `where` is "stderr" or a file path (config key log.audit); `data_dir`
  // decides the file's owner when root creates it (check_audit_target).
  static Result<std::unique_ptr<AuditLog>> open(const std::string& where, const std::string& data_dir,
                                                LogLevel threshold);

  // Writes one line: ts, log, level, event, outcome, actor, user_id (when
  // not empty), ip, user_agent and request_id (when the context has them),
  // then `fields` (the event's own, as its row lists them). Below the
  // threshold (log.level), nothing.
  void record(AuditEvent event, const AuditContext& from, std::string_view user_id,
              std::initializer_list<LogField> fields = {}) const;

 private:
  std::unique_ptr<AuditSink> sink_;
  LogLevel threshold_;
};

}  // namespace cloakroom
