#include "store/store_url.h"

#include "core/log.h"

#include <sys/stat.h>

#include <filesystem>
#include <map>
#include <type_traits>
#include <vector>

#include "store/memory/challenge_store.h"
#include "store/memory/change_feed.h"
#include "store/memory/session_store.h"
#include "store/memory/throttle_store.h"
#include "store/memory/token_store.h"
#include "store/memory/user_store.h"
#include "store/postgres/change_feed.h"
#include "store/postgres/database.h"
#include "store/postgres/key_store.h"
#include "store/postgres/user_store.h"
#include "store/redis/challenge_store.h"
#include "store/redis/change_feed.h"
#include "store/redis/server_check.h"
#include "store/redis/session_store.h"
#include "store/redis/throttle_store.h"
#include "store/redis/token_store.h"
#include "store/sqlite/challenge_store.h"
#include "store/sqlite/change_feed.h"
#include "store/sqlite/database.h"
#include "store/sqlite/session_store.h"
#include "store/sqlite/token_store.h"
#include "store/sqlite/user_store.h"

namespace cloakroom {
namespace {

namespace fs = std::filesystem;

// What the backends of one open_stores call share, under a key each backend
// chooses: a sqlite:// file that both URLs name is one connection.
using Shared = std::map<std::string, std::shared_ptr<void>>;

struct OpenArgs {
  std::string_view url;   // the whole URL
  std::string_view rest;  // the URL after its scheme
  const StoreUrls& urls;
  Shared& shared;
  const std::shared_ptr<StoreCounters>& counters;
};

// The stores one URL gives, by the documented pairing.
struct UserSide {
  std::unique_ptr<UserStore> users;
  std::shared_ptr<ChangeFeed> feed;
  std::shared_ptr<KeyStore> keys = nullptr;  // a shared store keeps the signing keys too
};
struct SessionSide {
  std::unique_ptr<SessionStore> sessions;
  std::unique_ptr<TokenStore> tokens;
  std::shared_ptr<ChangeFeed> feed;
  std::shared_ptr<NodeRegistry> nodes;
  std::unique_ptr<ThrottleStore> throttles;
  std::unique_ptr<ChallengeStore> challenges;
};

struct Backend {
  std::string_view scheme;  // "sqlite://"
  std::string_view form;    // how messages show its URLs: "sqlite://PATH"
  bool takes_rest;          // something must follow the scheme (sqlite's path); else nothing may
  // Null: the backend does not hold that side in this build.
  Result<UserSide> (*open_users)(const OpenArgs&);
  Result<SessionSide> (*open_sessions)(const OpenArgs&);
  // Null: any rest will do until open; else config refuses a malformed one
  // early (a phrase, as the messages here; never quoting the URL).
  Result<void> (*check)(std::string_view url) = nullptr;
  // The rest is a file path, which opening creates when it is missing.
  bool file = false;

  bool opens(StoreSlot slot) const { return slot == StoreSlot::users ? open_users != nullptr : open_sessions != nullptr; }
};

// The object stored under `key` in the shared map, made by `make` the first time.
template <class T, class Make>
auto shared_of(Shared& shared, const std::string& key, Make&& make) -> Result<std::shared_ptr<T>> {
  std::shared_ptr<void>& handle = shared[key];
  if (handle) return std::static_pointer_cast<T>(handle);
  Result<std::shared_ptr<T>> made = make();
  if (made) handle = *made;
  return made;
}

// What one sqlite:// file gives every store: the stores' connection, and the
// feed and registry on a second connection of their own (see sqlite/change_feed.h).
struct SqliteFile {
  std::shared_ptr<sqlite::Database> db;
  std::shared_ptr<sqlite::ChangeFeed> feed;
  std::shared_ptr<sqlite::NodeRegistry> nodes;
};

// Creates the file's directory (0700 when it is the data dir) and opens one connection.
Result<std::shared_ptr<sqlite::Database>> open_sqlite_db(const OpenArgs& a) {
  const std::string path(a.rest);
  std::error_code ec;
  fs::path parent = fs::path(path).parent_path();
  if (!parent.empty()) {
    fs::create_directories(parent, ec);
    if (ec) return Error{ErrorCode::io_error, "Cannot create the directory " + parent.string() + ": " + ec.message() + "."};
    // Why: the directory holds password hashes and private keys.
    if (fs::weakly_canonical(parent, ec) == fs::weakly_canonical(a.urls.data_dir, ec)) ::chmod(parent.c_str(), 0700);
  }
  return sqlite::Database::open(path);
}

// Opens (once per distinct file) what a sqlite:// URL names.
Result<std::shared_ptr<SqliteFile>> open_sqlite(const OpenArgs& a) {
  std::error_code ec;
  const std::string key = "sqlite:" + fs::weakly_canonical(std::string(a.rest), ec).string();
  return shared_of<SqliteFile>(a.shared, key, [&]() -> Result<std::shared_ptr<SqliteFile>> {
    auto db = open_sqlite_db(a);
    if (!db) return db.error();
    auto follower = sqlite::Database::open(std::string(a.rest));
    if (!follower) return follower.error();
    return std::make_shared<SqliteFile>(SqliteFile{*db, std::make_shared<sqlite::ChangeFeed>(*follower),
                                                   std::make_shared<sqlite::NodeRegistry>(*follower)});
  });
}

struct MemoryFeed {
  std::shared_ptr<memory::ChangeFeed> feed = std::make_shared<memory::ChangeFeed>();
  std::shared_ptr<memory::NodeRegistry> nodes = std::make_shared<memory::NodeRegistry>();
};

// memory:// users and sessions of one open_stores call share one feed.
std::shared_ptr<MemoryFeed> memory_feed(const OpenArgs& a) {
  return *shared_of<MemoryFeed>(a.shared, "memory:",
                                []() -> Result<std::shared_ptr<MemoryFeed>> { return std::make_shared<MemoryFeed>(); });
}

// What one redis:// URL (Redis, database, prefix) gives every store: the
// stores' client, the feed and registry on a client of their own, the
// feed's wait for news on a third (see redis/change_feed.h), and the WAIT
// after revocations.
struct RedisData {
  std::shared_ptr<redis::Client> client;
  std::shared_ptr<redis::ChangeFeed> feed;
  std::shared_ptr<redis::NodeRegistry> nodes;
  redis::Keys keys;
  std::shared_ptr<redis::ReplicaWait> wait;
};

Result<std::shared_ptr<RedisData>> open_redis(const OpenArgs& a) {
  auto url = redis::parse_url("redis://" + std::string(a.rest));
  if (!url) return Error{ErrorCode::config_invalid, "Config key store.sessions " + std::string(url.error().text()) + "."};
  return shared_of<RedisData>(a.shared, url->endpoint(), [&]() -> Result<std::shared_ptr<RedisData>> {
    auto client = std::make_shared<redis::Client>(*url);
    // At start, with the reason: a wrong address, password or eviction
    // policy should not wait for the first request (or the first eviction).
    if (auto usable = redis::check_server(*client); !usable) return usable.error();
    auto follower = std::make_shared<redis::Client>(*url, redis::ClientOptions{.connections = 1});
    auto waiter = std::make_shared<redis::Client>(*url, redis::ClientOptions{.connections = 1});
    redis::Keys keys{url->prefix};
    auto wait = std::make_shared<redis::ReplicaWait>(
        redis::ReplicaWait::Options{a.urls.redis_wait_replicas, a.urls.redis_wait_timeout}, a.counters);
    return std::make_shared<RedisData>(
        RedisData{client,
                  std::make_shared<redis::ChangeFeed>(follower, keys,
                                                      redis::FeedWait{waiter, a.urls.feed_poll_interval}),
                  std::make_shared<redis::NodeRegistry>(follower, keys), keys, std::move(wait)});
  });
}

// postgres:// users: the stores' pool, and the feed on a connection of its
// own (see postgres/change_feed.h). The URL goes to libpq as it is.
Result<UserSide> open_postgres_users(const OpenArgs& a) {
  const std::string url(a.url);
  auto db = postgres::Database::open(url);
  if (!db) return db.error();
  auto follower = postgres::Database::open(url, 1);
  if (!follower) return follower.error();
  return UserSide{std::make_unique<postgres::UserStore>(*db), std::make_shared<postgres::ChangeFeed>(*follower),
                  std::make_shared<postgres::KeyStore>(*db)};
}

// Every backend, by URL scheme: adding one is adding (or filling in) its
// row. Planned ones have no openers yet, so config refuses them clearly.
constexpr Backend kBackends[] = {
    {"sqlite://", "sqlite://PATH", true,
     [](const OpenArgs& a) -> Result<UserSide> {
       auto file = open_sqlite(a);
       if (!file) return file.error();
       return UserSide{std::make_unique<sqlite::UserStore>((*file)->db), (*file)->feed};
     },
     [](const OpenArgs& a) -> Result<SessionSide> {
       auto file = open_sqlite(a);
       if (!file) return file.error();
       return SessionSide{std::make_unique<sqlite::SessionStore>((*file)->db),
                          std::make_unique<sqlite::TokenStore>((*file)->db), (*file)->feed, (*file)->nodes,
                          std::make_unique<memory::ThrottleStore>(a.urls.throttle_max_tracked),
                          std::make_unique<sqlite::ChallengeStore>((*file)->db)};
     },
     nullptr, /*file=*/true},
    {"memory://", "memory://", false,
     [](const OpenArgs& a) -> Result<UserSide> {
       auto m = memory_feed(a);
       return UserSide{std::make_unique<memory::UserStore>(m->feed), m->feed};
     },
     [](const OpenArgs& a) -> Result<SessionSide> {
       auto m = memory_feed(a);
       return SessionSide{std::make_unique<memory::SessionStore>(m->feed), std::make_unique<memory::TokenStore>(m->feed),
                          m->feed, m->nodes, std::make_unique<memory::ThrottleStore>(a.urls.throttle_max_tracked),
                          std::make_unique<memory::ChallengeStore>()};
     }},
    {"redis://", "redis://HOST:PORT/DB", true, nullptr,
     [](const OpenArgs& a) -> Result<SessionSide> {
       auto r = open_redis(a);
       if (!r) return r.error();
       return SessionSide{std::make_unique<redis::SessionStore>((*r)->client, (*r)->keys, (*r)->wait),
                          std::make_unique<redis::TokenStore>((*r)->client, (*r)->keys, (*r)->wait), (*r)->feed,
                          (*r)->nodes, std::make_unique<redis::ThrottleStore>((*r)->client, (*r)->keys),
                          std::make_unique<redis::ChallengeStore>((*r)->client, (*r)->keys)};
     },
     [](std::string_view url) -> Result<void> {
       if (auto parsed = redis::parse_url(url); !parsed) return parsed.error();
       return {};
     }},
    // Users only. The second spelling is libpq's alias; no form, so
    // messages list postgres:// once. The form has no password: a message
    // may be read as the way to write a --store-users flag, which `ps` shows.
    {"postgres://", "postgres://USER@HOST:PORT/DB", true, open_postgres_users, nullptr, postgres::check_url},
    {"postgresql://", "", true, open_postgres_users, nullptr, postgres::check_url},
};

Error invalid(std::string message) { return Error{ErrorCode::config_invalid, std::move(message)}; }

// The row that opens `url` for `slot`, and what follows its scheme.
Result<std::pair<const Backend*, std::string_view>> backend_for(std::string_view url, StoreSlot slot) {
  for (const Backend& b : kBackends) {
    if (!url.starts_with(b.scheme)) continue;
    std::string_view rest = url.substr(b.scheme.size());
    if (!b.opens(StoreSlot::users) && !b.opens(StoreSlot::sessions))
      return invalid("names a backend this build does not have yet; use " + store_url_forms(slot));
    if (!b.opens(slot))
      return invalid("names a backend that cannot hold " +
                     std::string(slot == StoreSlot::users ? "users" : "sessions") + "; use " + store_url_forms(slot));
    if (rest.empty() == b.takes_rest) break;  // "sqlite://" without a path, "memory://x"
    if (b.check)
      if (auto ok = b.check(url); !ok) return ok.error();
    return std::make_pair(&b, rest);
  }
  return invalid("must be " + store_url_forms(slot));
}

// Opens what `url` gives: a UserSide or a SessionSide. `named` names the
// URL in messages ("Config key store.users", "--to-users").
template <class Side>
Result<Side> open_side(std::string_view named, const std::string& url, const StoreUrls& urls, Shared& shared,
                       const std::shared_ptr<StoreCounters>& counters) {
  constexpr StoreSlot slot = std::is_same_v<Side, UserSide> ? StoreSlot::users : StoreSlot::sessions;
  auto b = backend_for(url, slot);
  if (!b) return invalid(std::string(named) + " " + std::string(b.error().text()) + ".");
  const OpenArgs args{url, b->second, urls, shared, counters};
  if constexpr (slot == StoreSlot::users) return b->first->open_users(args);
  else return b->first->open_sessions(args);
}

}  // namespace

std::string store_url_forms(StoreSlot slot) {
  std::vector<std::string_view> forms;
  for (const Backend& b : kBackends)
    if (b.opens(slot) && !b.form.empty()) forms.push_back(b.form);
  std::string out;
  for (std::size_t i = 0; i < forms.size(); ++i)
    out += std::string(i == 0 ? "" : i + 1 == forms.size() ? " or " : ", ") + std::string(forms[i]);
  return out;
}

std::optional<std::string> store_file(std::string_view url) {
  for (const Backend& b : kBackends)
    if (b.file && url.starts_with(b.scheme) && url.size() > b.scheme.size())
      return std::string(url.substr(b.scheme.size()));
  return std::nullopt;
}

Result<void> check_store_url(std::string_view url, StoreSlot slot) {
  if (auto b = backend_for(url, slot); !b) return b.error();
  return {};
}

// A users store on another backend than the sessions records each change in
// its own feed, atomically; this also tells the sessions' feed, after the
// commit. Why both: the sessions' feed gates checks within seconds, so a
// process cut off from the users' backend but not from the sessions' one
// hears of a disable there, cannot apply it (the user cannot be re-read) and
// stops vouching (503) instead of honouring the user for the users' feed's
// longer bound. If this second append fails, the first still carries the change.
class UserStoreTellingSessionsFeed final : public UserStore {
 public:
  UserStoreTellingSessionsFeed(std::unique_ptr<UserStore> inner, std::shared_ptr<ChangeFeed> sessions_feed)
      : inner_(std::move(inner)), feed_(std::move(sessions_feed)) {}
  Result<void> create(const User& user) override { return inner_->create(user); }
  Result<std::size_t> create_all(std::span<const User> users) override { return inner_->create_all(users); }
  Result<User> find_by_name(const std::string& username) override { return inner_->find_by_name(username); }
  Result<User> find_by_id(const std::string& id) override { return inner_->find_by_id(id); }
  Result<std::vector<User>> list() override { return inner_->list(); }
  Result<void> set_disabled(const std::string& id, bool disabled) override {
    return told(id, inner_->set_disabled(id, disabled));
  }
  Result<void> set_password_hash(const std::string& id, const std::string& hash) override {
    return told(id, inner_->set_password_hash(id, hash));
  }
  Result<bool> set_password_hash_if(const std::string& id, const std::string& expected,
                                    const std::string& hash) override {
    auto written = inner_->set_password_hash_if(id, expected, hash);
    if (written && *written) (void)told(id, {});  // a write that did not apply changed nothing to tell
    return written;
  }
  Result<void> set_roles(const std::string& id, const std::vector<std::string>& roles) override {
    return told(id, inner_->set_roles(id, roles));
  }
  Result<void> add_password_reset(const PasswordReset& reset) override { return inner_->add_password_reset(reset); }
  Result<std::string> use_password_reset(const std::string& token_hash, long long now_ms) override {
    return inner_->use_password_reset(token_hash, now_ms);
  }
  Result<std::vector<std::string>> disabled_ids() override { return inner_->disabled_ids(); }
  // Passkeys affect no check of an existing session: nothing to tell.
  Result<void> add_passkey(const Passkey& p) override { return inner_->add_passkey(p); }
  Result<Passkey> find_passkey(const std::string& id) override { return inner_->find_passkey(id); }
  Result<std::vector<Passkey>> list_passkeys(const std::string& user_id) override {
    return inner_->list_passkeys(user_id);
  }
  Result<std::vector<Passkey>> list_all_passkeys() override { return inner_->list_all_passkeys(); }
  Result<std::vector<TotpRecord>> list_totp() override { return inner_->list_totp(); }
  Result<bool> import_totp(const TotpRecord& record) override { return inner_->import_totp(record); }
  Result<void> delete_passkey(const std::string& user_id, const std::string& id) override {
    return inner_->delete_passkey(user_id, id);
  }
  Result<void> record_passkey_use(const std::string& id, long long expected, long long count, bool backed_up,
                                  long long used_at) override {
    return inner_->record_passkey_use(id, expected, count, backed_up, used_at);
  }
  Result<void> flag_passkey(const std::string& id) override { return inner_->flag_passkey(id); }
  // TOTP state is read where it is checked, never cached: nothing to tell.
  Result<TotpState> totp(const std::string& id) override { return inner_->totp(id); }
  Result<void> begin_totp(const std::string& id, const std::string& sealed, long long now) override {
    return inner_->begin_totp(id, sealed, now);
  }
  Result<bool> confirm_totp(const std::string& id, const std::string& pending, long long step,
                            const std::vector<std::string>& hashes) override {
    return inner_->confirm_totp(id, pending, step, hashes);
  }
  Result<bool> accept_totp_step(const std::string& id, long long step) override {
    return inner_->accept_totp_step(id, step);
  }
  Result<bool> use_recovery_code(const std::string& id, const std::string& hash) override {
    return inner_->use_recovery_code(id, hash);
  }
  Result<bool> replace_recovery_codes(const std::string& id, const std::vector<std::string>& hashes) override {
    return inner_->replace_recovery_codes(id, hashes);
  }
  Result<void> clear_totp(const std::string& id) override { return inner_->clear_totp(id); }
  Result<std::vector<SealedTotp>> sealed_totp(const std::string& after, std::size_t limit) override {
    return inner_->sealed_totp(after, limit);
  }
  Result<std::size_t> reseal_totp(const std::vector<TotpReseal>& reseals) override {
    return inner_->reseal_totp(reseals);
  }
  Result<void> ping() override { return inner_->ping(); }

 private:
  Result<void> told(const std::string& id, Result<void> changed) {
    if (!changed) return changed;
    if (auto told = feed_->append(Change{Change::Kind::user_changed, id}); !told)
      log_line("warn", "user_change_not_mirrored",
               {{"user_id", id}, {"feed", feed_->name()},
                {"detail", "the change is stored and on the users' feed; processes cut off from the users store "
                           "hear of it only within feed.users_max_staleness"}});
    return changed;
  }
  std::unique_ptr<UserStore> inner_;
  std::shared_ptr<ChangeFeed> feed_;
};

Result<Stores> open_stores(const StoreUrls& urls) {
  Shared shared;
  auto counters = std::make_shared<StoreCounters>();
  auto users = open_side<UserSide>("Config key store.users", urls.users, urls, shared, counters);
  if (!users) return users.error();
  auto sessions = open_side<SessionSide>("Config key store.sessions", urls.sessions, urls, shared, counters);
  if (!sessions) return sessions.error();
  std::vector<std::shared_ptr<ChangeFeed>> feeds{users->feed};
  if (sessions->feed != users->feed) {
    feeds.push_back(sessions->feed);
    users->users = std::make_unique<UserStoreTellingSessionsFeed>(std::move(users->users), sessions->feed);
  }
  return Stores{std::move(users->users),      std::move(sessions->sessions), std::move(sessions->tokens),
                std::move(feeds),             std::move(sessions->nodes),    std::move(users->keys),
                std::move(sessions->throttles), std::move(sessions->challenges), std::move(counters)};
}

Result<Stores> open_user_side(std::string_view named, const std::string& url, const std::string& data_dir) {
  Shared shared;
  Stores out;
  auto users = open_side<UserSide>(named, url, StoreUrls{url, "", data_dir}, shared, out.counters);
  if (!users) return users.error();
  out.users = std::move(users->users);
  out.feeds.push_back(std::move(users->feed));
  out.keys = std::move(users->keys);
  return out;
}

Result<Stores> open_session_side(std::string_view named, const std::string& url, const std::string& data_dir) {
  Shared shared;
  Stores out;
  auto sessions = open_side<SessionSide>(named, url, StoreUrls{"", url, data_dir}, shared, out.counters);
  if (!sessions) return sessions.error();
  out.sessions = std::move(sessions->sessions);
  out.tokens = std::move(sessions->tokens);
  out.feeds.push_back(std::move(sessions->feed));
  out.nodes = std::move(sessions->nodes);
  out.throttles = std::move(sessions->throttles);
  out.challenges = std::move(sessions->challenges);
  return out;
}

}  // namespace cloakroom
