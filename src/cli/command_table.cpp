// Every command, once: its words, operands, options, help and examples.
// The parser checks command lines against this table, --help renders it,
// and errors suggest from it (args.h, help.h). A new command or option is a
// new row here, and nothing else to keep in step.
#include "cli/commands.h"

namespace cloakroom::cli {

std::span<const CommandSpec> command_table() {
  // Options several commands share.
  static const OptionSpec kWait{"wait", "DURATION",
                                "wait at most this long for every serving process to apply it (default 2s)"};
  static const OptionSpec kNoWait{"no-wait", "", "return once the change is stored, without waiting for the servers"};
  // Why accepted at all: to say why it cannot be used (see key_command.cpp).
  static const OptionSpec kNoWaitRefused{"no-wait", "",
                                         "refused: a new signing key signs only once every serving process has it"};
  static const OptionSpec kPasswordStdin{"password-stdin", "",
                                         "read the password from the first line of stdin (else asked twice on a terminal)"};

  static const std::vector<CommandSpec> kTable = {
      {"serve", "", "run the server (default http://127.0.0.1:8080, data in ./cloakroom-data)",
       {{"listen", "HOST:PORT", "address to listen on (default 127.0.0.1:8080; config key listen)"},
        {"public-url", "URL", "the origin browsers use (config key public_url; default http://<listen>)"}},
       "Serves the HTTP API. Users, sessions and signing keys are kept in the data dir, which the first\n"
       "start creates (mode 0700; logged as data_dir_created), unless store.users and store.sessions\n"
       "name other stores. SIGTERM or SIGINT stops it gracefully. Logs are JSON lines on stderr.",
       {"cloakroom serve", "cloakroom serve --listen 0.0.0.0:8080 --data-dir /var/lib/cloakroom",
        "cloakroom serve --config /etc/cloakroom/cloakroom.toml"},
       serve_command},

      {"user add", "NAME", "create a user",
       {{"role", "ROLE", "a role to grant; a,b grants two", true}, kPasswordStdin},
       "Creates the data dir (mode 0700) when there is none yet, and says where. The password must be\n"
       "at least auth.password_min bytes long; on a terminal it is asked twice, without echo.",
       {"echo 'a long admin password' | cloakroom user add root --role admin --password-stdin",
        "cloakroom user add alice --role viewer,ops      # asks for the password twice"},
       user_command},
      {"user list", "", "list the users: id, name, status, creation time, roles", {}, "",
       {"cloakroom user list", "cloakroom user list --data-dir /var/lib/cloakroom"}, user_command},
      {"user disable", "NAME", "stop every credential of a user until user enable",
       {kWait, kNoWait},
       "The user's sessions, refresh tokens and access tokens stop working on every server at once;\n"
       "nothing is deleted. To end them for good: cloakroom session revoke --user NAME.",
       {"cloakroom user disable alice", "cloakroom user disable alice --wait 10s"}, user_command},
      {"user enable", "NAME", "let a disabled user's credentials work again", {kWait, kNoWait}, "",
       {"cloakroom user enable alice"}, user_command},
      {"user passwd", "NAME", "set a user's password and end their sessions and tokens",
       {kPasswordStdin, kWait, kNoWait},
       "Whoever knew the old password is logged out: the user's sessions and refresh token families\n"
       "end, and their token epoch rises so their access tokens fail too.",
       {"cloakroom user passwd alice      # asks for the password twice",
        "printf '%s\\n' 'a new long password' | cloakroom user passwd alice --password-stdin"},
       user_command},
      {"user reset-2fa", "NAME", "turn a user's TOTP off and end their sessions and tokens",
       {kWait, kNoWait},
       "For a user who lost their authenticator and recovery codes: forgets the TOTP secret and the\n"
       "recovery codes, and ends the user's sessions, refresh token families and access tokens.\n"
       "Passkeys are not removed. The password alone signs in again until the user enrols anew.",
       {"cloakroom user reset-2fa alice"}, user_command},
      {"user reset-link", "NAME", "print a single-use link where the user sets a new password",
       {{"ttl", "DURATION", "how long the link works, 1m to 7d (default 1h)"}},
       "The link is on public_url and is printed on stdout only (never logged); hand it to the user\n"
       "yourself. Setting a password through it ends every session, refresh token family and access\n"
       "token of the user. It works once; only its SHA-256 is stored.",
       {"cloakroom user reset-link alice", "cloakroom user reset-link alice --ttl 30m"}, user_command},
      {"user roles", "NAME", "replace a user's roles",
       {{"set", "ROLES", "the roles, comma-separated (\"\" for none)", false, true}, kWait, kNoWait}, "",
       {"cloakroom user roles alice --set admin,ops", "cloakroom user roles alice --set ''      # no roles"},
       user_command},

      {"session list", "", "list live sessions and refresh token families",
       {{"user", "NAME", "only this user's"}}, "",
       {"cloakroom session list", "cloakroom session list --user alice"}, session_command},
      {"session revoke", "[ID]", "end a session or refresh token family, or all of a user's",
       {{"user", "NAME", "end every session, refresh family and access token of this user"}, kWait, kNoWait},
       "Give an ID from session list, or --user NAME, not both. The access tokens of a revoked refresh\n"
       "family are denied for as long as any of them could live.",
       {"cloakroom session revoke hV3kP0qL9mZ2vR7tYw1aNc      # an ID from session list",
        "cloakroom session revoke --user alice"},
       session_command},

      {"node list", "", "list the serving processes: heartbeat, applied change feed position, lag", {}, "",
       {"cloakroom node list"}, node_command},

      {"store migrate", "", "copy the users, their TOTP and passkeys (and sessions, tokens, signing keys) elsewhere",
       {{"to-users", "URL", "where the users go, e.g. postgres://USER@HOST:PORT/DB (password from ~/.pgpass or PGPASSWORD)", false, true},
        {"to-sessions", "URL", "where sessions, refresh families, denylist and epochs go, e.g. redis://HOST:PORT/DB"}},
       "Copies what the configured stores hold, keeping ids, so nobody is logged out. A target that\n"
       "keeps the signing keys (PostgreSQL) gets the key set, sealed: it needs the key-encryption key.\n"
       "Rerun it before the switch to copy what is new: what the target holds already is skipped. Once\n"
       "the target has changed since the last copy (a session revoked or a passkey removed there), a rerun\n"
       "is refused (exit 1): it would bring those back. The last copy is recorded in DATA_DIR/migrated.json;\n"
       "delete it to copy anyway. Not copied: sign-in challenges and password reset links in flight\n"
       "(short-lived; issue a new link). See docs/scale-out.md.",
       {"cloakroom store migrate --to-users 'postgres://cloakroom:pw@db/cloakroom'",
        "cloakroom store migrate --to-users 'postgres://cloakroom:pw@db/cloakroom' --to-sessions redis://cache:6379/0"},
       store_command},

      {"key list", "", "list the signing and verification keys and their status", {}, "", {"cloakroom key list"},
       key_command},
      {"key generate", "", "add a new key, for verification only unless --activate",
       {{"alg", "ALG", "HS256, HS384, HS512, RS256, PS256, ES256 or EdDSA", false, true},
        {"activate", "", "sign with it, once every serving process has it"},
        kWait,
        {"no-wait", "", "return once the key is stored (refused with --activate)"}},
       "Without --activate the key is published for verification; `key activate KID` makes it sign\n"
       "later. With --activate the command waits twice: until every serving process has the key, then\n"
       "until every one signs with it.",
       {"cloakroom key generate --alg EdDSA", "cloakroom key generate --alg ES256 --activate"}, key_command},
      {"key rotate", "", "make a new key of the active key's algorithm and sign with it", {kWait, kNoWaitRefused},
       "Publishes the new key, waits until every serving process has it, then makes it the signing\n"
       "key. The old key keeps verifying until retired (key retire).",
       {"cloakroom key rotate", "cloakroom key rotate --wait 10s"}, key_command},
      {"key activate", "KID", "make a published key the signing key", {kWait, kNoWaitRefused},
       "Announces the key again and waits until every serving process has it before it signs.",
       {"cloakroom key activate \"$KID\"      # a KID from key list"}, key_command},
      {"key retire", "KID", "stop verifying with a key after its grace period (or --now)",
       {{"now", "", "drop it at once: the tokens it signed stop verifying now"}, kWait, kNoWait},
       "A retired key verifies for jwt.access_ttl + jwt.leeway more, so the tokens it signed live out\n"
       "their time; then every serving process drops it. The signing key cannot be retired: rotate first.",
       {"cloakroom key retire \"$KID\"", "cloakroom key retire \"$KID\" --now"}, key_command},
      {"key rewrap", "", "seal every secret kept at rest again under the current key-encryption key", {},
       "The step of a key-encryption key rotation once every node runs with the new key as current and\n"
       "the old one as previous: reseals the shared key set (PostgreSQL; every node reloads it) and every\n"
       "TOTP secret sealed under the previous key or totp.key, in batches of 500 users per transaction.\n"
       "Rerunnable. Exit 1 naming what opens under neither key. See docs/security.md.",
       {"cloakroom key rewrap", "cloakroom key rewrap --config /etc/cloakroom/cloakroom.toml"}, key_rewrap_command},

      {"token mint", "", "sign an access token for a user (for tests and scripts)",
       {{"sub", "NAME", "the user, by name", false, true},
        {"ttl", "DURATION", "lifetime, at least 1s (default jwt.access_ttl)"},
        {"claim", "NAME=VALUE", "an extra claim (not a registered one such as sub or exp)", true},
        {"amr", "LIST", "how the user signed in, e.g. pwd,otp (RFC 8176: pwd otp hwk user); auth_time is now"}},
       "", {"cloakroom token mint --sub alice", "TOKEN=$(cloakroom token mint --sub alice --ttl 1h --claim tenant=acme)",
            "cloakroom token mint --sub alice --amr pwd,otp"},
       token_command},
      {"token inspect", "TOKEN", "decode a token without verifying it (TOKEN - reads stdin)", {},
       "Prints the header and payload; checks nothing. Needs no data dir.",
       {"cloakroom token inspect \"$TOKEN\"", "echo \"$TOKEN\" | cloakroom token inspect -"}, token_command},
      {"token verify", "TOKEN", "check a token's signature, claims and revocation (TOKEN - reads stdin)",
       {{"jwks", "FILE", "verify with the keys in this JWKS file instead (no revocation check, no data dir)"}}, "",
       {"cloakroom token verify \"$TOKEN\"", "echo \"$TOKEN\" | cloakroom token verify - --jwks issuer.jwks.json"},
       token_command},

      {"password calibrate", "", "measure Argon2id here and print a [password] config section",
       {{"target", "DURATION", "how long one hash should take, 10ms to 60s (default 500ms)"},
        {"memory-kib", "KIB", "memory per hash, 8 to 4194304 KiB (default 19456)"}},
       "Fixes memory first, then raises the iterations until a hash takes --target (RFC 9106 section 4).\n"
       "Progress goes to stderr, the section to stdout.",
       {"cloakroom password calibrate", "cloakroom password calibrate --target 250ms --memory-kib 65536"},
       password_command},

      {"config check", "", "validate the configuration and print the settings serve would run with",
       {{"listen", "HOST:PORT", "as serve's --listen"}, {"public-url", "URL", "as serve's --public-url"}},
       "Loads the file (--config or CLOAKROOM_CONFIG), the CLOAKROOM_* environment and the flags exactly\n"
       "as serve would. A bad setting exits 2 with the sentence serve would print; otherwise every key is\n"
       "printed as TOML, passwords in store URLs masked and environment-only secrets only said to be set.",
       {"cloakroom config check --config /etc/cloakroom/cloakroom.toml",
        "CLOAKROOM_SESSION_IDLE_TIMEOUT=45m cloakroom config check"},
       config_command},
      {"config example", "", "print every config key, commented out at its default", {},
       "The file the package installs as /etc/cloakroom/cloakroom.toml, generated from the key table.",
       {"cloakroom config example      # redirect it to a file to start one"}, config_command},

      {"version", "", "print the version (as --version does)", {}, "", {"cloakroom version"}, version_command},
      {"help", "[COMMAND...]", "show the help of a command (as COMMAND --help does)", {}, "",
       {"cloakroom help", "cloakroom help user add"}, help_command},
  };
  return kTable;
}

}  // namespace cloakroom::cli
