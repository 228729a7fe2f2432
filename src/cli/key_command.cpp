#include <algorithm>
#include <functional>
#include <iomanip>
#include <iostream>
#include <optional>

#include "cli/commands.h"
#include "cli/data_dir.h"
#include "core/audit_log.h"
#include "core/clock.h"
#include "token/access_tokens.h"
#include "token/key_source.h"

namespace cloakroom::cli {
namespace {

int key_failure(const Error& e) { return fail(kExitNo, e.text()); }

long long now_seconds() { return unix_seconds(SystemClock{}.now()); }

// What every step of a key command works on: the stores (for the wait) and
// where the keys are kept (the keys file, or the shared store).
struct Keys {
  const Config& config;
  const Args& args;
  Stores& stores;
  KeySource& source;
  const AuditLog& audit;
};

}  // namespace

// Why a live process that applied a key change is not yet where `want`
// says (holding `kid`, or no longer holding it), from its heartbeat; nullopt
// when it is. Every key change also needs the process to have taken the new
// set: one that refused it (keys_reload_failed: say, a jwt.signing_kid of
// its own naming a key the set retired) verifies with the keys it had.
std::optional<NotYet> key_state(const NodeRecord& n, KeyWant want, const std::string& kid) {
  const bool still = n.keys.holds(kid);
  if (n.keys.refused)
    return NotYet{"refused the new key set (see its log: keys_reload_failed) and still verifies with the keys it had" +
                      (want == KeyWant::dropped && still ? ", " + kid + " among them" : std::string()),
                  true};
  if (want == KeyWant::loaded) return std::nullopt;
  if (!n.keys.reported_any())
    return NotYet{"does not report which keys it holds (a cloakroom older than this command); upgrade it", true};
  // Why settled: its heartbeat will never list more, so waiting cannot tell.
  if (!still && n.keys.truncated)
    return NotYet{"holds more than " + std::to_string(HeldKeys::kMaxKids) + " keys and reports only the first " +
                      std::to_string(HeldKeys::kMaxKids) + ", so whether it verifies with " + kid +
                      " is unknown; retire old keys until the set holds at most " +
                      std::to_string(HeldKeys::kMaxKids),
                  true};
  if (want == KeyWant::holds && !still) return NotYet{"does not hold " + kid + ": still verifying with the old set"};
  if (want == KeyWant::dropped && still) return NotYet{"still verifies with " + kid};
  return std::nullopt;
}

namespace {

// One change to the kept key set, under the source's lock, recorded on the
// change feed by the source itself; then the wait until every live serving
// process has applied it and holds the set it made (confirm_applied with
// key_state: `want` of `kid`), or exit 1 naming those that do not. Retired
// keys whose grace has passed go on the way: no process verifies with them
// any more, so their private halves need not be kept.
int change_and_wait(Keys& k, const std::function<Result<jose::KeySet>(const jose::KeySet&)>& change,
                    const std::function<void(const jose::KeySet&)>& report = {}, KeyWant want = KeyWant::loaded,
                    const std::string& kid = {}) {
  const long long cutoff = now_seconds() - AccessTokens::retirement_grace(k.config).count();
  auto kept = k.source.update([&](const jose::KeySet& stored) -> Result<jose::KeySet> {
    auto next = change(stored);
    if (!next) return next;
    jose::KeySet pruned = next->without_retired_before(cutoff);
    // Why refuse: a heartbeat lists at most kMaxKids kids, so with more no
    // wait could tell whether a process holds (or dropped) a given key.
    if (const std::size_t n = pruned.keys().size(); n > HeldKeys::kMaxKids && n > stored.keys().size())
      return Error{ErrorCode::config_invalid, "the key set would hold " + std::to_string(n) + " keys, more than the " +
                                                  std::to_string(HeldKeys::kMaxKids) +
                                                  " a serving process reports; retire old keys first (cloakroom key "
                                                  "retire KID)"};
    return pruned;
  });
  if (!kept) return key_failure(kept.error());
  if (report) report(*kept);
  return confirm_applied(k.stores, k.args, [&](const NodeRecord& n) { return key_state(n, want, kid); });
}

// Publish, then activate: `kid` is already kept as a verification key (or
// is being published now, by `publish`). Only once every live serving
// process reports holding it (so each one verifies what any other signs
// with it; having applied the feed entry is not enough, as a process may
// have refused the set) does it become the signing key, announced and
// waited for again. If the first wait fails, the key stays verify-only.
int publish_then_activate(Keys& k, const std::string& kid,
                          const std::function<Result<jose::KeySet>(const jose::KeySet&)>& publish,
                          const std::function<void(const jose::KeySet&)>& report = {}) {
  if (int published = change_and_wait(k, publish, report, KeyWant::holds, kid); published != kExitOk)
    return fail(kExitNo, "key " + kid + " was not activated: it stays a verification key and nothing signs with it. "
                         "Once every serving process runs and holds it, activate it with: cloakroom key activate " + kid);
  const std::string& signing_kid = k.config.jwt.signing_kid;
  return change_and_wait(
      k,
      [&](const jose::KeySet& stored) -> Result<jose::KeySet> {
        if (!stored.find(kid)) return Error{ErrorCode::config_invalid, "key " + kid + " is no longer in the " + k.source.where()};
        if (stored.retired_at(kid) != 0)
          return Error{ErrorCode::config_invalid, "key " + kid + " was retired meanwhile; it cannot sign"};
        return stored.activated(kid, signing_kid);
      },
      [&](const jose::KeySet&) {
        k.audit.record(AuditEvent::key_rotated, AuditContext::cli(), "", {{"kid", kid}});
        if (!signing_kid.empty() && signing_kid != kid) {
          std::cout << "key " << kid << " is first in the " << k.source.where() << "\n";
          std::cerr << "cloakroom: note: jwt.signing_kid is set to " << signing_kid
                    << ", so that key keeps signing until you change it.\n";
        } else {
          std::cout << "now signing with " << kid << "\n";
        }
      });
}

std::string status_of(const jose::KeySet& keys, const jose::Jwk& k, long long grace, long long now) {
  if (keys.active() && keys.active()->kid() == k.kid()) return "active (signs and verifies)";
  const long long at = keys.retired_at(k.kid());
  if (at == 0) return "verifies only";
  if (at + grace <= now) return "retired " + rfc3339(at * 1000) + ", no longer verifies";
  return "retired " + rfc3339(at * 1000) + ", verifies until " + rfc3339((at + grace) * 1000);
}

}  // namespace

// `key list | generate --alg ALG [--activate] | rotate | activate KID |
// retire KID [--now]` on the kept key set: the keys file (jwt.keys) or the
// shared store's (users in PostgreSQL). The first key signs (unless
// jwt.signing_kid names another); the others verify until retired, and a
// retired key verifies for jwt.access_ttl + jwt.leeway more. Every change is
// recorded on the change feed and waited for.
int key_command(const Args& args) {
  const std::string_view verb = args.verb();
  const bool activate = verb == "rotate" || verb == "activate" || args.has("activate");
  // Why: activating before every process can verify the key is what makes
  // other processes refuse the tokens it signs.
  if (activate && args.has("no-wait"))
    return fail(kExitUsage, "a new signing key is activated only once every serving process has it, so --no-wait "
                            "cannot be used here (--wait gives them longer)");
  auto config = config_from(args);
  if (!config) return fail(kExitUsage, config.error().text());
  auto audit = AuditLog::open(config->log.audit, config->data_dir, config->log.level);
  if (!audit) return fail(audit.error());
  auto stores = open_existing_stores(*config);
  if (!stores) return fail(stores.error());
  auto source = open_existing_key_source(*config, *stores);
  if (!source) return fail(source.error());
  auto keys = (*source)->load_or_create(nullptr);
  if (!keys) return key_failure(keys.error());
  Keys k{*config, args, *stores, **source, **audit};
  const long long grace = AccessTokens::retirement_grace(*config).count();

  if (verb == "list") {
    const long long now = now_seconds();
    std::cout << std::left << std::setw(46) << "KID" << std::setw(8) << "ALG" << "STATUS\n";
    for (const auto& key : keys->keys())
      std::cout << std::setw(46) << key.kid() << std::setw(8) << jose::alg_name(key.alg())
                << status_of(*keys, key, grace, now) << "\n";
    return kExitOk;
  }

  if (verb == "activate") {
    const std::string& kid = args.operands[0];
    if (keys->active() && keys->active()->kid() == kid) {
      std::cout << "key " << kid << " already signs\n";
      return kExitOk;
    }
    if (!keys->find(kid)) return fail(kExitNo, "no key with kid \"" + kid + "\" in the " + k.source.where());
    if (keys->retired_at(kid) != 0)
      return fail(kExitNo, "key " + kid + " is retired; it cannot sign again (key rotate makes a new one)");
    // Published already: announced again (an unchanged set) and waited for,
    // so every live process is known to have it before it signs.
    return publish_then_activate(k, kid, [](const jose::KeySet& stored) -> Result<jose::KeySet> { return stored; });
  }

  if (verb == "retire") {
    const std::string& kid = args.operands[0];
    const bool at_once = args.has("now");
    const long long now = now_seconds();
    long long retired_at = 0;
    // --now: in force once no live process verifies with it any more.
    return change_and_wait(
        k,
        [&](const jose::KeySet& stored) -> Result<jose::KeySet> {
          if (stored.active() && stored.active()->kid() == kid)
            return Error{ErrorCode::config_invalid, "key " + kid + " is the active signing key; rotate before retiring it"};
          if (!stored.find(kid))
            return Error{ErrorCode::config_invalid, "no key with kid \"" + kid + "\" in the " + k.source.where()};
          if (at_once) return stored.without(kid);
          // Retired twice: the first retirement's clock keeps running.
          retired_at = stored.retired_at(kid) != 0 ? stored.retired_at(kid) : now;
          return stored.retired(kid, retired_at);
        },
        [&](const jose::KeySet& kept) {
          k.audit.record(AuditEvent::key_retired, AuditContext::cli(), "", {{"kid", kid}});
          if (!kept.find(kid))
            std::cout << "retired " << kid << "; tokens it signed no longer verify\n";
          else
            std::cout << "retired " << kid << "; tokens it signed verify until " << rfc3339((retired_at + grace) * 1000)
                      << " (jwt.access_ttl + jwt.leeway), then every serving process drops it (--now drops it at once)\n";
        },
        at_once ? KeyWant::dropped : KeyWant::loaded, kid);
  }

  jose::Alg alg = keys->active() ? keys->active()->alg() : jose::Alg::ES256;
  if (verb == "generate") {
    auto name = args.get("alg");  // required by the table
    auto a = jose::alg_from_name(*name);
    if (!a) return fail(kExitUsage, "unknown algorithm \"" + *name + "\"; use HS256, HS384, HS512, RS256, PS256, ES256 or EdDSA");
    alg = *a;
  }
  auto fresh = jose::Jwk::generate(alg);
  if (!fresh) return fail(kExitNo, "key generation failed");
  auto publish = [&](const jose::KeySet& stored) -> Result<jose::KeySet> { return stored.with_key(*fresh); };
  auto said = [&](const jose::KeySet&) {
    std::cout << "new verification key " << fresh->kid() << " (" << jose::alg_name(alg) << ")\n";
  };
  if (!activate) return change_and_wait(k, publish, said);
  return publish_then_activate(k, fresh->kid(), publish, said);
}

}  // namespace cloakroom::cli
