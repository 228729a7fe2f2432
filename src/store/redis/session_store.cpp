#include "store/redis/session_store.h"

namespace cloakroom::redis {
namespace {

// KEYS[3] session, [4] user index, [5] by expiry, [6] by last seen (the index of its kind: plain or remembered).
// ARGV[3..13] id, secret_hash, user_id, created, last_seen, expires, ip, user_agent, remember, amr, auth_time.
constexpr std::string_view kCreate = R"lua(
if redis.call('EXISTS', KEYS[3]) == 1 then return 0 end
-- Ids whose session ran out by TTL leave the user's index here, so it holds only live ones.
forget_gone(KEYS[4], session_key)
redis.call('HSET', KEYS[3], 'secret_hash', ARGV[4], 'user_id', ARGV[5], 'created_ms', ARGV[6],
           'last_seen_ms', ARGV[7], 'expires_ms', ARGV[8], 'ip', ARGV[9], 'user_agent', ARGV[10], 'remember', ARGV[11],
           'amr', ARGV[12], 'auth_time_ms', ARGV[13])
keep_until(KEYS[3], ARGV[8])
redis.call('ZADD', KEYS[4], ARGV[6], ARGV[3])
keep_until(KEYS[4], ARGV[8])
redis.call('ZADD', KEYS[5], ARGV[8], ARGV[3])
keep_until(KEYS[5], ARGV[8])
redis.call('ZADD', KEYS[6], ARGV[7], ARGV[3])
keep_until(KEYS[6], ARGV[8])
return 1
)lua";

// KEYS[3], [4] by last seen (plain, remembered), KEYS[5..] sessions; ARGV[3 + 2k], ARGV[4 + 2k] the id and time of KEYS[5 + k].
constexpr std::string_view kTouch = R"lua(
for k = 0, #KEYS - 5 do
  local key, id, t = KEYS[5 + k], ARGV[3 + 2 * k], tonumber(ARGV[4 + 2 * k])
  local seen = redis.call('HGET', key, 'last_seen_ms')
  if seen and t > tonumber(seen) then
    redis.call('HSET', key, 'last_seen_ms', num(t))
    -- XX: only the index that holds it moves.
    redis.call('ZADD', KEYS[3], 'XX', num(t), id)
    redis.call('ZADD', KEYS[4], 'XX', num(t), id)
  end
end
return 0
)lua";

// KEYS[3] session, [4] by expiry, [5], [6] by last seen (plain, remembered); ARGV[3] id, [4] "any" or "owner", [5] the owner.
constexpr std::string_view kRemove = R"lua(
local user = redis.call('HGET', KEYS[3], 'user_id')
if user and ARGV[4] == 'owner' and user ~= ARGV[5] then return 0 end
if user then record('session_revoked', ARGV[3], 0) end
redis.call('ZREM', KEYS[4], ARGV[3])
redis.call('ZREM', KEYS[5], ARGV[3])
redis.call('ZREM', KEYS[6], ARGV[3])
if not user then return 0 end
redis.call('DEL', KEYS[3])
redis.call('ZREM', user_sessions_key(user), ARGV[3])
return 1
)lua";

// KEYS[3] user index, [4] by expiry, [5], [6] by last seen; ARGV[3] user id,
// [4] the id to keep ('' none). The ids removed.
constexpr std::string_view kRemoveUser = R"lua(
-- Recorded even when nothing is stored: a cache may still hold one.
record('user_sessions_revoked', ARGV[3], 0)
return remove_indexed(KEYS[3], session_key, {KEYS[4], KEYS[5], KEYS[6]}, ARGV[4])
)lua";

// KEYS[3] by expiry, [4], [5] by last seen (plain, remembered); ARGV[3] now, [4], [5] their idle
// cutoffs, [6] batch. {removed, 1 when a batch was full (call again)}. An id
// taken from any index is removed from all three (drop), whether its hash is
// there or already gone by TTL. A remembered session still filed in the plain
// index (written before the indexes split) is idle only past the remembered
// cutoff: until then it moves to its own index instead of ending.
constexpr std::string_view kPurge = R"lua(
local gone, refile, full = {}, {}, 0
for i, range in ipairs({{KEYS[3], ARGV[3]}, {KEYS[4], ARGV[4]}, {KEYS[5], ARGV[5]}}) do
  local ids = redis.call('ZRANGEBYSCORE', range[1], '-inf', range[2], 'LIMIT', 0, ARGV[6])
  if #ids == tonumber(ARGV[6]) then full = 1 end
  for _, id in ipairs(ids) do
    local f = i == 2 and redis.call('HMGET', session_key(id), 'remember', 'last_seen_ms', 'expires_ms')
    if f and f[1] == '1' and tonumber(f[2]) > tonumber(ARGV[5]) and tonumber(f[3]) > tonumber(ARGV[3]) then
      refile[id] = f
    else
      gone[id] = true
    end
  end
end
for id, f in pairs(refile) do
  if not gone[id] then
    redis.call('ZREM', KEYS[4], id)
    redis.call('ZADD', KEYS[5], f[2], id)
    keep_until(KEYS[5], f[3])
  end
end
local n = 0
for id in pairs(gone) do
  drop(id, session_key, user_sessions_key, {KEYS[3], KEYS[4], KEYS[5]})
  n = n + 1
end
return {n, full}
)lua";

// Why 1000: one purge script stays well under a millisecond of Redis's time.
constexpr long long kPurgeBatch = 1000;

SessionRecord to_session(const std::string& id, const Fields& f) {
  return SessionRecord{id,
                       f.text("secret_hash"),
                       f.text("user_id"),
                       f.integer("created_ms"),
                       f.integer("last_seen_ms"),
                       f.integer("expires_ms"),
                       f.text("ip"),
                       f.text("user_agent"),
                       f.text("remember") == "1",
                       amr_of(f),
                       auth_time_of(f)};
}

}  // namespace

SessionStore::SessionStore(std::shared_ptr<Client> client, Keys keys, std::shared_ptr<ReplicaWait> wait)
    : run_{std::move(client), std::move(keys), std::move(wait)},
      create_(store_script("session_create", kCreate)),
      touch_(store_script("session_touch", kTouch)),
      remove_(store_script("session_remove", kRemove)),
      remove_user_(store_script("session_remove_user", kRemoveUser)),
      purge_(store_script("session_purge", kPurge)) {}

Result<void> SessionStore::create(const SessionRecord& r) {
  auto created = run_(create_, {run_.keys.session(r.id), run_.keys.user_sessions(r.user_id), run_.keys.sessions(),
                                r.remember ? run_.keys.remembered_seen() : run_.keys.sessions_seen()},
                     {r.id, r.secret_hash, r.user_id, std::to_string(r.created_ms), std::to_string(r.last_seen_ms),
                      std::to_string(r.expires_ms), r.ip, r.user_agent, r.remember ? "1" : "0", r.amr.text(), std::to_string(r.auth_time_ms)});
  if (!created) return created.error();
  // Ids are 128 random bits: a clash is a broken generator, not a user error.
  if (created->integer != 1) return Error{ErrorCode::internal, "session id collision"};
  return {};
}

Result<std::vector<SessionRecord>> SessionStore::read(const std::vector<std::string>& ids) {
  return read_records(*run_.client, ids, [&](const std::string& id) { return run_.keys.session(id); }, to_session);
}

Result<SessionRecord> SessionStore::find(const std::string& id) {
  auto found = read({id});
  if (!found) return found.error();
  if (found->empty()) return ErrorCode::not_found;
  return std::move(found->front());
}

Result<std::vector<SessionRecord>> SessionStore::load_active(long long now_ms, const IdleBounds& idle) {
  auto ids = run_.client->pipeline(
      {{"ZRANGEBYSCORE", run_.keys.sessions_seen(), "(" + std::to_string(now_ms - idle.plain_ms), "+inf"},
       {"ZRANGEBYSCORE", run_.keys.remembered_seen(), "(" + std::to_string(now_ms - idle.remembered_ms), "+inf"}});
  if (!ids) return ids.error();
  std::vector<std::string> live = to_strings((*ids)[0]);
  for (auto& id : to_strings((*ids)[1])) live.push_back(std::move(id));
  auto sessions = read(live);
  if (!sessions) return sessions.error();
  std::erase_if(*sessions, [&](const SessionRecord& s) { return idle.deadline(s, s.last_seen_ms) <= now_ms; });
  return sessions;
}

Result<std::vector<SessionRecord>> SessionStore::list_user(const std::string& user_id) {
  // The index is ordered by creation: the list comes out oldest first.
  auto ids = run_.client->command({"ZRANGE", run_.keys.user_sessions(user_id), "0", "-1"});
  if (!ids) return ids.error();
  return read(to_strings(*ids));
}

Result<void> SessionStore::touch(const std::vector<SessionTouch>& touches) {
  if (touches.empty()) return {};
  std::vector<std::string> keys{run_.keys.sessions_seen(), run_.keys.remembered_seen()};
  std::vector<std::string> args;
  for (const auto& t : touches) {
    keys.push_back(run_.keys.session(t.id));
    args.push_back(t.id);
    args.push_back(std::to_string(t.last_seen_ms));
  }
  auto touched = run_(touch_, std::move(keys), std::move(args));
  if (!touched) return touched.error();
  return {};
}

Result<bool> SessionStore::remove_if(const std::string& id, const std::string* user_id) {
  auto removed = run_.revoking(remove_, {run_.keys.session(id), run_.keys.sessions(), run_.keys.sessions_seen(),
                                         run_.keys.remembered_seen()},
                               {id, user_id ? "owner" : "any", user_id ? *user_id : ""});
  if (!removed) return removed.error();
  return removed->integer == 1;
}

Result<bool> SessionStore::remove(const std::string& id) { return remove_if(id, nullptr); }

Result<bool> SessionStore::remove(const std::string& id, const std::string& user_id) { return remove_if(id, &user_id); }

Result<std::vector<std::string>> SessionStore::remove_user(const std::string& user_id, const std::string& keep) {
  auto removed =
      run_.revoking(remove_user_, {run_.keys.user_sessions(user_id), run_.keys.sessions(), run_.keys.sessions_seen(),
                                   run_.keys.remembered_seen()}, {user_id, keep});
  if (!removed) return removed.error();
  return to_strings(*removed);
}

Result<std::size_t> SessionStore::purge_expired(long long now_ms, const IdleBounds& idle) {
  return run_.in_batches(purge_, {run_.keys.sessions(), run_.keys.sessions_seen(), run_.keys.remembered_seen()},
                         {std::to_string(now_ms), std::to_string(now_ms - idle.plain_ms),
                          std::to_string(now_ms - idle.remembered_ms), std::to_string(kPurgeBatch)});
}

}  // namespace cloakroom::redis
