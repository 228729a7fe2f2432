// `store migrate --to-users URL [--to-sessions URL]`: copies what the
// configured stores hold into other stores (from the embedded SQLite file
// to PostgreSQL, say), so a deployment can move without logging anyone out.
//
//   cloakroom store migrate --to-users 'postgres://cloakroom:pw@db/cloakroom'
//   users: 1200 copied, 0 already in the target
//   TOTP second factors: 85 copied, 0 already in the target
//   passkeys: 40 copied, 0 already in the target
//   verified: the target holds all 1200 users, 85 TOTP second factors, 40 passkeys and ...
//
// Copies keep ids, so sessions and tokens that name a user id stay valid,
// and second factors go with their users (a user with TOTP on must not sign
// in with a password alone after the move). Sign-in challenges and password
// reset links in flight are not copied: short-lived, started again.
// A target that keeps the signing keys (PostgreSQL) gets the key set too,
// sealed under the key-encryption key, so access tokens keep verifying.
// Idempotent: a record the target already holds (by id) is skipped, so a
// second run copies nothing and says so. Before writing anything it refuses
// a target that holds a different user (another id) under a source user's name.
// After a copy, <data dir>/migrated.json records the targets as it left them
// (the sessions' feed position, a digest of the users' second factors); a
// later run refuses a target changed since (a session revoked there, a
// passkey removed there): copying again would bring those back.
#include <sodium.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <set>
#include <span>
#include <sstream>
#include <vector>

#include "cli/commands.h"
#include "cli/data_dir.h"
#include "core/clock.h"
#include "core/digest.h"
#include "core/json.h"
#include "core/private_file.h"
#include "core/random.h"
#include "mfa/totp_key.h"
#include "session/session_service.h"
#include "token/key_source.h"

namespace cloakroom::cli {
namespace {

long long now_ms() { return unix_millis(SystemClock{}.now()); }

// One kind of record to copy: the source's records, a snapshot of what the
// target holds (re-taken to verify), and how to write one there.
template <class Record>
struct Kind {
  std::string noun;  // plural: "users"
  std::vector<Record> source;
  std::function<Result<void>()> snapshot;
  std::function<Result<bool>(const Record&)> held;  // against the last snapshot
  std::function<Result<void>(const Record&)> put;
  // When set, writes every missing record in one call instead (a backend
  // that batches: one round trip per many rows); how many it wrote.
  std::function<Result<std::size_t>(std::span<const Record>)> put_all;
};

// "1 user", "2 users": the nouns are plurals, one gets the singular.
std::string counted(std::size_t n, const std::string& plural) {
  std::string noun = plural;
  if (n == 1 && noun.ends_with("ies")) noun.replace(noun.size() - 3, 3, "y");  // entries, families
  else if (n == 1 && noun.ends_with('s')) noun.pop_back();
  return std::to_string(n) + " " + noun;
}

struct Tally {
  std::string noun;
  std::size_t total = 0;
  std::size_t copied = 0;
};

// Writes every source record the target does not hold yet.
template <class Record>
Result<Tally> copy(Kind<Record>& k) {
  Tally t{k.noun, k.source.size()};
  if (auto s = k.snapshot(); !s) return s.error();
  std::vector<Record> missing;
  for (const Record& r : k.source) {
    auto held = k.held(r);
    if (!held) return held.error();
    if (*held) continue;
    if (k.put_all) {
      missing.push_back(r);
      continue;
    }
    if (auto put = k.put(r); !put) return put.error();
    ++t.copied;
  }
  if (!missing.empty()) {
    auto written = k.put_all(missing);
    if (!written) return written.error();
    t.copied = *written;
  }
  std::cout << k.noun << ": " << t.copied << " copied, " << t.total - t.copied << " already in the target\n";
  return t;
}

// How many source records the target holds, read again after copying.
template <class Record>
Result<std::size_t> count_held(Kind<Record>& k) {
  if (auto s = k.snapshot(); !s) return s.error();
  std::size_t n = 0;
  for (const Record& r : k.source) {
    auto held = k.held(r);
    if (!held) return held.error();
    n += *held ? 1 : 0;
  }
  return n;
}

// Whether the store holds the record `find` looks up: not_found is "no".
template <class Found>
Result<bool> exists(const Result<Found>& found) {
  if (found) return true;
  if (found.error().code == ErrorCode::not_found) return false;
  return found.error();
}

int failed(const Error& e) { return fail(kExitNo, e.text()); }

// The users, with the refusal checked against the target before anything is written.
struct UserCopy {
  Kind<User> kind;
  std::map<std::string, User> by_id;          // the target's, at the last snapshot
  std::map<std::string, std::string> by_key;  // username_key -> id, the same
};

void describe_users(UserCopy& u, UserStore& target) {
  u.kind.noun = "users";
  u.kind.snapshot = [&u, &target]() -> Result<void> {
    auto all = target.list();
    if (!all) return all.error();
    u.by_id.clear();
    u.by_key.clear();
    for (User& user : *all) {
      u.by_key[username_key(user.username)] = user.id;
      u.by_id.emplace(user.id, std::move(user));
    }
    return {};
  };
  u.kind.held = [&u](const User& user) -> Result<bool> { return u.by_id.count(user.id) > 0; };
  // In batches where the target can (PostgreSQL: one statement per 500 users).
  u.kind.put_all = [&target](std::span<const User> users) -> Result<std::size_t> {
    auto written = target.create_all(users);
    if (!written && written.error().code == ErrorCode::username_taken)
      return Error{ErrorCode::conflict,
                   "the target gained a user with the name of one being copied while copying; some users were "
                   "copied, run the command again to see which name clashes"};
    return written;
  };
}

// A different user (another id) under a source user's name: the one refusal.
std::optional<std::string> name_clash(UserCopy& u) {
  for (const User& user : u.kind.source) {
    if (u.by_id.count(user.id)) continue;  // the same user, copied before
    auto it = u.by_key.find(username_key(user.username));
    if (it != u.by_key.end())
      return "the target already has a different user named \"" + user.username + "\" (id " + it->second +
             ", here id " + user.id + "); nothing was written";
  }
  return std::nullopt;
}

// Users copied before whose state changed since in the source: skipped (same
// id, same user), but said, since the target does not have the change.
void report_drift(UserCopy& u) {
  std::vector<std::string> drifted;
  for (const User& user : u.kind.source) {
    auto it = u.by_id.find(user.id);
    if (it == u.by_id.end()) continue;
    const User& there = it->second;
    if (there.disabled != user.disabled || there.roles != user.roles || there.password_hash != user.password_hash)
      drifted.push_back(user.username);
  }
  if (drifted.empty()) return;
  std::string names;
  for (const auto& n : drifted) names += (names.empty() ? "" : ", ") + n;
  std::cout << "note: " << drifted.size() << " user(s) changed in the source since they were copied (disabled, roles "
            << "or password), and the target keeps its own state: " << names
            << "; repeat those changes against the target (cloakroom user ...)\n";
}

// What else a user owns in the users' store: TOTP (sealed secret, replay
// guard, unused recovery codes) and passkeys (sign counts and all). Copied
// after the users (a PostgreSQL TOTP row needs its user), keyed by user id
// and credential id; a user's TOTP already in the target is kept as it is.
struct FactorCopy {
  Kind<TotpRecord> totp;
  Kind<Passkey> passkeys;
  std::set<std::string> totp_users;
  std::map<std::string, std::string> passkey_owner;  // credential id -> user id, the target's
  std::size_t resealed = 0;
};

void describe_factors(FactorCopy& f, UserStore& target) {
  f.totp.noun = "TOTP second factors";
  f.totp.snapshot = [&f, &target]() -> Result<void> {
    auto there = target.list_totp();
    if (!there) return there.error();
    f.totp_users.clear();
    for (const auto& r : *there) f.totp_users.insert(r.user_id);
    return {};
  };
  f.totp.held = [&f](const TotpRecord& r) -> Result<bool> { return f.totp_users.count(r.user_id) > 0; };
  f.totp.put = [&target](const TotpRecord& r) -> Result<void> {
    auto written = target.import_totp(r);
    if (!written) return written.error();
    if (!*written)
      return Error{ErrorCode::conflict, "a user being copied turned on TOTP in the target while copying; run the "
                                        "command again"};
    return {};
  };
  f.passkeys.noun = "passkeys";
  f.passkeys.snapshot = [&f, &target]() -> Result<void> {
    auto there = target.list_all_passkeys();
    if (!there) return there.error();
    f.passkey_owner.clear();
    for (const auto& p : *there) f.passkey_owner[p.credential_id] = p.user_id;
    return {};
  };
  f.passkeys.held = [&f](const Passkey& p) -> Result<bool> {
    auto it = f.passkey_owner.find(p.credential_id);
    return it != f.passkey_owner.end() && it->second == p.user_id;
  };
  f.passkeys.put = [&target](const Passkey& p) { return target.add_passkey(p); };
}

// A passkey the target holds for another user: the credential id is unique
// across users, so it could not be copied; refused before anything is written.
std::optional<std::string> passkey_clash(const FactorCopy& f) {
  for (const Passkey& p : f.passkeys.source) {
    auto it = f.passkey_owner.find(p.credential_id);
    if (it != f.passkey_owner.end() && it->second != p.user_id)
      return "the target holds a passkey of user id " + it->second + " with the credential id of one of user id " +
             p.user_id + " here; nothing was written";
  }
  return std::nullopt;
}

// TOTP secrets not sealed under the key-encryption key yet (enrolled under
// <data dir>/totp.key, no KEK then, or under the previous KEK) are sealed
// again under it for a shared target: its nodes open secrets with the KEK
// alone, and have no totp.key. One the KEK seals already is copied as
// stored. One no key here opens (it did not open in the source either) is
// copied as stored, and said.
Result<void> reseal_for_shared_target(FactorCopy& f, const Config& config, Random& random) {
  auto ring = open_totp_key(config.jwt.key_encryption_key, config.jwt.previous_key_encryption_key, false,
                            config.data_dir, random, /*quiet=*/true);
  if (!ring) return ring.error();
  std::size_t unopened = 0;
  auto reseal = [&](std::string& sealed, const std::string& user_id) {
    if (sealed.empty() || ring->is_current(sealed)) return;
    auto plain = ring->open(sealed, totp_purpose(user_id));
    if (!plain) {
      ++unopened;
      return;
    }
    sealed = ring->seal(*plain, totp_purpose(user_id), random);
    sodium_memzero(plain->data(), plain->size());
    ++f.resealed;
  };
  for (TotpRecord& r : f.totp.source) {
    if (f.totp_users.count(r.user_id)) continue;  // copied before: skipped anyway
    reseal(r.state.secret, r.user_id);
    reseal(r.state.pending, r.user_id);
  }
  if (unopened)
    std::cout << "note: no key here opens " << counted(unopened, "TOTP secrets") << " (the key-encryption key, the "
              << "previous one, " << kTotpKeyFile << "); copied as stored (their users need a recovery code or to "
              << "enrol again)\n";
  return {};
}

// Sessions, refresh families, denylist entries and epochs, from `from` to `to`.
struct SessionCopy {
  Kind<SessionRecord> sessions;
  Kind<RefreshFamilyRecord> families;
  Kind<Revocation> denials;
  Kind<std::pair<std::string, long long>> epochs;
  std::set<std::string> session_ids, family_ids;
  std::map<std::pair<Revocation::Kind, std::string>, long long> denied;
  std::map<std::string, long long> epoch_of;
};

Result<void> describe_sessions(SessionCopy& s, Stores& from, Stores& to, long long now, const IdleBounds& idle) {
  auto sessions = from.sessions->load_active(now, idle);
  if (!sessions) return sessions.error();
  auto families = from.tokens->list_active_families(now);
  if (!families) return families.error();
  auto denials = from.tokens->load_denylist(now);
  if (!denials) return denials.error();
  auto epochs = from.tokens->load_epochs();
  if (!epochs) return epochs.error();

  s.sessions = {"sessions", std::move(*sessions),
                [&s, &to, now, &idle]() -> Result<void> {
                  auto there = to.sessions->load_active(now, idle);
                  if (!there) return there.error();
                  s.session_ids.clear();
                  for (const auto& r : *there) s.session_ids.insert(r.id);
                  return {};
                },
                // An expired one is not in the snapshot, but is still there.
                [&s, &to](const SessionRecord& r) -> Result<bool> {
                  return s.session_ids.count(r.id) ? Result<bool>(true) : exists(to.sessions->find(r.id));
                },
                [&to](const SessionRecord& r) { return to.sessions->create(r); }};
  s.families = {"refresh token families", std::move(*families),
                [&s, &to, now]() -> Result<void> {
                  auto there = to.tokens->list_active_families(now);
                  if (!there) return there.error();
                  s.family_ids.clear();
                  for (const auto& f : *there) s.family_ids.insert(f.id);
                  return {};
                },
                [&s, &to](const RefreshFamilyRecord& f) -> Result<bool> {
                  return s.family_ids.count(f.id) ? Result<bool>(true) : exists(to.tokens->find_family(f.id));
                },
                [&to](const RefreshFamilyRecord& f) { return to.tokens->create_family(f); }};
  s.denials = {"denylist entries", std::move(*denials),
               [&s, &to, now]() -> Result<void> {
                 auto there = to.tokens->load_denylist(now);
                 if (!there) return there.error();
                 s.denied.clear();
                 for (const auto& d : *there) s.denied[{d.kind, d.id}] = d.until_ms;
                 return {};
               },
               [&s](const Revocation& d) -> Result<bool> {
                 auto it = s.denied.find({d.kind, d.id});
                 return it != s.denied.end() && it->second >= d.until_ms;
               },
               [&to](const Revocation& d) { return to.tokens->deny(d); }};
  s.epochs = {"token epochs", std::move(*epochs),
              [&s, &to]() -> Result<void> {
                auto there = to.tokens->load_epochs();
                if (!there) return there.error();
                s.epoch_of = std::map<std::string, long long>(there->begin(), there->end());
                return {};
              },
              [&s](const std::pair<std::string, long long>& e) -> Result<bool> {
                auto it = s.epoch_of.find(e.first);
                return it != s.epoch_of.end() && it->second >= e.second;
              },
              // The store only raises epochs one step at a time (each step is a feed entry).
              [&to](const std::pair<std::string, long long>& e) -> Result<void> {
                auto at = to.tokens->epoch(e.first);
                while (at && *at < e.second) at = to.tokens->bump_epoch(e.first);
                if (!at) return at.error();
                return {};
              }};
  return {};
}

// The signing keys, when the target keeps them (a shared store): the
// source's whole set (active key, verification and retired keys), sealed
// there under the key-encryption key, so tokens signed before the move keep
// verifying after it. Checked before anything is written.
struct KeyCopy {
  std::unique_ptr<KeySource> to;
  jose::KeySet from;
  std::optional<jose::KeySet> there;  // what the target keeps, at the last look
};

// Whether `set` holds `key`: the same kid and the same key material.
bool holds(const jose::KeySet& set, const jose::Jwk& key) {
  const jose::Jwk* k = set.find(key.kid());
  return k && jose::KeySet({*k}).to_jwks(true) == jose::KeySet({key}).to_jwks(true);
}

std::size_t held_keys(const KeyCopy& k) {
  std::size_t n = 0;
  for (const jose::Jwk& key : k.from.keys()) n += k.there && holds(*k.there, key) ? 1 : 0;
  return n;
}

// A target keeping another set (a node started on it before the move) is
// the one refusal: one set would be lost, with every token it signed.
std::optional<std::string> key_clash(const KeyCopy& k) {
  if (!k.there) return std::nullopt;
  for (const jose::Jwk& key : k.from.keys())
    if (!holds(*k.there, key))
      return "the target keeps another signing key set, without key " + key.kid() +
             " of this one (did a server start on it before the move?); nothing was written";
  return std::nullopt;
}

// What the last copy left in each target, kept in the SOURCE data dir so a
// rerun can tell a target nothing touched (safe: copying again only adds
// what is new in the source) from one changed since (a session revoked
// there by the CLI or a serving process): the copy's "missing" records would
// then be the revoked ones. Keyed by the feed's name, which has no password.
// The sessions' target: its change feed's last position (every revocation
// moves it). The users' target: a digest of which users have TOTP and which
// passkeys it holds, since removing one writes no feed entry; a user
// disabled or changed there is not undone by a rerun (a held user is
// skipped), so its feed moving is no reason to refuse.
constexpr const char* kMarkerFile = "migrated.json";

struct Mark {
  std::optional<long long> feed;  // a sessions' target
  std::string factors;            // a users' target: hex digest
};
using Marks = std::map<std::string, Mark>;

std::string marker_path(const Config& config) { return (std::filesystem::path(config.data_dir) / kMarkerFile).string(); }

// No file: no copy was recorded (a first run). An unreadable one is refused.
Result<Marks> read_marks(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Marks{};
  std::stringstream text;
  text << in.rdbuf();
  auto parsed = json::parse(text.str(), {.max_bytes = 1 << 20});
  const json::Value* targets = parsed ? parsed->find("targets") : nullptr;
  if (!targets || !targets->is_object())
    return Error{ErrorCode::conflict, path + " is not a record of an earlier copy; nothing was copied (delete it to "
                                             "copy as on a first run)"};
  Marks marks;
  for (const json::Member& m : targets->members) {
    Mark& mark = marks[m.name];
    if (const json::Value* feed = m.value.find("feed")) mark.feed = feed->as_int64();
    if (const json::Value* factors = m.value.find("factors"); factors && factors->is_string())
      mark.factors = factors->text;
  }
  return marks;
}

Result<void> write_marks(const std::string& path, const Marks& marks) {
  json::Writer w;
  w.begin_object();
  w.key("targets");
  w.begin_object();
  for (const auto& [name, mark] : marks) {
    w.key(name);
    w.begin_object();
    if (mark.feed) {
      w.key("feed");
      w.number(*mark.feed);
    }
    if (!mark.factors.empty()) {
      w.key("factors");
      w.string(mark.factors);
    }
    w.end_object();
  }
  w.end_object();
  w.end_object();
  auto placed = write_private_file(path, w.str() + "\n", /*replace=*/true);
  if (!placed) return placed.error();
  return {};
}

// Which users have TOTP and which passkeys the target holds, at the last snapshot.
std::string factors_digest(const FactorCopy& f) {
  std::string all;
  for (const auto& id : f.totp_users) all += "t " + id + "\n";
  for (const auto& [credential, user] : f.passkey_owner) all += "p " + lower_hex(credential) + " " + user + "\n";
  const Sha256 h = sha256(all);
  return lower_hex(std::string_view(reinterpret_cast<const char*>(h.data()), h.size()));
}

Result<long long> feed_last(ChangeFeed& feed) {
  auto b = feed.bounds();
  if (!b) return b.error();
  return b->last;
}

std::string changed_since(const std::string& name, const std::string& what, const std::string& path) {
  return "the target " + name + " has changed since the last copy (" + what +
         "): copying again would bring back what was revoked or removed there, so nothing was copied; the last copy "
         "already holds everything from before the switch (to copy anyway, delete " + path + ")";
}

}  // namespace

int store_command(const Args& args) {
  auto to_users = args.get("to-users");  // required by the table
  auto to_sessions = args.get("to-sessions");

  auto config = config_from(args);
  if (!config) return fail(kExitUsage, config.error().text());
  // Everything is opened (and so reachable) before anything is written.
  auto source = open_existing_stores(*config);
  if (!source) return fail(source.error());
  auto target = open_user_side("--to-users", *to_users, config->data_dir);
  if (!target) return fail(target.error());
  if (target->feeds[0]->name() == source->feeds[0]->name())
    return fail(kExitUsage, "--to-users names the store the users are in already (store.users); name another one");
  std::optional<Stores> session_target;
  if (to_sessions) {
    auto opened = open_session_side("--to-sessions", *to_sessions, config->data_dir);
    if (!opened) return fail(opened.error());
    if (opened->feeds[0]->name() == source->feeds.back()->name())
      return fail(kExitUsage, "--to-sessions names the store the sessions are in already (store.sessions); name another one");
    session_target = std::move(*opened);
  }

  std::optional<KeyCopy> keys;
  if (target->keys) {
    auto to = open_key_source(*config, *target);
    if (!to) return fail(to.error());
    auto from_source = open_existing_key_source(*config, *source);
    if (!from_source) return fail(from_source.error());
    auto from = (*from_source)->load_or_create(nullptr);
    if (!from) return failed(from.error());
    auto there = (*to)->load();
    if (!there) return failed(there.error());
    keys = KeyCopy{std::move(*to), std::move(*from), std::move(*there)};
    if (auto clash = key_clash(*keys)) return fail(kExitNo, *clash);
  }

  UserCopy users;
  describe_users(users, *target->users);
  auto listed = source->users->list();
  if (!listed) return failed(listed.error());
  users.kind.source = std::move(*listed);
  if (auto s = users.kind.snapshot(); !s) return failed(s.error());
  if (auto clash = name_clash(users)) return fail(kExitNo, *clash);
  // Read now, before any write: what the target held before this run.
  report_drift(users);

  FactorCopy factors;
  describe_factors(factors, *target->users);
  auto totp = source->users->list_totp();
  if (!totp) return failed(totp.error());
  factors.totp.source = std::move(*totp);
  auto passkeys = source->users->list_all_passkeys();
  if (!passkeys) return failed(passkeys.error());
  factors.passkeys.source = std::move(*passkeys);
  if (auto s = factors.passkeys.snapshot(); !s) return failed(s.error());
  if (auto s = factors.totp.snapshot(); !s) return failed(s.error());
  if (auto clash = passkey_clash(factors)) return fail(kExitNo, *clash);
  OsRandom random;
  // A shared target (PostgreSQL) keeps the signing keys, so the KEK is set (checked above).
  if (target->keys)
    if (auto r = reseal_for_shared_target(factors, *config, random); !r) return failed(r.error());

  SessionCopy sessions;
  if (session_target)
    if (auto d = describe_sessions(sessions, *source, *session_target, now_ms(), idle_bounds(*config)); !d)
      return failed(d.error());

  // A target changed since the last copy is refused before anything is written.
  const std::string marker = marker_path(*config);
  auto marks = read_marks(marker);
  if (!marks) return failed(marks.error());
  const std::string& users_name = target->feeds[0]->name();
  if (auto it = marks->find(users_name); it != marks->end() && !it->second.factors.empty() &&
                                           it->second.factors != factors_digest(factors))
    return fail(kExitNo, changed_since(users_name, "TOTP or passkeys added or removed there", marker));
  if (session_target) {
    const std::string& name = session_target->feeds[0]->name();
    auto last = feed_last(*session_target->feeds[0]);
    if (!last) return failed(last.error());
    if (auto it = marks->find(name); it != marks->end() && it->second.feed && *it->second.feed != *last)
      return fail(kExitNo, changed_since(name,
                                         *last < *it->second.feed
                                             ? "its change feed went backwards: it lost data, or is another store"
                                             : "revocations or changes made there by serving processes",
                                         marker));
  }

  // Each kind: copy what is missing, then read the target back and count.
  std::vector<Tally> tallies;
  std::vector<std::size_t> held;
  auto step = [&](auto& kind) -> Result<void> {
    auto t = copy(kind);
    if (!t) return t.error();
    tallies.push_back(*t);
    auto n = count_held(kind);
    if (!n) return n.error();
    held.push_back(*n);
    return {};
  };
  Result<void> done = step(users.kind);
  if (done) done = step(factors.totp);
  if (done) done = step(factors.passkeys);
  if (done && factors.resealed)
    std::cout << "  (" << counted(factors.resealed, "TOTP secrets")
              << " sealed again under the key-encryption key, which every node of the target has)\n";
  if (done && session_target) done = step(sessions.sessions);
  if (done && session_target) done = step(sessions.families);
  if (done && session_target) done = step(sessions.denials);
  if (done && session_target) done = step(sessions.epochs);
  if (done && keys) {
    const std::size_t total = keys->from.keys().size();
    std::size_t copied = 0;
    if (!keys->there) {
      auto kept = keys->to->create(keys->from);
      if (!kept) return failed(kept.error());
      copied = *kept ? total : 0;
    }
    auto there = keys->to->load();
    if (!there) return failed(there.error());
    keys->there = std::move(*there);
    if (auto clash = key_clash(*keys)) return fail(kExitNo, *clash);  // another writer came first
    std::cout << "signing keys: " << copied << " copied, " << total - copied << " already in the target\n";
    tallies.push_back(Tally{"signing keys", total, copied});
    held.push_back(held_keys(*keys));
  }
  if (!done) return failed(done.error());

  // Verified: every source record was read back from the target.
  std::string summary, missing;
  std::size_t total_copied = 0;
  for (std::size_t i = 0; i < tallies.size(); ++i) {
    const Tally& t = tallies[i];
    total_copied += t.copied;
    summary += (i == 0 ? "" : i + 1 == tallies.size() ? " and " : ", ") + counted(t.total, t.noun);
    if (held[i] != t.total)
      missing += (missing.empty() ? "" : ", ") + std::to_string(t.total - held[i]) + " of " + counted(t.total, t.noun);
  }
  if (!missing.empty())
    return fail(kExitNo, "after copying, the target lacks " + missing + " of the source; run the command again");

  // Recorded after the copy's own writes (the factors as count_held last read them).
  (*marks)[users_name].factors = factors_digest(factors);
  if (session_target) {
    auto last = feed_last(*session_target->feeds[0]);
    if (!last) return failed(last.error());
    (*marks)[session_target->feeds[0]->name()].feed = *last;
  }
  if (auto w = write_marks(marker, *marks); !w)
    return fail(kExitNo, "the copy is complete and verified, but recording it in " + marker + " failed (" +
                             std::string(w.error().text()) + "), so a later run could not refuse a target changed since");
  if (total_copied == 0) std::cout << "nothing to copy: the target already holds all " << summary << " of the source\n";
  else std::cout << "verified: the target holds all " << summary << " of the source\n";
  return kExitOk;
}

}  // namespace cloakroom::cli
