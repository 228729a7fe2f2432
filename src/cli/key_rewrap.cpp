// `cloakroom key rewrap`: everything sealed at rest goes under the current
// key-encryption key, the step of a KEK rotation after every node has the
// new key as current and the old one as previous (docs/security.md).
#include <iostream>

#include "cli/commands.h"
#include "cli/data_dir.h"
#include "core/audit_log.h"
#include "core/clock.h"
#include "core/random.h"
#include "mfa/totp_key.h"
#include "mfa/totp_service.h"

namespace cloakroom::cli {
namespace {

// Why 500: one page and one transaction stay short (a few hundred small
// UPDATEs), so a large user table never holds a long transaction or a
// lock on many rows while logins go on.
constexpr std::size_t kRewrapBatch = 500;

std::string counted(std::size_t n, const std::string& one, const std::string& many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

// "u1, u2, u3 and 4 more": the ids to look at, never a secret.
std::string some_ids(const std::vector<std::string>& ids) {
  constexpr std::size_t kShown = 3;
  std::string out;
  for (std::size_t i = 0; i < ids.size() && i < kShown; ++i) out += (i ? ", " : "") + ids[i];
  if (ids.size() > kShown) out += " and " + std::to_string(ids.size() - kShown) + " more";
  return out;
}

}  // namespace

// Reseals the shared key set (PostgreSQL: through its update path, so
// keys_changed reaches every node) and every TOTP secret (pending or
// confirmed, in whatever store holds the users) that was sealed under the
// previous KEK or <data_dir>/totp.key. Idempotent. Exit 1, one sentence per
// thing, when something opens under neither key; what could be resealed is.
int key_rewrap_command(const Args& args) {
  auto config = config_from(args);
  if (!config) return fail(kExitUsage, config.error().text());
  const auto& jwt = config->jwt;
  if (jwt.key_encryption_key.empty())
    return fail(kExitUsage, "key rewrap seals under the key-encryption key, and none is set: set "
                            "jwt.key_encryption_key_file or CLOAKROOM_JWT_KEY_ENCRYPTION_KEY (and the previous one as "
                            "jwt.previous_key_encryption_key_file or CLOAKROOM_JWT_PREVIOUS_KEY_ENCRYPTION_KEY)");
  auto audit = AuditLog::open(config->log.audit, config->data_dir, config->log.level);
  if (!audit) return fail(audit.error());
  auto stores = open_existing_stores(*config);
  if (!stores) return stores_failure(stores.error());
  OsRandom random;
  // quiet: the file's warning says to run this very command.
  auto totp_keys = open_totp_key(jwt.key_encryption_key, jwt.previous_key_encryption_key, stores->keys != nullptr,
                                 config->data_dir, random, /*quiet=*/true);
  if (!totp_keys) return fail(totp_keys.error());
  const bool totp_file = totp_keys->openers() > (jwt.previous_key_encryption_key.empty() ? 0u : 1u);

  int code = kExitOk;
  std::size_t key_sets = 0;
  if (stores->keys) {
    auto source = open_existing_key_source(*config, *stores);
    if (!source) return fail(source.error());
    auto resealed = (*source)->reseal();
    if (!resealed) code = fail(kExitNo, resealed.error().text());
    else if (*resealed) key_sets = 1;
  }
  SystemClock clock;
  TotpService totp(*stores->users, std::move(*totp_keys), clock, random, jwt.issuer);
  auto rewrapped = totp.rewrap(kRewrapBatch);
  if (!rewrapped) return fail(rewrapped.error());
  if (!rewrapped->unopened.empty())
    code = fail(kExitNo, "The TOTP secret of " + counted(rewrapped->unopened.size(), "user", "users") + " (id " +
                             some_ids(rewrapped->unopened) + ") opens under neither the current nor the previous "
                             "key-encryption key" + (totp_file ? " nor totp.key" : "") +
                             ", so it was left as it is (the user can sign in with a recovery code, or an operator "
                             "can run user reset-2fa)");

  const std::string sets = std::to_string(key_sets), secrets = std::to_string(rewrapped->resealed),
                    left = std::to_string(rewrapped->left), unopened = std::to_string(rewrapped->unopened.size());
  (*audit)->record(AuditEvent::key_rewrapped, AuditContext::cli(), "",
                   {{"key_sets", sets}, {"totp_seals", secrets}, {"left", left}, {"unopened", unopened}});
  std::cout << "resealed " << counted(key_sets, "key set", "key sets")
            << (stores->keys ? "" : " (the keys file is not sealed: it is plaintext, mode 0600, by design)") << " and "
            << counted(rewrapped->resealed, "TOTP secret", "TOTP secrets") << "; " << rewrapped->left
            << " left under the previous key" << (totp_file ? " or totp.key" : "") << "\n";
  if (code == kExitOk && rewrapped->left == 0) {
    if (totp_file)
      std::cout << "every TOTP secret is sealed under the key-encryption key: " << shown_path(config->data_dir)
                << "/" << kTotpKeyFile << " opens nothing now and can be removed\n";
    if (!jwt.previous_key_encryption_key.empty())
      std::cout << "nothing is sealed under the previous key-encryption key any more: remove it from every node's "
                   "configuration (jwt.previous_key_encryption_key_file, CLOAKROOM_JWT_PREVIOUS_KEY_ENCRYPTION_KEY)\n";
  }
  return code;
}

}  // namespace cloakroom::cli
