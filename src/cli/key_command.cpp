#include <algorithm>
#include <functional>
#include <iomanip>
#include <iostream>

#include "cli/commands.h"
#include "core/clock.h"
#include "jose/keys_file.h"
#include "token/access_tokens.h"

namespace cloakroom::cli {
namespace {

constexpr const char* kUsage =
    "usage: cloakroom key list | generate --alg ALG [--activate] | rotate | activate KID | retire KID [--now]";

int key_failure(const Error& e) { return fail(kExitNo, e.text()); }

long long now_seconds() { return unix_seconds(SystemClock{}.now()); }

// One change to the stored key set, under the keys file's lock. Retired
// keys whose grace has passed go on the way: no process verifies with them
// any more, so their private halves need not be kept.
Result<jose::KeySet> change_keys(const Config& config,
                                 const std::function<Result<jose::KeySet>(const jose::KeySet&)>& change) {
  const long long cutoff = now_seconds() - AccessTokens::retirement_grace(config).count();
  return jose::update_keys(config.jwt.keys, config.jwt.signing_kid,
                           [&](const jose::KeySet& stored) -> Result<jose::KeySet> {
                             auto next = change(stored);
                             if (!next) return next;
                             return next->without_retired_before(cutoff);
                           });
}

// The stored key set changed: every serving process reloads it through the
// change feed (not only at its once-a-second look at the file), and the
// command returns when all have (confirm_applied), or exits 1 naming those
// that have not.
int announce(const Config& config, const Args& args) {
  auto stores = open_stores({config.store.users, config.store.sessions, config.data_dir});
  if (!stores) return key_failure(stores.error());
  if (auto r = stores->feeds.front()->append(Change{Change::Kind::keys_changed}); !r) return key_failure(r.error());
  return confirm_applied(*stores, args);
}

// Publish, then activate: `kid` is already stored as a verification key.
// Only once every live serving process has loaded it (so each one verifies
// what any other signs with it) does it become the signing key, announced
// and waited for again. If the first wait fails, the key stays verify-only.
int publish_then_activate(const Config& config, const Args& args, const std::string& kid) {
  if (int published = announce(config, args); published != kExitOk)
    return fail(kExitNo, "key " + kid + " was not activated: it stays a verification key and nothing signs with it. "
                         "Once every serving process runs, activate it with: cloakroom key activate " + kid);
  auto activated = change_keys(config, [&](const jose::KeySet& stored) -> Result<jose::KeySet> {
    if (!stored.find(kid)) return Error{ErrorCode::config_invalid, "key " + kid + " is no longer in " + config.jwt.keys};
    if (stored.retired_at(kid) != 0)
      return Error{ErrorCode::config_invalid, "key " + kid + " was retired meanwhile; it cannot sign"};
    return stored.activated(kid, config.jwt.signing_kid);
  });
  if (!activated) return key_failure(activated.error());
  if (!config.jwt.signing_kid.empty() && config.jwt.signing_kid != kid) {
    std::cout << "key " << kid << " is first in " << config.jwt.keys << "\n";
    std::cerr << "cloakroom: note: jwt.signing_kid is set to " << config.jwt.signing_kid
              << ", so that key keeps signing until you change it.\n";
  } else {
    std::cout << "now signing with " << kid << "\n";
  }
  return announce(config, args);
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
// retire KID [--now]` on the keys file (jwt.keys). The first key in the file
// signs (unless jwt.signing_kid names another); the others verify until
// retired, and a retired key verifies for jwt.access_ttl + jwt.leeway more.
// Every change is announced on the change feed and waited for.
int key_command(const Args& args) {
  const auto& pos = args.positional;
  const std::string verb = pos.size() > 1 ? pos[1] : "";
  if (verb != "list" && verb != "generate" && verb != "rotate" && verb != "activate" && verb != "retire")
    return fail(kExitUsage, kUsage);
  const bool names_kid = verb == "retire" || verb == "activate";
  if (pos.size() != (names_kid ? 3u : 2u))
    return fail(kExitUsage, "usage: cloakroom key " + verb + (names_kid ? " KID" : "") + (verb == "retire" ? " [--now]" : ""));
  if (auto r = verb == "generate" ? args.only({"alg", "activate", "wait", "no-wait"})
               : verb == "list"   ? args.only({})
               : verb == "retire" ? args.only({"now", "wait", "no-wait"})
                                  : args.only({"wait", "no-wait"});
      !r)
    return fail(kExitUsage, r.error().text());
  const bool activate = verb == "rotate" || verb == "activate" || args.has("activate");
  // Why: activating before every process can verify the key is what makes
  // other processes refuse the tokens it signs.
  if (activate && args.has("no-wait"))
    return fail(kExitUsage, "a new signing key is activated only once every serving process has it, so --no-wait "
                            "cannot be used here (--wait gives them longer)");
  auto config = config_from(args);
  if (!config) return fail(kExitUsage, config.error().text());
  const std::string& path = config->jwt.keys;
  auto keys = jose::load_or_create_keys(path, config->jwt.signing_kid);
  if (!keys) return key_failure(keys.error());
  const long long grace = AccessTokens::retirement_grace(*config).count();

  if (verb == "list") {
    const long long now = now_seconds();
    std::cout << std::left << std::setw(46) << "KID" << std::setw(8) << "ALG" << "STATUS\n";
    for (const auto& k : keys->keys())
      std::cout << std::setw(46) << k.kid() << std::setw(8) << jose::alg_name(k.alg()) << status_of(*keys, k, grace, now)
                << "\n";
    return kExitOk;
  }

  if (verb == "activate") {
    const std::string& kid = pos[2];
    if (keys->active() && keys->active()->kid() == kid) {
      std::cout << "key " << kid << " already signs\n";
      return kExitOk;
    }
    if (!keys->find(kid)) return fail(kExitNo, "no key with kid \"" + kid + "\" in " + path);
    if (keys->retired_at(kid) != 0) return fail(kExitNo, "key " + kid + " is retired; it cannot sign again (key rotate makes a new one)");
    return publish_then_activate(*config, args, kid);
  }

  if (verb == "retire") {
    const std::string& kid = pos[2];
    const bool now_flag = args.has("now");
    const long long now = now_seconds();
    long long retired_at = 0;
    auto changed = change_keys(*config, [&](const jose::KeySet& stored) -> Result<jose::KeySet> {
      if (stored.active() && stored.active()->kid() == kid)
        return Error{ErrorCode::config_invalid, "key " + kid + " is the active signing key; rotate before retiring it"};
      if (!stored.find(kid)) return Error{ErrorCode::config_invalid, "no key with kid \"" + kid + "\" in " + path};
      if (now_flag) return stored.without(kid);
      // Retired twice: the first retirement's clock keeps running.
      retired_at = stored.retired_at(kid) != 0 ? stored.retired_at(kid) : now;
      return stored.retired(kid, retired_at);
    });
    if (!changed) return key_failure(changed.error());
    if (now_flag || !changed->find(kid))
      std::cout << "retired " << kid << "; tokens it signed no longer verify\n";
    else
      std::cout << "retired " << kid << "; tokens it signed verify until " << rfc3339((retired_at + grace) * 1000)
                << " (jwt.access_ttl + jwt.leeway), then every serving process drops it (--now drops it at once)\n";
    return announce(*config, args);
  }

  jose::Alg alg = keys->active() ? keys->active()->alg() : jose::Alg::ES256;
  if (verb == "generate") {
    auto name = args.get("alg");
    if (!name) return fail(kExitUsage, "key generate needs --alg (HS256, HS384, HS512, RS256, PS256, ES256 or EdDSA)");
    auto a = jose::alg_from_name(*name);
    if (!a) return fail(kExitUsage, "unknown algorithm \"" + *name + "\"; use HS256, HS384, HS512, RS256, PS256, ES256 or EdDSA");
    alg = *a;
  }
  auto fresh = jose::Jwk::generate(alg);
  if (!fresh) return fail(kExitNo, "key generation failed");
  auto added = change_keys(*config, [&](const jose::KeySet& stored) -> Result<jose::KeySet> { return stored.with_key(*fresh); });
  if (!added) return key_failure(added.error());
  std::cout << "new verification key " << fresh->kid() << " (" << jose::alg_name(alg) << ")\n";
  if (!activate) return announce(*config, args);
  return publish_then_activate(*config, args, fresh->kid());
}

}  // namespace cloakroom::cli
