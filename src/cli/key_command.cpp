#include <algorithm>
#include <iomanip>
#include <iostream>

#include "cli/commands.h"
#include "jose/keys_file.h"

namespace cloakroom::cli {
namespace {

int key_failure(const Error& e) { return fail(kExitNo, e.text()); }

// The keys file changed: every serving process reloads it through the change
// feed (not only at its once-a-second look at the file), and the command
// returns when all have.
int announce(const Config& config, const Args& args) {
  auto stores = open_stores(store_urls(config));
  if (!stores) return key_failure(stores.error());
  if (auto r = stores->feeds.front()->append(Change{Change::Kind::keys_changed}); !r) return key_failure(r.error());
  return confirm_applied(*stores, args);
}

}  // namespace

// `key list | generate --alg ALG [--activate] | rotate | retire KID` on the
// keys file (jwt.keys). The first key in the file signs (unless
// jwt.signing_kid names another); the others verify until retired. A running
// server reloads the file within a second.
int key_command(const Args& args) {
  const auto& pos = args.positional;
  const std::string verb = pos.size() > 1 ? pos[1] : "";
  if (verb != "list" && verb != "generate" && verb != "rotate" && verb != "retire")
    return fail(kExitUsage, "usage: cloakroom key list | generate --alg ALG [--activate] | rotate | retire KID");
  if (pos.size() != (verb == "retire" ? 3u : 2u))
    return fail(kExitUsage, "usage: cloakroom key " + verb + (verb == "retire" ? " KID" : ""));
  if (auto r = verb == "generate" ? args.only({"alg", "activate", "wait", "no-wait"})
               : verb == "list"     ? args.only({})
                                    : args.only({"wait", "no-wait"});
      !r)
    return fail(kExitUsage, r.error().text());
  auto config = config_from(args);
  if (!config) return fail(kExitUsage, config.error().text());
  const std::string& path = config->jwt.keys;
  auto keys = jose::load_or_create_keys(path, config->jwt.signing_kid);
  if (!keys) return key_failure(keys.error());
  std::vector<jose::Jwk> list = keys->keys();
  const std::string active = keys->active() ? keys->active()->kid() : "";

  if (verb == "list") {
    std::cout << std::left << std::setw(46) << "KID" << std::setw(8) << "ALG" << "STATUS\n";
    for (const auto& k : list)
      std::cout << std::setw(46) << k.kid() << std::setw(8) << jose::alg_name(k.alg())
                << (k.kid() == active ? "active (signs and verifies)" : "verifies only") << "\n";
    return kExitOk;
  }
  if (verb == "retire") {
    const std::string& kid = pos[2];
    if (kid == active) return fail(kExitNo, "key " + kid + " is the active signing key; rotate before retiring it");
    auto it = std::find_if(list.begin(), list.end(), [&](const jose::Jwk& k) { return k.kid() == kid; });
    if (it == list.end()) return fail(kExitNo, "no key with kid \"" + kid + "\" in " + path);
    list.erase(it);
    if (auto saved = jose::save_keys(path, jose::KeySet(list, config->jwt.signing_kid)); !saved) return key_failure(saved.error());
    std::cout << "retired " << kid << "; tokens it signed no longer verify\n";
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
  const bool activate = verb == "rotate" || args.has("activate");
  if (activate) list.insert(list.begin(), *fresh);
  else list.push_back(*fresh);
  if (auto saved = jose::save_keys(path, jose::KeySet(list, config->jwt.signing_kid)); !saved) return key_failure(saved.error());
  std::cout << (activate ? "new signing key " : "new verification key ") << fresh->kid() << " ("
            << jose::alg_name(alg) << ")\n";
  if (activate && !config->jwt.signing_kid.empty())
    std::cerr << "cloakroom: note: jwt.signing_kid is set to " << config->jwt.signing_kid
              << ", so that key keeps signing until you change it.\n";
  return announce(*config, args);
}

}  // namespace cloakroom::cli
