#pragma once
// What a login waiting for its second factor keeps between its two steps
// (a ChallengeStore payload, kind "login"), and what binds it to the client
// that did the first step.
//
//   LoginChallenge c{user.id, choice..., client_binding(client_network(req.remote_ip), req.header("user-agent")),
//                    password_fingerprint(user.password_hash)};
//   store.put({.id_hash = challenge_hash(id, c.client), .kind = kLoginChallengeKind, .payload = encode(c), ...}, now);
//   ... second step ...
//   auto back = decode_login_challenge(pending->payload);   // nullopt: not ours (fail closed)
//   if (back->client != client_binding(...)) -> the same answer as an unknown challenge
//   if (back->password != password_fingerprint(user.password_hash)) -> void: the password changed
//
// "Bound to the first step's client" means: the same client network (an
// IPv4 address or an IPv6 /64, after http.trusted_proxies) and the same
// User-Agent (kept as its SHA-256). A stolen challenge id is thus useless
// from elsewhere; a client whose address changes between the steps signs
// in again. The payload holds no secret: the user id, the login's choices
// and a digest of the password hash the first step checked.
#include <optional>
#include <string>
#include <string_view>

namespace cloakroom::api {

inline constexpr std::string_view kLoginChallengeKind = "login";
// Why 5 minutes: time to find the phone and type a code, short enough
// that a challenge left behind is soon worthless.
inline constexpr long long kLoginChallengeMs = 5 * 60'000;
// Why 5: typos happen; more guesses need a new password step, and every
// wrong code also counts against the account's login throttle.
inline constexpr int kLoginChallengeAttempts = 5;

struct LoginChallenge {
  std::string user_id;
  bool token_mode = false;
  bool cookie_transport = true;
  bool remember = false;
  std::string client;    // client_binding() of the first step
  std::string password;  // password_fingerprint() of the hash the first step checked
  bool operator==(const LoginChallenge&) const = default;
};

// "<network> <hex SHA-256 of the User-Agent>".
std::string client_binding(std::string_view client_network, std::string_view user_agent);
// The SHA-256 of the id given to the client and its binding (32 raw bytes):
// what the store keeps. Another client's request finds no challenge at all,
// so it cannot spend the owner's attempts.
std::string challenge_hash(std::string_view id, std::string_view binding);
// Hex SHA-256 of a PHC string. Setting a password (a change, a reset link,
// the CLI) hashes it with a fresh salt, so a second step begun with the old
// password finds another fingerprint and is void: whoever knew the old
// password and holds the phone must not sign in after the change. A digest
// of the hash, not the hash: without the salt it tests no guesses.
std::string password_fingerprint(std::string_view password_hash);
std::string encode(const LoginChallenge& challenge);
// nullopt for anything encode() did not write.
std::optional<LoginChallenge> decode_login_challenge(std::string_view payload);

}  // namespace cloakroom::api
