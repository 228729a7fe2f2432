#include <iostream>

#include "cli/commands.h"
#include "cli/data_dir.h"
#include "core/json.h"
#include "core/random.h"
#include "jose/jws_parser.h"
#include "jose/jws_verifier.h"
#include "jose/keys_file.h"
#include "config/store_urls.h"
#include "token/key_source.h"
#include "token/access_tokens.h"
#include "token/revocation_list.h"

namespace cloakroom::cli {
namespace {

// A token from the command line, or from stdin when given as "-" (keeps it
// out of shell history and `ps`).
std::string token_argument(const std::string& arg) {
  if (arg != "-") return arg;
  std::string line;
  std::getline(std::cin, line);
  while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
  return line;
}

void print_json(const json::Value& v, int indent = 0) {
  std::string pad(static_cast<std::size_t>(indent) * 2, ' ');
  switch (v.type) {
    case json::Type::object: {
      std::cout << "{\n";
      for (std::size_t i = 0; i < v.members.size(); ++i) {
        std::string key;
        json::append_quoted(key, v.members[i].name);
        std::cout << pad << "  " << key << ": ";
        print_json(v.members[i].value, indent + 1);
        std::cout << (i + 1 < v.members.size() ? ",\n" : "\n");
      }
      std::cout << pad << "}";
      break;
    }
    case json::Type::array: {
      std::cout << "[";
      for (std::size_t i = 0; i < v.items.size(); ++i) {
        if (i) std::cout << ", ";
        print_json(v.items[i], indent + 1);
      }
      std::cout << "]";
      break;
    }
    case json::Type::string: {
      std::string s;
      json::append_quoted(s, v.text);
      std::cout << s;
      break;
    }
    case json::Type::number: std::cout << v.text; break;
    case json::Type::boolean: std::cout << (v.boolean ? "true" : "false"); break;
    case json::Type::null: std::cout << "null"; break;
  }
}

int inspect(const std::string& token) {
  std::size_t d1 = token.find('.'), d2 = token.find('.', d1 == std::string::npos ? 0 : d1 + 1);
  if (d1 == std::string::npos || d2 == std::string::npos) return fail(kExitNo, "that is not a JWS compact token (header.payload.signature)");
  auto header = jose::decode_segment(std::string_view(token).substr(0, d1));
  auto payload = jose::decode_segment(std::string_view(token).substr(d1 + 1, d2 - d1 - 1));
  if (!header || !payload) return fail(kExitNo, "the token is not valid base64url");
  auto h = json::parse(*header);
  auto p = json::parse(*payload);
  if (!h || !p) return fail(kExitNo, "the token's header or payload is not valid JSON");
  std::cout << "NOT VERIFIED: this only decodes. A JWT is encoded, not encrypted: anyone who holds it can read\n"
               "everything below. Use `cloakroom token verify` to check the signature and claims.\n\nheader: ";
  print_json(*h);
  std::cout << "\npayload: ";
  print_json(*p);
  std::cout << "\n";
  if (const json::Value* exp = p->find("exp"); exp && exp->as_int64())
    std::cout << "expires: " << rfc3339(*exp->as_int64() * 1000) << "\n";
  return kExitOk;
}

}  // namespace

// `token mint --sub NAME [--ttl 15m] [--claim k=v]...`, `token inspect TOKEN`,
// `token verify TOKEN [--jwks FILE]` (TOKEN "-" reads it from stdin).
int token_command(const Args& args) {
  const std::string_view verb = args.verb();
  if (verb == "inspect") return inspect(token_argument(args.operands[0]));
  auto config = config_from(args);
  if (!config) return fail(kExitUsage, config.error().text());
  SystemClock clock;
  OsRandom random;

  if (verb == "verify") {
    // With our own keys, our own revocation state too: a logged-out token is not valid.
    RevocationList revocations;
    Result<jose::KeySet> keys = jose::KeySet();
    if (auto jwks = args.get("jwks")) {
      keys = jose::load_keys(*jwks);
    } else {
      auto stores = open_existing_stores(*config);
      if (!stores) return fail(stores.error());
      auto source = open_existing_key_source(*config, *stores);
      if (!source) return fail(source.error());
      keys = (*source)->load_or_create(nullptr);
      auto denylist = stores->tokens->load_denylist(unix_millis(clock.now()));
      auto epochs = stores->tokens->load_epochs();
      if (!denylist || !epochs) return fail(kExitNo, "the revocation state could not be read from the store");
      revocations.load(*denylist, *epochs);
    }
    // A --jwks file is the command's argument (1); our own keys are configuration (2).
    if (!keys) return fail(args.has("jwks") ? kExitNo : exit_code_for(keys.error()), keys.error().text());
    AccessTokens tokens(*config, std::move(*keys), clock, random, revocations);
    auto claims = tokens.verify(token_argument(args.operands[0]));
    if (!claims) return fail(kExitNo, "the token is not valid: " + std::string(jose::reason_name(claims.error())));
    const jose::VerifiedClaims& c = (*claims)->claims;
    std::cout << "valid: signed by " << c.kid << ", subject " << c.subject
              << (c.username.empty() ? "" : " (" + c.username + ")") << ", expires "
              << rfc3339(c.expires_at * 1000) << "\n";
    return kExitOk;
  }

  auto sub = args.get("sub");  // required by the table
  auto ttl = parse_duration(args.get("ttl").value_or(format_duration(config->jwt.access_ttl)));
  if (!ttl || ttl->count() < 1000) return fail(kExitUsage, "--ttl must be a duration of at least 1s, like 15m");
  std::vector<std::pair<std::string, std::string>> extra;
  for (const auto& c : args.all("claim")) {
    auto eq = c.find('=');
    if (eq == std::string::npos || eq == 0) return fail(kExitUsage, "--claim takes NAME=VALUE");
    std::string name = c.substr(0, eq);
    for (std::string_view reserved :
         {"iss", "sub", "aud", "exp", "iat", "nbf", "jti", "username", "roles", "sid", "epoch", "amr", "auth_time"})
      if (name == reserved) return fail(kExitUsage, "--claim cannot set the reserved claim \"" + name + "\"");
    extra.emplace_back(name, c.substr(eq + 1));
  }
  // Every name must be one we record: "mfa" is derived from them, and a typo must not pass silently.
  AuthMethods amr;
  if (auto list = args.get("amr")) {
    std::string_view rest = *list;
    while (!rest.empty() || amr.empty()) {
      const std::size_t comma = rest.find(',');
      const std::string_view name = rest.substr(0, comma);
      auto method = AuthMethods::named(name);
      if (!method)
        return fail(kExitUsage, "--amr takes a comma-separated list of pwd, otp, hwk and user, not \"" +
                                    std::string(name) + "\"");
      amr = amr.with(*method);
      rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    }
  }
  auto stores = open_existing_stores(*config);
  if (!stores) return fail(stores.error());
  auto user = stores->users->find_by_name(*sub);
  if (!user) return fail(kExitNo, user.error().code == ErrorCode::not_found ? "no user named \"" + *sub + "\"" : std::string(user.error().text()));
  if (user->disabled) return fail(kExitNo, "user \"" + *sub + "\" is disabled");
  auto source = open_existing_key_source(*config, *stores);
  if (!source) return fail(source.error());
  auto keys = (*source)->load_or_create(nullptr);
  if (!keys) return fail(exit_code_for(keys.error()), keys.error().text());
  // The user's current epoch: the token survives until the next logout-all.
  auto epoch = stores->tokens->epoch(user->id);
  if (!epoch) return fail(kExitNo, epoch.error().text());
  RevocationList revocations;
  AccessTokens tokens(*config, std::move(*keys), clock, random, revocations);
  auto token = tokens.sign(user->id, user->username, user->roles,
                           std::chrono::duration_cast<std::chrono::seconds>(*ttl), extra, {}, {}, *epoch, amr,
                           unix_millis(clock.now()));
  if (!token) return fail(kExitNo, "signing failed: " + std::string(jose::reason_name(token.error())));
  std::cout << *token << "\n";
  return kExitOk;
}

}  // namespace cloakroom::cli
