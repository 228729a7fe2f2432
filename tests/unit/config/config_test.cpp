#include "config/config.h"

#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace cloakroom {
namespace {

Result<Config> from_toml(std::string_view text) {
  Config c;
  if (auto r = apply_toml(c, text, "test.toml"); !r) return r.error();
  return c;
}

// No file, no env, no flags: the SPEC's defaults, with derived paths.
TEST(Config, DefaultsMatchSpec) {
  auto c = load_config({});
  ASSERT_TRUE(c);
  EXPECT_EQ(c->listen, "127.0.0.1:8080");
  EXPECT_EQ(c->data_dir, "./cloakroom-data");
  EXPECT_EQ(c->store.users, "sqlite://./cloakroom-data/cloakroom.db");
  EXPECT_EQ(c->jwt.keys, "./cloakroom-data/keys.jwks.json");
  EXPECT_EQ(c->jwt.issuer, "http://127.0.0.1:8080");
  EXPECT_EQ(c->public_url, "http://127.0.0.1:8080");  // derived from listen
  EXPECT_TRUE(c->public_url_derived);
  EXPECT_EQ(c->session.idle_timeout, std::chrono::minutes(30));
  EXPECT_EQ(c->jwt.audience, std::vector<std::string>{"cloakroom"});
  EXPECT_EQ(c->auth.password_min, 8u);
  EXPECT_EQ(c->password.memory_kib, 19456u);
  EXPECT_EQ(c->http.max_body_bytes, 65536u);
  EXPECT_EQ(c->jwt.refresh_grace, std::chrono::seconds(10));
  EXPECT_EQ(c->session.cache_entries, 1'000'000u);
}

// session.cache_entries = 0 turns the near-cache off (the per-request-lookup
// design, for comparison); 1..999 stay refused with a message that says so.
TEST(Config, CacheEntriesIsZeroOrAtLeastAThousand) {
  auto off = from_toml("[session]\ncache_entries = 0");
  ASSERT_TRUE(off);
  EXPECT_EQ(off->session.cache_entries, 0u);
  auto small = from_toml("[session]\ncache_entries = 1");
  ASSERT_FALSE(small);
  EXPECT_NE(small.error().text().find("must be 0 (no cache, for comparison only) or at least 1000"),
            std::string_view::npos)
      << small.error().text();
}

// The refresh grace window may be turned off.
TEST(Config, RefreshGraceMayBeZero) {
  auto c = from_toml("[jwt]\nrefresh_grace = \"0s\"");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->jwt.refresh_grace.count(), 0);
}

// Every kind of value reads from TOML, including [[access.rule]] tables.
TEST(Config, ReadsToml) {
  auto c = from_toml(R"(
listen = "0.0.0.0:9000"
[auth]
registration = false
password_min = 12
[session]
idle_timeout = "90s"
[cookie]
same_site = "Strict"
[jwt]
audience = ["a", "b"]
[[access.rule]]
prefix = "/admin"
roles = ["admin"]
methods = ["post"]
[[access.rule]]
prefix = "/"
roles = []
)");
  ASSERT_TRUE(c) << c.error().text();
  EXPECT_EQ(c->listen, "0.0.0.0:9000");
  EXPECT_FALSE(c->auth.registration);
  EXPECT_EQ(c->auth.password_min, 12u);
  EXPECT_EQ(c->session.idle_timeout, std::chrono::seconds(90));
  EXPECT_EQ(c->cookie.same_site, SameSite::strict);
  EXPECT_EQ(c->jwt.audience, (std::vector<std::string>{"a", "b"}));
  ASSERT_EQ(c->access_rules.size(), 2u);
  EXPECT_EQ(c->access_rules[0].methods, std::vector<std::string>{"POST"});
}

// [[access.rule]] second_factor reads as a boolean (default false); any other type is refused by name.
TEST(Config, AccessRuleSecondFactor) {
  auto c = from_toml("[[access.rule]]\nprefix = \"/admin\"\nsecond_factor = true\n[[access.rule]]\nprefix = \"/\"\n");
  ASSERT_TRUE(c) << c.error().text();
  ASSERT_EQ(c->access_rules.size(), 2u);
  EXPECT_TRUE(c->access_rules[0].second_factor);
  EXPECT_FALSE(c->access_rules[1].second_factor);
  auto bad = from_toml("[[access.rule]]\nprefix = \"/admin\"\nsecond_factor = \"yes\"\n");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, ErrorCode::config_invalid);
  EXPECT_NE(bad.error().text().find("access.rule.second_factor"), std::string_view::npos) << bad.error().text();
}

// A typo in a rule's key is refused with the key it was meant to be; the
// effective settings (config check) list the rules as written, in order.
TEST(Config, AccessRulesInTyposAndEffectiveSettings) {
  auto typo = from_toml("[[access.rule]]\nprefix = \"/billing\"\nsecond_facter = true\n");
  ASSERT_FALSE(typo);
  EXPECT_EQ(typo.error().text(), "Unknown config key access.rule.second_facter in test.toml "
                                 "(did you mean access.rule.second_factor?).");
  auto c = from_toml("[[access.rule]]\nprefix = \"/billing\"\nsecond_factor = true\n"
                     "[[access.rule]]\nprefix = \"/admin\"\nmethods = [\"post\"]\nroles = [\"admin\", \"ops\"]\n");
  ASSERT_TRUE(c) << c.error().text();
  const std::string shown = config_effective_toml(*c);
  EXPECT_NE(shown.find("\n[[access.rule]]\nprefix = \"/billing\"\nsecond_factor = true\n\n[[access.rule]]\n"
                       "prefix = \"/admin\"\nmethods = [\"POST\"]\nroles = [\"admin\", \"ops\"]\n"),
            std::string::npos)
      << shown;
  EXPECT_NE(config_effective_toml(Config{}).find("# no [[access.rule]]"), std::string::npos);
}

// An unknown key stops startup with a sentence naming it.
TEST(Config, UnknownKeyIsNamed) {
  auto c = from_toml("[session]\nidle_timout = \"5m\"\n");
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().code, ErrorCode::config_invalid);
  EXPECT_NE(c.error().text().find("session.idle_timout"), std::string_view::npos);
  EXPECT_FALSE(from_toml("[nosuch]\nkey = 1\n"));
  EXPECT_FALSE(from_toml("[[access.rule]]\nprefix = \"/a\"\nrole = [\"x\"]\n"));
}

// A near miss of a real key (file or environment) suggests it; anything else does not guess.
TEST(Config, UnknownKeySuggestsANearMiss) {
  EXPECT_EQ(from_toml("[session]\nidle_timout = \"5m\"\n").error().text(),
            "Unknown config key session.idle_timout in test.toml (did you mean session.idle_timeout?).");
  EXPECT_EQ(from_toml("[http]\ntrusted_proxy = [\"127.0.0.1\"]\n").error().text(),
            "Unknown config key http.trusted_proxy in test.toml (did you mean http.trusted_proxies?).");
  EXPECT_EQ(from_toml("[http]\nfoo = 1\n").error().text(), "Unknown config key http.foo in test.toml.");
  ConfigSources env{.env = {{"CLOAKROOM_SESION_IDLE_TIMEOUT", "5m"}}};
  EXPECT_EQ(load_config(env).error().text(),
            "Unknown environment variable CLOAKROOM_SESION_IDLE_TIMEOUT (did you mean "
            "CLOAKROOM_SESSION_IDLE_TIMEOUT?).");
}

// A bad value names the key and says what is expected.
TEST(Config, BadValuesAreNamed) {
  struct Case { std::string_view toml, key; };
  for (auto [toml, key] : {Case{"listen = \"nope\"", "listen"}, Case{"listen = 8080", "listen"},
                           Case{"[auth]\npassword_min = 0", "auth.password_min"},
                           Case{"[auth]\npassword_min = 2000", "auth.password_min"},
                           Case{"[auth]\nregistration = \"yes\"", "auth.registration"},
                           Case{"[session]\nidle_timeout = \"5 minutes\"", "session.idle_timeout"},
                           Case{"[session]\nidle_timeout = \"0s\"", "session.idle_timeout"},
                           Case{"[session]\ncache_entries = 999", "session.cache_entries"},
                           Case{"[cookie]\nsame_site = \"laxx\"", "cookie.same_site"},
                           Case{"public_url = \"ftp://x\"", "public_url"},
                           Case{"public_url = \"https://x/path\"", "public_url"},
                           Case{"public_url = \"https://x//\"", "public_url"},
                           Case{"public_url = \"https://x/?q\"", "public_url"},
                           Case{"[store]\nusers = \"redis://localhost\"", "store.users"},
                           Case{"[jwt]\naudience = []", "jwt.audience"},
                           Case{"[jwt]\nrefresh_grace = \"6m\"", "jwt.refresh_grace"},
                           Case{"[jwt]\nleeway = \"2h\"", "jwt.leeway"},
                           Case{"[[access.rule]]\nprefix = \"admin\"", "access.rule"}}) {
    auto c = from_toml(toml);
    ASSERT_FALSE(c) << toml;
    EXPECT_NE(c.error().text().find(key), std::string_view::npos) << c.error().text();
  }
}

// http.max_header_bytes stops below 64 KiB: Beast's parser stores field
// lengths in 16 bits and throws on a longer field, which a larger limit
// would let a single header reach.
TEST(Config, MaxHeaderBytesStaysWithinBeastFieldSize) {
  auto ok = from_toml("[http]\nmax_header_bytes = 65535");
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->http.max_header_bytes, 65535u);
  auto too_big = from_toml("[http]\nmax_header_bytes = 65536");
  ASSERT_FALSE(too_big);
  EXPECT_EQ(too_big.error().code, ErrorCode::config_invalid);
  EXPECT_NE(too_big.error().text().find("http.max_header_bytes"), std::string_view::npos) << too_big.error().text();
  EXPECT_NE(too_big.error().text().find("65535"), std::string_view::npos) << too_big.error().text();
}

// Store URLs are checked against the backends this build has, and a refusal
// lists them; a malformed URL is refused without quoting it.
TEST(Config, StoreUrlErrorsListTheBackends) {
  struct Case { std::string_view toml, text; };
  for (auto [toml, text] :
       {Case{"[store]\nusers = \"redis://localhost\"",
             "store.users (test.toml) names a backend that cannot hold users; use sqlite://PATH, memory:// or "
             "postgres://USER@HOST:PORT/DB."},
        Case{"[store]\nsessions = \"postgresql://db/x\"",
             "store.sessions (test.toml) names a backend that cannot hold sessions; use sqlite://PATH, memory:// or "
             "redis://HOST:PORT/DB."},
        Case{"[store]\nsessions = \"ftp://x\"",
             "store.sessions (test.toml) must be sqlite://PATH, memory:// or redis://HOST:PORT/DB."},
        // A malformed Redis URL is refused at config time, never quoting it (it may hold a password).
        Case{"[store]\nsessions = \"redis://app:s3cret@h:99999/0\"",
             "store.sessions (test.toml) has a port that is not 1 to 65535."},
        // The same for a URL libpq cannot parse.
        Case{"[store]\nusers = \"postgres://app:s3cret@h/db?nonsense=1\"",
             "store.users (test.toml) is not a valid libpq connection URI (invalid URI query parameter: "
             "\"nonsense\")."},
        Case{"[store]\nusers = \"sqlite://\"",
             "store.users (test.toml) must be sqlite://PATH, memory:// or postgres://USER@HOST:PORT/DB."},
        Case{"[store]\nusers = \"memory://x\"",
             "store.users (test.toml) must be sqlite://PATH, memory:// or postgres://USER@HOST:PORT/DB."}}) {
    auto c = from_toml(toml);
    ASSERT_FALSE(c) << toml;
    EXPECT_EQ(c.error().code, ErrorCode::config_invalid);
    EXPECT_EQ(c.error().text(), "Config key " + std::string(text)) << toml;
  }
  auto pg = from_toml("[store]\nusers = \"postgres://cloakroom:pw@db.internal:5432/cloakroom?sslmode=verify-full\"");
  ASSERT_TRUE(pg) << pg.error().text();
  EXPECT_EQ(pg->store.users, "postgres://cloakroom:pw@db.internal:5432/cloakroom?sslmode=verify-full");
  auto ok = from_toml("[store]\nusers = \"memory://\"\nsessions = \"sqlite://x/y.db\"");
  ASSERT_TRUE(ok) << ok.error().text();
  EXPECT_EQ(ok->store.users, "memory://");
  EXPECT_EQ(ok->store.sessions, "sqlite://x/y.db");
}

// Broken TOML reports the line.
TEST(Config, SyntaxErrorNamesLine) {
  auto c = from_toml("listen = \"a:1\"\n[auth\n");
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().text().find("line 2"), std::string_view::npos) << c.error().text();
}

// flag > env > file > default.
TEST(Config, PrecedenceFlagEnvFile) {
  std::string path = ::testing::TempDir() + "/precedence.toml";
  std::ofstream(path) << "listen = \"127.0.0.1:1111\"\ndata_dir = \"/from-file\"\n[http]\nthreads = 3\n";
  ConfigSources src;
  src.file = path;
  src.env = {{"CLOAKROOM_LISTEN", "127.0.0.1:2222"}, {"CLOAKROOM_HTTP_THREADS", "4"}};
  auto c = load_config(src);
  ASSERT_TRUE(c) << c.error().text();
  EXPECT_EQ(c->listen, "127.0.0.1:2222");
  EXPECT_EQ(c->data_dir, "/from-file");
  EXPECT_EQ(c->http.threads, 4);
  src.flags["listen"] = "127.0.0.1:3333";
  src.flags["data_dir"] = "/from-flag";
  c = load_config(src);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->listen, "127.0.0.1:3333");
  EXPECT_EQ(c->store.users, "sqlite:///from-flag/cloakroom.db");
  std::remove(path.c_str());
}

// The store URLs take the same order (flag > env > file) from --store-users /
// --store-sessions, and `config check` says which flag or variable won,
// passwords masked.
TEST(Config, StoreUrlFlagsWinAndSayWhere) {
  std::string path = ::testing::TempDir() + "/store_flags.toml";
  std::ofstream(path) << "[store]\nusers = \"sqlite:///file/u.db\"\nsessions = \"sqlite:///file/s.db\"\n";
  ConfigSources src;
  src.file = path;
  src.env = {{"CLOAKROOM_STORE_USERS", "sqlite:///env/u.db"}};
  auto c = load_config(src);
  ASSERT_TRUE(c) << c.error().text();
  EXPECT_EQ(c->store.users, "sqlite:///env/u.db");
  EXPECT_EQ(c->store.sessions, "sqlite:///file/s.db");
  src.flags["store.users"] = "postgres://app:hunter2@127.0.0.1:5432/users";
  src.flags["store.sessions"] = "redis://:s3cret@127.0.0.1:6379/0";
  c = load_config(src);
  ASSERT_TRUE(c) << c.error().text();
  EXPECT_EQ(c->store.users, "postgres://app:hunter2@127.0.0.1:5432/users");
  EXPECT_EQ(c->store.sessions, "redis://:s3cret@127.0.0.1:6379/0");
  const std::string shown = config_effective_toml(*c);
  EXPECT_NE(shown.find("users = \"postgres://app:***@127.0.0.1:5432/users\"  # from flag --store-users\n"),
            std::string::npos) << shown;
  EXPECT_NE(shown.find("sessions = \"redis://:***@127.0.0.1:6379/0\"  # from flag --store-sessions\n"),
            std::string::npos) << shown;
  EXPECT_EQ(shown.find("hunter2"), std::string::npos);
  EXPECT_EQ(shown.find("s3cret"), std::string::npos);
  src.flags.erase("store.users");
  c = load_config(src);
  ASSERT_TRUE(c);
  EXPECT_NE(config_effective_toml(*c).find("users = \"sqlite:///env/u.db\"  # from environment variable "
                                           "CLOAKROOM_STORE_USERS\n"),
            std::string::npos);
  // A bad one is refused naming the flag, never quoting the URL.
  src.flags["store.users"] = "postgres://app:hunter2@h/db?nonsense=1";
  auto bad = load_config(src);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().text(), "Config key store.users (flag --store-users) is not a valid libpq connection URI "
                                "(invalid URI query parameter: \"nonsense\").");
  std::remove(path.c_str());
}

// Environment values are parsed per type; unknown CLOAKROOM_* names are errors.
TEST(Config, EnvironmentIsTypedAndStrict) {
  ConfigSources src;
  src.env = {{"CLOAKROOM_JWT_AUDIENCE", "a,b"}, {"CLOAKROOM_AUTH_REGISTRATION", "false"},
             {"CLOAKROOM_SESSION_IDLE_TIMEOUT", "2h"}};
  auto c = load_config(src);
  ASSERT_TRUE(c) << c.error().text();
  EXPECT_EQ(c->jwt.audience, (std::vector<std::string>{"a", "b"}));
  EXPECT_FALSE(c->auth.registration);
  src.env = {{"CLOAKROOM_HTTP_THREADZ", "2"}};
  auto bad = load_config(src);
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().text().find("CLOAKROOM_HTTP_THREADZ"), std::string_view::npos);
  src.env = {{"CLOAKROOM_HTTP_THREADS", "two"}};
  bad = load_config(src);
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().text().find("http.threads"), std::string_view::npos);
}

// A list in an environment variable: spaces after the commas are dropped and
// a TOML array pasted from a file is taken as it reads (the new user's
// CLOAKROOM_HTTP_TRUSTED_PROXIES="10.0.0.1, 10.0.0.2" kept " 10.0.0.2" and was refused).
TEST(Config, EnvironmentListsTakeSpacesAndTheTomlForm) {
  auto list = [](std::string text) -> std::vector<std::string> {
    auto c = load_config({.env = {{"CLOAKROOM_FORWARD_AUTH_ALLOWED_REDIRECT_DOMAINS", text}}});
    EXPECT_TRUE(c) << c.error().text();
    return c ? c->forward_auth.allowed_redirect_domains : std::vector<std::string>{"(refused)"};
  };
  const std::vector<std::string> ab{"a.example.com", ".b.example.com"};
  EXPECT_EQ(list("a.example.com,.b.example.com"), ab);
  EXPECT_EQ(list("a.example.com, .b.example.com"), ab);
  EXPECT_EQ(list("  a.example.com ,\t.b.example.com  "), ab);
  EXPECT_EQ(list("[\"a.example.com\",\".b.example.com\"]"), ab);
  EXPECT_EQ(list(" [ \"a.example.com\", '.b.example.com', ] "), ab);
  EXPECT_EQ(list(""), std::vector<std::string>{});
  EXPECT_EQ(list("[]"), std::vector<std::string>{});
  auto proxies = load_config({.env = {{"CLOAKROOM_HTTP_TRUSTED_PROXIES", "10.0.0.1, 10.0.0.0/8"}}});
  ASSERT_TRUE(proxies) << proxies.error().text();
  EXPECT_EQ(proxies->http.trusted_proxies, (std::vector<std::string>{"10.0.0.1", "10.0.0.0/8"}));
}

// A list the environment cannot spell says how to spell it: empty items and
// a broken [...] form, and a value its key refuses (space-separated here).
TEST(Config, EnvironmentListErrorsShowTheCommaSeparatedForm) {
  auto refused = [](std::string name, std::string text) {
    auto c = load_config({.env = {{name, text}}});
    return c ? std::string("(accepted)") : std::string(c.error().text());
  };
  EXPECT_EQ(refused("CLOAKROOM_JWT_AUDIENCE", "a,,b"),
            "Config key jwt.audience = \"a,,b\" (environment variable CLOAKROOM_JWT_AUDIENCE) must be a "
            "comma-separated list, e.g. CLOAKROOM_JWT_AUDIENCE=a,b (item 2 is empty).");
  EXPECT_EQ(refused("CLOAKROOM_JWT_AUDIENCE", "a,"),
            "Config key jwt.audience = \"a,\" (environment variable CLOAKROOM_JWT_AUDIENCE) must be a "
            "comma-separated list, e.g. CLOAKROOM_JWT_AUDIENCE=a,b (item 2 is empty).");
  EXPECT_EQ(refused("CLOAKROOM_JWT_AUDIENCE", "[a, b]"),
            "Config key jwt.audience = \"[a, b]\" (environment variable CLOAKROOM_JWT_AUDIENCE) must be a "
            "comma-separated list, e.g. CLOAKROOM_JWT_AUDIENCE=a,b (the [...] form needs quoted items like "
            "[\"a\", \"b\"]).");
  EXPECT_EQ(refused("CLOAKROOM_JWT_AUDIENCE", "[\"a\" \"b\"]"),
            "Config key jwt.audience = \"[\"a\" \"b\"]\" (environment variable CLOAKROOM_JWT_AUDIENCE) must be a "
            "comma-separated list, e.g. CLOAKROOM_JWT_AUDIENCE=a,b (items in the [...] form are separated by "
            "commas).");
  EXPECT_EQ(refused("CLOAKROOM_JWT_AUDIENCE", "[\"a\"] x"),
            "Config key jwt.audience = \"[\"a\"] x\" (environment variable CLOAKROOM_JWT_AUDIENCE) must be a "
            "comma-separated list, e.g. CLOAKROOM_JWT_AUDIENCE=a,b (there is text after the closing ]).");
  EXPECT_EQ(refused("CLOAKROOM_HTTP_TRUSTED_PROXIES", "10.0.0.1 10.0.0.2"),
            "Config key http.trusted_proxies = \"10.0.0.1 10.0.0.2\" (environment variable "
            "CLOAKROOM_HTTP_TRUSTED_PROXIES) must list IP addresses or CIDR blocks; \"10.0.0.1 10.0.0.2\" is not "
            "an IP address or a CIDR block like \"10.0.0.0/8\"; the environment takes a comma-separated list, e.g. "
            "CLOAKROOM_HTTP_TRUSTED_PROXIES=a,b.");
  // The file's own arrays keep their message: no environment example there.
  EXPECT_EQ(from_toml("[jwt]\naudience = []").error().text(),
            "Config key jwt.audience = [] (test.toml) must be a non-empty string or list of non-empty strings.");
}

// A timeout another key bounds is taken, but not silently: each one not in
// force as given is a warning naming the key, the value given and the value
// used (the new user's remember_idle_timeout = "10m" quietly became 30m).
TEST(Config, ClampedTimeoutsAreWarnings) {
  // Through load_config, which fills the warnings (from_toml stops before).
  auto warnings = [](std::vector<std::pair<std::string, std::string>> env) {
    auto c = load_config({.env = std::move(env)});
    EXPECT_TRUE(c) << c.error().text();
    std::vector<std::string> out;
    if (c)
      for (const auto& w : c->warnings) out.push_back(w.sentence());
    return out;
  };
  EXPECT_EQ(warnings({}), std::vector<std::string>{});
  EXPECT_EQ(warnings({{"CLOAKROOM_SESSION_REMEMBER_IDLE_TIMEOUT", "10m"}}),
            std::vector<std::string>{"session.remember_idle_timeout = \"10m\" is used as \"30m\": it is shorter than "
                                     "session.idle_timeout (a remembered session never ends sooner than another)."});
  EXPECT_EQ(warnings({{"CLOAKROOM_SESSION_REMEMBER_IDLE_TIMEOUT", "30d"}}),
            std::vector<std::string>{"session.remember_idle_timeout = \"30d\" is used as \"7d\": it is longer than "
                                     "session.absolute_timeout, which ends every session first."});
  EXPECT_EQ(warnings({{"CLOAKROOM_SESSION_IDLE_TIMEOUT", "2d"}, {"CLOAKROOM_SESSION_ABSOLUTE_TIMEOUT", "1d"},
                      {"CLOAKROOM_SESSION_REMEMBER_IDLE_TIMEOUT", "2d"}}),
            std::vector<std::string>{"session.idle_timeout = \"2d\" is used as \"1d\": it is longer than "
                                     "session.absolute_timeout, which ends every session first."});
  auto c = load_config({.env = {{"CLOAKROOM_SESSION_REMEMBER_IDLE_TIMEOUT", "1m"}}});
  ASSERT_TRUE(c) << c.error().text();
  ASSERT_EQ(c->warnings.size(), 1u);
  EXPECT_EQ(c->warnings[0].key, "session.remember_idle_timeout");
  EXPECT_EQ(c->warnings[0].given, "1m");
  EXPECT_EQ(c->warnings[0].used, "30m");
  EXPECT_EQ(remember_idle_in_force(*c), Millis(30 * 60'000));
}

// http.trusted_proxies takes CIDR blocks beside single addresses; a block
// with bits past its prefix is refused with the two things it could mean.
TEST(Config, TrustedProxiesTakeCidrBlocks) {
  auto c = from_toml("[http]\ntrusted_proxies = [\"127.0.0.1\", \"172.16.0.0/12\", \"fd00::/8\"]");
  ASSERT_TRUE(c) << c.error().text();
  EXPECT_EQ(c->http.trusted_proxies, (std::vector<std::string>{"127.0.0.1", "172.16.0.0/12", "fd00::/8"}));
  auto env = load_config({.env = {{"CLOAKROOM_HTTP_TRUSTED_PROXIES", "10.0.0.0/8,::1"}}});
  ASSERT_TRUE(env) << env.error().text();
  EXPECT_EQ(env->http.trusted_proxies, (std::vector<std::string>{"10.0.0.0/8", "::1"}));
  EXPECT_EQ(from_toml("[http]\ntrusted_proxies = [\"10.0.0.1/8\"]").error().text(),
            "Config key http.trusted_proxies = [\"10.0.0.1/8\"] (test.toml) must list IP addresses or CIDR blocks; "
            "\"10.0.0.1/8\" has bits set past its /8 prefix: write \"10.0.0.0/8\" for the block or \"10.0.0.1\" for "
            "one address.");
  EXPECT_EQ(from_toml("[http]\ntrusted_proxies = [\"nginx\"]").error().text(),
            "Config key http.trusted_proxies = [\"nginx\"] (test.toml) must list IP addresses or CIDR blocks; "
            "\"nginx\" is not an IP address or a CIDR block like \"10.0.0.0/8\".");
}

// A /0 trusts every peer's X-Forwarded-For, so any client could pick the
// address its throttles count under: refused at load, IPv4 and IPv6 alike.
TEST(Config, TrustedProxiesRefuseEveryAddress) {
  EXPECT_EQ(from_toml("[http]\ntrusted_proxies = [\"127.0.0.1\", \"0.0.0.0/0\"]").error().text(),
            "Config key http.trusted_proxies = [\"127.0.0.1\", \"0.0.0.0/0\"] (test.toml) must not hold "
            "\"0.0.0.0/0\", which trusts every client to name its own address; list the proxies' addresses or "
            "their network.");
  auto env = load_config({.env = {{"CLOAKROOM_HTTP_TRUSTED_PROXIES", "::/0"}}});
  ASSERT_FALSE(env);
  EXPECT_EQ(env.error().code, ErrorCode::config_invalid);
  EXPECT_NE(env.error().text().find("must not hold \"::/0\""), std::string_view::npos) << env.error().text();
  EXPECT_TRUE(from_toml("[http]\ntrusted_proxies = [\"0.0.0.0/1\"]"));  // wide, but only warned about
}

// Not set, public_url follows listen (the issue: `serve --listen
// 127.0.0.1:19200` kept http://127.0.0.1:8080 and every sign-in got 403); a
// wildcard listen gives the loopback address with its port. The issuer
// stays fixed, so servers on other ports and CLI commands agree on it.
TEST(Config, PublicUrlIsDerivedFromListenWhenNotSet) {
  struct Case { std::string listen, url; };
  for (const auto& [listen, url] : {Case{"127.0.0.1:19200", "http://127.0.0.1:19200"},
                                    Case{"0.0.0.0:8080", "http://127.0.0.1:8080"},
                                    Case{"[::]:8080", "http://127.0.0.1:8080"},
                                    Case{"[::1]:9000", "http://[::1]:9000"},
                                    Case{"localhost:80", "http://localhost"},
                                    Case{"192.0.2.10:8080", "http://192.0.2.10:8080"},
                                    Case{"127.0.0.1:0", "http://127.0.0.1:0"}}) {
    auto c = load_config({.flags = {{"listen", listen}}});
    ASSERT_TRUE(c) << listen << ": " << c.error().text();
    EXPECT_EQ(c->public_url, url) << listen;
    EXPECT_TRUE(c->public_url_derived) << listen;
    EXPECT_EQ(c->jwt.issuer, "http://127.0.0.1:8080") << listen;
  }
  // Set (here by the --public-url flag), it is used as it is, and is the issuer.
  auto set = load_config({.flags = {{"listen", "0.0.0.0:8080"}, {"public_url", "https://auth.example.com"}}});
  ASSERT_TRUE(set) << set.error().text();
  EXPECT_EQ(set->public_url, "https://auth.example.com");
  EXPECT_FALSE(set->public_url_derived);
  EXPECT_EQ(set->jwt.issuer, "https://auth.example.com");
  EXPECT_EQ(load_config({.flags = {{"public_url", "auth.example.com"}}}).error().text(),
            "Config key public_url = \"auth.example.com\" (flag --public-url) must be an http:// or https:// URL.");
}

// public_url as a browser's address bar shows it, with a trailing "/", is
// the same origin; anything after it is still refused.
TEST(Config, PublicUrlDropsATrailingSlash) {
  auto c = load_config({.env = {{"CLOAKROOM_PUBLIC_URL", "https://auth.example.com/"}}});
  ASSERT_TRUE(c) << c.error().text();
  EXPECT_EQ(c->public_url, "https://auth.example.com");
  EXPECT_EQ(c->jwt.issuer, "https://auth.example.com");
  auto toml = from_toml("public_url = \"http://127.0.0.1:8080/\"");
  ASSERT_TRUE(toml) << toml.error().text();
  EXPECT_EQ(toml->public_url, "http://127.0.0.1:8080");
}

// Enumerated values are matched in any letter case (same_site = "lax"),
// and shown in their documented spelling.
TEST(Config, EnumValuesInAnyCase) {
  for (const auto& [text, want] : {std::pair{"lax", SameSite::lax}, std::pair{"STRICT", SameSite::strict},
                                   std::pair{"Lax", SameSite::lax}}) {
    auto c = from_toml("[cookie]\nsame_site = \"" + std::string(text) + "\"");
    ASSERT_TRUE(c) << text << ": " << c.error().text();
    EXPECT_EQ(c->cookie.same_site, want) << text;
  }
  auto none = load_config({.env = {{"CLOAKROOM_COOKIE_SAME_SITE", "none"}}});
  ASSERT_TRUE(none) << none.error().text();
  EXPECT_EQ(none->cookie.same_site, SameSite::none);
  auto deny = from_toml("[access]\ndefault = \"Deny\"");
  ASSERT_TRUE(deny) << deny.error().text();
  EXPECT_TRUE(deny->access.deny_unmatched);
  auto flag = load_config({.env = {{"CLOAKROOM_AUTH_REGISTRATION", "FALSE"}}});
  ASSERT_TRUE(flag) << flag.error().text();
  EXPECT_FALSE(flag->auth.registration);
  EXPECT_EQ(from_toml("[cookie]\nsame_site = \"loose\"").error().text(),
            "Config key cookie.same_site = \"loose\" (test.toml) must be Strict, Lax or None.");
}

// SameSite=None without Secure is refused (browsers drop such cookies).
TEST(Config, SameSiteNoneNeedsSecure) {
  ConfigSources src;
  src.env = {{"CLOAKROOM_COOKIE_SAME_SITE", "None"}, {"CLOAKROOM_COOKIE_SECURE", "false"}};
  EXPECT_FALSE(load_config(src));
}

// store.redis_wait_replicas waits on Redis replicas: with another session
// store it would silently do nothing, so it is refused; its timeout must
// be positive (WAIT 0 would wait forever) and at most 5 s.
TEST(Config, RedisWaitNeedsRedisAndABoundedTimeout) {
  auto with = [](std::vector<std::pair<std::string, std::string>> env) { return load_config({.env = std::move(env)}); };
  auto ok = with({{"CLOAKROOM_STORE_SESSIONS", "redis://127.0.0.1:6379/0"},
                  {"CLOAKROOM_STORE_REDIS_WAIT_REPLICAS", "1"},
                  {"CLOAKROOM_STORE_REDIS_WAIT_TIMEOUT", "250ms"}});
  ASSERT_TRUE(ok) << ok.error().text();
  EXPECT_EQ(ok->store.redis_wait_replicas, 1);
  EXPECT_EQ(ok->store.redis_wait_timeout, Millis(250));
  EXPECT_EQ(with({{"CLOAKROOM_STORE_REDIS_WAIT_REPLICAS", "1"}}).error().text(),
            "Config key store.redis_wait_replicas = 1 applies to a redis:// store.sessions only (0 elsewhere).");
  EXPECT_EQ(with({{"CLOAKROOM_STORE_REDIS_WAIT_TIMEOUT", "0s"}}).error().text(),
            "Config key store.redis_wait_timeout = \"0s\" (environment variable CLOAKROOM_STORE_REDIS_WAIT_TIMEOUT) "
            "must be longer than zero.");
  EXPECT_EQ(with({{"CLOAKROOM_STORE_REDIS_WAIT_TIMEOUT", "6s"}}).error().text(),
            "Config key store.redis_wait_timeout = \"6s\" (environment variable CLOAKROOM_STORE_REDIS_WAIT_TIMEOUT) "
            "must be at most 5s.");
}

// A missing config file is an error, not silently ignored.
TEST(Config, MissingFileIsAnError) {
  ConfigSources src;
  src.file = "/nonexistent/cloakroom.toml";
  auto c = load_config(src);
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().text(), "Cannot read the config file /nonexistent/cloakroom.toml: No such file or directory.");
}

// A bad value is one sentence: the key, the value given (quoted, cut at 60
// characters, a URL's password masked, a secret never shown) and what is allowed.
TEST(Config, BadValuesAreEchoedInOneSentence) {
  EXPECT_EQ(from_toml("[session]\nidle_timeout = \"5 minutes\"").error().text(),
            "Config key session.idle_timeout = \"5 minutes\" (test.toml) must be a duration under 100 years: a whole "
            "number with a unit ms, s, m, h or d, like \"15m\".");
  EXPECT_EQ(from_toml("[auth]\npassword_min = 2000").error().text(),
            "Config key auth.password_min = 2000 (test.toml) must be between 1 and 1024.");
  EXPECT_EQ(from_toml("[auth]\nregistration = \"yes\"").error().text(),
            "Config key auth.registration = \"yes\" (test.toml) must be true or false.");
  EXPECT_EQ(from_toml("listen = \"" + std::string(100, 'x') + "\"").error().text(),
            "Config key listen = \"" + std::string(57, 'x') + "...\" (test.toml) must be HOST:PORT, like 127.0.0.1:8080.");
  // Store URLs may hold a password (perhaps where masking would miss it): not echoed.
  const std::string url(from_toml("[store]\nusers = \"redis://u:hunter2@h:6379/0\"").error().text());
  EXPECT_TRUE(url.starts_with("Config key store.users (test.toml) names a backend")) << url;
  EXPECT_EQ(url.find("hunter2"), std::string::npos) << url;
  EXPECT_EQ(from_toml("[jwt]\naudience = [\"a\", \"\"]").error().text(),
            "Config key jwt.audience = [\"a\", \"\"] (test.toml) must be a non-empty string or list of non-empty "
            "strings.");
  auto secret = load_config({.env = {{"CLOAKROOM_JWT_KEY_ENCRYPTION_KEY", "hunter2"}}});
  ASSERT_FALSE(secret);
  EXPECT_EQ(secret.error().text().find("hunter2"), std::string::npos) << secret.error().text();
  EXPECT_TRUE(secret.error().text().starts_with("Config key jwt.key_encryption_key (environment variable "))
      << secret.error().text();
}

// The docs table lists every key with its env name.
TEST(Config, ReferenceListsKeys) {
  std::string md = config_reference_markdown();
  EXPECT_NE(md.find("`session.idle_timeout` | `CLOAKROOM_SESSION_IDLE_TIMEOUT`"), std::string::npos);
  EXPECT_NE(md.find("`listen` | `CLOAKROOM_LISTEN`"), std::string::npos);
}

constexpr const char* kKek = "q83vEjRWeJCrze8SNFZ4kKvN7xI0VniQq83vEjRWeJA";
constexpr const char* kHowToMake = "(make one with: head -c32 /dev/urandom | basenc --base64url)";

// The key-encryption key from CLOAKROOM_JWT_KEY_ENCRYPTION_KEY: checked at
// load (one sentence naming the variable, never its value), and never
// accepted from the config file.
TEST(Config, KeyEncryptionKeyFromTheEnvironmentOnly) {
  ConfigSources src;
  src.env = {{"CLOAKROOM_JWT_KEY_ENCRYPTION_KEY", kKek}};
  auto c = load_config(src);
  ASSERT_TRUE(c) << c.error().text();
  EXPECT_EQ(c->jwt.key_encryption_key, kKek);

  src.env = {{"CLOAKROOM_JWT_KEY_ENCRYPTION_KEY", "c2hvcnQta2V5LTE2Ynl0ZQ"}};
  auto short_key = load_config(src);
  ASSERT_FALSE(short_key);
  EXPECT_EQ(short_key.error().code, ErrorCode::config_invalid);
  EXPECT_EQ(short_key.error().text(),
            "Config key jwt.key_encryption_key (environment variable CLOAKROOM_JWT_KEY_ENCRYPTION_KEY) must be 32 "
            "random bytes in base64url, but it decodes to 16 bytes " + std::string(kHowToMake) + ".");
  src.env = {{"CLOAKROOM_JWT_KEY_ENCRYPTION_KEY", "not base64url!"}};
  auto garbage = load_config(src);
  ASSERT_FALSE(garbage);
  EXPECT_NE(garbage.error().text().find("but it is not base64url"), std::string_view::npos);
  EXPECT_EQ(garbage.error().text().find("not base64url!"), std::string_view::npos);  // never echoed

  auto in_file = from_toml(std::string("[jwt]\nkey_encryption_key = \"") + kKek + "\"\n");
  ASSERT_FALSE(in_file);
  EXPECT_EQ(in_file.error().text(),
            "Config key jwt.key_encryption_key (test.toml) is a secret and is read from the environment only: set "
            "CLOAKROOM_JWT_KEY_ENCRYPTION_KEY or point jwt.key_encryption_key_file at a file.");
  EXPECT_EQ(in_file.error().text().find(kKek), std::string_view::npos);
}

// jwt.key_encryption_key_file: read at load, its final newline ignored;
// refused when missing, readable by others, malformed, or set together with
// the environment variable. Each refusal is one sentence without the key.
TEST(Config, KeyEncryptionKeyFile) {
  const std::string path = ::testing::TempDir() + "/kek-" + std::to_string(::getpid());
  auto write = [&](const std::string& text, mode_t mode) {
    std::ofstream(path, std::ios::trunc) << text;
    ::chmod(path.c_str(), mode);
  };
  ConfigSources src;
  src.env = {{"CLOAKROOM_JWT_KEY_ENCRYPTION_KEY_FILE", path}};
  write(std::string(kKek) + "=\n", 0600);  // as basenc --base64url writes it
  auto c = load_config(src);
  ASSERT_TRUE(c) << c.error().text();
  EXPECT_EQ(c->jwt.key_encryption_key, std::string(kKek) + "=\n");

  write(std::string(kKek) + "\n", 0644);
  auto readable = load_config(src);
  ASSERT_FALSE(readable);
  EXPECT_EQ(readable.error().text(), "The key-encryption key file " + path +
                                         " (jwt.key_encryption_key_file) is readable by other users; run chmod 600 on it.");

  write("c2hvcnQta2V5LTE2Ynl0ZQ\n", 0600);
  auto short_key = load_config(src);
  ASSERT_FALSE(short_key);
  EXPECT_EQ(short_key.error().text(), "The key-encryption key in " + path +
                                          " (jwt.key_encryption_key_file) must be 32 random bytes in base64url, but it "
                                          "decodes to 16 bytes " + std::string(kHowToMake) + ".");

  write(kKek, 0600);
  src.env.emplace_back("CLOAKROOM_JWT_KEY_ENCRYPTION_KEY", kKek);
  auto both = load_config(src);
  ASSERT_FALSE(both);
  EXPECT_EQ(both.error().text(),
            "Set the key-encryption key once: CLOAKROOM_JWT_KEY_ENCRYPTION_KEY or jwt.key_encryption_key_file, not both.");

  std::remove(path.c_str());
  src.env = {{"CLOAKROOM_JWT_KEY_ENCRYPTION_KEY_FILE", path}};
  auto missing = load_config(src);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().text(), "The key-encryption key file " + path +
                                         " (jwt.key_encryption_key_file) cannot be read: No such file or directory.");
}

// The previous key-encryption key (a KEK rotation) goes through the same
// loader: from its own file (the same 0600 and format checks, naming its own
// key) or its own environment variable, once; never without a current key.
TEST(Config, PreviousKeyEncryptionKey) {
  constexpr const char* kOld = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8";
  const std::string path = ::testing::TempDir() + "/old-kek-" + std::to_string(::getpid());
  auto write = [&](const std::string& text, mode_t mode) {
    std::ofstream(path, std::ios::trunc) << text;
    ::chmod(path.c_str(), mode);
  };
  ConfigSources src;
  src.env = {{"CLOAKROOM_JWT_KEY_ENCRYPTION_KEY", kKek}, {"CLOAKROOM_JWT_PREVIOUS_KEY_ENCRYPTION_KEY_FILE", path}};
  write(std::string(kOld) + "\n", 0600);
  auto c = load_config(src);
  ASSERT_TRUE(c) << c.error().text();
  EXPECT_EQ(c->jwt.key_encryption_key, kKek);
  EXPECT_EQ(c->jwt.previous_key_encryption_key, std::string(kOld) + "\n");

  write(kOld, 0640);
  auto readable = load_config(src);
  ASSERT_FALSE(readable);
  EXPECT_EQ(readable.error().text(), "The previous key-encryption key file " + path +
                                         " (jwt.previous_key_encryption_key_file) is readable by other users; run "
                                         "chmod 600 on it.");
  write("c2hvcnQta2V5LTE2Ynl0ZQ", 0600);
  auto short_key = load_config(src);
  ASSERT_FALSE(short_key);
  EXPECT_EQ(short_key.error().text(), "The previous key-encryption key in " + path +
                                          " (jwt.previous_key_encryption_key_file) must be 32 random bytes in "
                                          "base64url, but it decodes to 16 bytes " + std::string(kHowToMake) + ".");
  write(kOld, 0600);
  src.env.emplace_back("CLOAKROOM_JWT_PREVIOUS_KEY_ENCRYPTION_KEY", kOld);
  auto both = load_config(src);
  ASSERT_FALSE(both);
  EXPECT_EQ(both.error().text(), "Set the previous key-encryption key once: CLOAKROOM_JWT_PREVIOUS_KEY_ENCRYPTION_KEY "
                                 "or jwt.previous_key_encryption_key_file, not both.");
  std::remove(path.c_str());

  src.env = {{"CLOAKROOM_JWT_KEY_ENCRYPTION_KEY", kKek}, {"CLOAKROOM_JWT_PREVIOUS_KEY_ENCRYPTION_KEY", kOld}};
  auto from_env = load_config(src);
  ASSERT_TRUE(from_env) << from_env.error().text();
  EXPECT_EQ(from_env->jwt.previous_key_encryption_key, kOld);

  src.env = {{"CLOAKROOM_JWT_PREVIOUS_KEY_ENCRYPTION_KEY", kOld}};
  auto alone = load_config(src);
  ASSERT_FALSE(alone);
  EXPECT_EQ(alone.error().text(),
            "A previous key-encryption key is set without a current one: set jwt.key_encryption_key_file or "
            "CLOAKROOM_JWT_KEY_ENCRYPTION_KEY to the key that seals from now on.");

  auto in_file = from_toml(std::string("[jwt]\nprevious_key_encryption_key = \"") + kOld + "\"\n");
  ASSERT_FALSE(in_file);
  EXPECT_EQ(in_file.error().text(),
            "Config key jwt.previous_key_encryption_key (test.toml) is a secret and is read from the environment "
            "only: set CLOAKROOM_JWT_PREVIOUS_KEY_ENCRYPTION_KEY or point jwt.previous_key_encryption_key_file at a "
            "file.");
}

// jwt.key_encryption_key_file inside the data dir is refused (one sentence),
// however either path is spelled: a trailing "/", "..", a symlinked data dir.
// A sibling directory sharing the data dir's name as a prefix is outside.
TEST(Config, KeyEncryptionKeyFileInsideTheDataDirIsRefused) {
  namespace fs = std::filesystem;
  const fs::path root = fs::path(::testing::TempDir()) / ("kek-dir-" + std::to_string(::getpid()));
  fs::remove_all(root);
  fs::create_directories(root / "data" / "sub");
  fs::create_directories(root / "data2");
  fs::create_directory_symlink(root / "data", root / "link");
  auto write = [](const fs::path& p) {
    std::ofstream(p, std::ios::trunc) << kKek;
    ::chmod(p.c_str(), 0600);
  };
  auto load = [](const std::string& key_file, const std::string& data_dir) {
    ConfigSources src;
    src.env = {{"CLOAKROOM_JWT_KEY_ENCRYPTION_KEY_FILE", key_file}};
    src.flags["data_dir"] = data_dir;
    return load_config(src);
  };
  const std::string data = (root / "data").string();
  for (const auto& [key_file, data_dir] : std::vector<std::pair<std::string, std::string>>{
           {data + "/kek", data},
           {data + "/sub/kek", data + "/"},
           {data + "/kek", (root / "data2" / ".." / "data").string()},
           {(root / "link" / "kek").string(), data},
           {data + "/kek", (root / "link").string()}}) {
    write(key_file);
    auto c = load(key_file, data_dir);
    ASSERT_FALSE(c) << key_file << " in " << data_dir;
    EXPECT_EQ(c.error().code, ErrorCode::config_invalid);
    EXPECT_EQ(c.error().text(), "The key-encryption key file " + key_file +
                                    " (jwt.key_encryption_key_file) is inside the data dir " + data_dir +
                                    "; keep it outside, so a copy of the data never carries the key that opens it.");
  }
  write(root / "data2" / "kek");
  auto sibling = load((root / "data2" / "kek").string(), data);
  ASSERT_TRUE(sibling) << sibling.error().text();
  auto not_yet_created = load((root / "data2" / "kek").string(), (root / "new-data").string());
  ASSERT_TRUE(not_yet_created) << not_yet_created.error().text();
  fs::remove_all(root);
}

}  // namespace
}  // namespace cloakroom

namespace cloakroom {
namespace {

// `config check` prints what serve would run with, but never a password.
TEST(Config, EffectiveSettingsMaskPasswords) {
  Config c;
  ASSERT_TRUE(apply_toml(c, "[store]\nusers = \"postgres://app:hunter2@127.0.0.1:5432/users\"\n"
                            "sessions = \"redis://:s3cret@127.0.0.1:6379/0\"\n[session]\nidle_timeout = \"45m\"\n",
                         "test.toml"));
  const std::string shown = config_effective_toml(c);
  EXPECT_NE(shown.find("users = \"postgres://app:***@127.0.0.1:5432/users\""), std::string::npos) << shown;
  EXPECT_NE(shown.find("sessions = \"redis://:***@127.0.0.1:6379/0\""), std::string::npos) << shown;
  EXPECT_EQ(shown.find("hunter2"), std::string::npos);
  EXPECT_EQ(shown.find("s3cret"), std::string::npos);
  EXPECT_NE(shown.find("[session]\nidle_timeout = \"45m\""), std::string::npos) << shown;
  EXPECT_NE(shown.find("# key_encryption_key: "), std::string::npos);  // said set or not, never shown
  // libpq's password parameters and a Redis password holding an '@' are masked too.
  Config q;
  ASSERT_TRUE(apply_toml(q, "[store]\nusers = \"postgres://u@db/cl?sslmode=require&password=S3cretPG\"\n"
                            "sessions = \"redis://:p@ss@cache:6379/0\"\n", "test.toml"));
  const std::string masked = config_effective_toml(q);
  EXPECT_NE(masked.find("users = \"postgres://u@db/cl?sslmode=require&password=***\""), std::string::npos) << masked;
  EXPECT_NE(masked.find("sessions = \"redis://:***@cache:6379/0\""), std::string::npos) << masked;
  EXPECT_EQ(masked.find("S3cretPG"), std::string::npos);
}

// With the users in PostgreSQL the signing keys are kept there: jwt.keys is
// shown, but said not to be used; with SQLite users it is shown plain.
TEST(Config, EffectiveSettingsSayJwtKeysUnusedWithPostgresUsers) {
  Config c;
  ASSERT_TRUE(apply_toml(c, "[store]\nusers = \"postgres://app@127.0.0.1:5432/users\"\n[jwt]\nkeys = \"/d/keys.jwks.json\"\n",
                         "test.toml"));
  EXPECT_NE(config_effective_toml(c).find("keys = \"/d/keys.jwks.json\"  # not used: the signing keys are in PostgreSQL\n"),
            std::string::npos)
      << config_effective_toml(c);
  Config s;
  ASSERT_TRUE(apply_toml(s, "[jwt]\nkeys = \"/d/keys.jwks.json\"\n", "test.toml"));
  EXPECT_EQ(config_effective_toml(s).find("not used"), std::string::npos) << config_effective_toml(s);
}

// A password holding '?', '#', '@', '/' or %40 is masked whole in what
// `config check` prints; a PostgreSQL one with an unescaped '@' or '/' (which
// libpq would misread) is refused without echoing it.
TEST(Config, EffectiveSettingsMaskPasswordsWithUrlCharacters) {
  for (const char* users : {"postgres://bob:s3cr?et@127.0.0.1:1/db", "postgres://bob:s3cr#et@127.0.0.1:1/db",
                            "postgres://bob:s3cr%40et@127.0.0.1:1/db"}) {
    Config c;
    ASSERT_TRUE(apply_toml(c, "[store]\nusers = \"" + std::string(users) + "\"\n", "test.toml")) << users;
    const std::string shown = config_effective_toml(c);
    EXPECT_NE(shown.find("users = \"postgres://bob:***@127.0.0.1:1/db\""), std::string::npos) << shown;
    EXPECT_EQ(shown.find("s3cr"), std::string::npos) << shown;
  }
  for (const char* sessions : {"redis://:s3cr?et@127.0.0.1:1/0", "redis://:s3cr#et@127.0.0.1:1/0",
                               "redis://:s3cr/et@127.0.0.1:1/0", "redis://:s3cr@et@127.0.0.1:1/0"}) {
    Config c;
    ASSERT_TRUE(apply_toml(c, "[store]\nsessions = \"" + std::string(sessions) + "\"\n", "test.toml")) << sessions;
    const std::string shown = config_effective_toml(c);
    EXPECT_NE(shown.find("sessions = \"redis://:***@127.0.0.1:1/0\""), std::string::npos) << shown;
    EXPECT_EQ(shown.find("s3cr"), std::string::npos) << shown;
  }
  for (const char* users : {"postgres://bob:s3cr/et@127.0.0.1:1/db", "postgres://bob:s3cr@et@127.0.0.1:1/db"}) {
    Config c;
    auto applied = apply_toml(c, "[store]\nusers = \"" + std::string(users) + "\"\n", "test.toml");
    ASSERT_FALSE(applied) << users;
    EXPECT_EQ(applied.error().text().find("s3cr"), std::string::npos) << applied.error().text();
    EXPECT_NE(applied.error().text().find("write them as %40 and %2F"), std::string::npos) << applied.error().text();
  }
}

// The example parses as TOML and changes nothing: every key is commented out at its default.
TEST(Config, ExampleIsTheDefaults) {
  Config c;
  ASSERT_TRUE(apply_toml(c, config_example_toml(), "example.toml"));
  EXPECT_EQ(config_effective_toml(c), config_effective_toml(Config{}));
  // Uncommenting every assignment gives the defaults too.
  std::string uncommented;
  std::istringstream lines(config_example_toml());
  for (std::string line; std::getline(lines, line);) {
    if (line.starts_with("#") && line.find(" = ") != std::string::npos && line[1] != ' ' &&
        line.find("\"...\"") == std::string::npos && line.find("= \"\"") == std::string::npos)
      line = line.substr(1);
    uncommented += line + "\n";
  }
  Config u;
  auto applied = apply_toml(u, uncommented, "uncommented.toml");
  ASSERT_TRUE(applied) << applied.error().text();
  EXPECT_EQ(config_effective_toml(u), config_effective_toml(Config{}));
}

}  // namespace
}  // namespace cloakroom
