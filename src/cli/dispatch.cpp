#include <iostream>

#include "cli/commands.h"

namespace cloakroom::cli {
namespace {

constexpr const char* kUsage = R"(cloakroom — sessions, cookies and JWTs in one authentication server

usage: cloakroom [--config FILE] [--data-dir DIR] COMMAND ...

commands:
  serve [--listen HOST:PORT] [--public-url URL]
                                             run the server (default 127.0.0.1:8080, ./cloakroom-data);
                                             public_url defaults to http://<listen>
  user add NAME [--role R]... [--password-stdin]
  user list
  user disable NAME | enable NAME
  user passwd NAME [--password-stdin]
  user roles NAME --set a,b
  session list [--user NAME]
  session revoke ID | revoke --user NAME
  node list                                  serving processes: heartbeat, applied change feed position, lag
  store migrate --to-users URL [--to-sessions URL]
                                             copy users (and sessions, refresh families, denylist, epochs)
                                             from the configured stores, e.g. to postgres://... (with the
                                             signing keys, sealed: needs the key-encryption key); rerunnable
  key list | generate --alg ALG [--activate] | rotate | activate KID | retire KID [--now]
  token mint --sub NAME [--ttl 15m] [--claim k=v]...
  token inspect TOKEN | verify TOKEN [--jwks FILE]     (TOKEN - reads stdin)
  password calibrate [--target 500ms] [--memory-kib 19456]
  config check | example                     validate the configuration and show it (secrets masked); a commented example
  version

Revoking commands (session revoke, user disable|enable|passwd|roles, key generate|rotate|activate|retire)
return once every serving process has applied the change: --wait 5s changes
the bound (default 2s), --no-wait returns at once. A new signing key (key
rotate, activate, generate --activate) signs only after every serving process
has loaded it, so those wait twice and never take --no-wait.

Global options go before or after the command. Exit status: 0 success,
1 the answer is no (unknown user, failure), 2 usage or configuration error.
)";

}  // namespace

int run(int argc, const char* const* argv) {
  auto args = parse_args(argc, argv);
  if (!args) return fail(kExitUsage, args.error().text());
  if (args->positional.empty()) {
    if (args->has("help")) { std::cout << kUsage; return kExitOk; }
    std::cerr << kUsage;
    return kExitUsage;
  }
  const std::string& command = args->positional[0];
  if (command == "help" || args->has("help")) { std::cout << kUsage; return kExitOk; }
  if (command == "serve") return serve_command(*args);
  if (command == "user") return user_command(*args);
  if (command == "password") return password_command(*args);
  if (command == "version") { std::cout << "cloakroom 0.1.0\n"; return kExitOk; }
  if (command == "session") return session_command(*args);
  if (command == "key") return key_command(*args);
  if (command == "token") return token_command(*args);
  if (command == "node") return node_command(*args);
  if (command == "store") return store_command(*args);
  if (command == "config") return config_command(*args);
  return fail(kExitUsage, "unknown command \"" + command + "\"; run cloakroom --help");
}

}  // namespace cloakroom::cli
