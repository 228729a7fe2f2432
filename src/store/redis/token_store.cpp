#include "store/redis/token_store.h"

#include <algorithm>

#include "store/change_feed.h"

namespace cloakroom::redis {
namespace {

// KEYS[3] family, [4] user index, [5] by expiry. ARGV[3..13] id, user_id, chain_key,
// current_hash, generation, created, rotated, expires, ip, user_agent, remember; [14..15] amr, auth_time.
constexpr std::string_view kCreate = R"lua(
if redis.call('EXISTS', KEYS[3]) == 1 then return 0 end
-- Ids whose family ran out by TTL leave the user's index here, so it holds only live ones.
forget_gone(KEYS[4], family_key)
redis.call('HSET', KEYS[3], 'user_id', ARGV[4], 'chain_key', ARGV[5], 'current_hash', ARGV[6], 'generation', ARGV[7],
           'created_ms', ARGV[8], 'rotated_ms', ARGV[9], 'expires_ms', ARGV[10], 'ip', ARGV[11],
           'user_agent', ARGV[12], 'remember', ARGV[13], 'amr', ARGV[14], 'auth_time_ms', ARGV[15])
keep_until(KEYS[3], ARGV[10])
redis.call('ZADD', KEYS[4], ARGV[8], ARGV[3])
keep_until(KEYS[4], ARGV[10])
redis.call('ZADD', KEYS[5], ARGV[10], ARGV[3])
keep_until(KEYS[5], ARGV[10])
return 1
)lua";

// The compare-and-swap: of two rotations from one generation, on any nodes,
// exactly one finds it unchanged. KEYS[3] family, [4] by expiry.
// ARGV[3..7] id, from generation, next hash, now, expires.
constexpr std::string_view kRotate = R"lua(
local f = redis.call('HMGET', KEYS[3], 'generation', 'user_id')
if not f[1] or tonumber(f[1]) ~= tonumber(ARGV[4]) then return 0 end
redis.call('HSET', KEYS[3], 'generation', num(tonumber(f[1]) + 1), 'current_hash', ARGV[5], 'rotated_ms', ARGV[6],
           'expires_ms', ARGV[7])
keep_until(KEYS[3], ARGV[7])
redis.call('ZADD', KEYS[4], ARGV[7], ARGV[3])
keep_until(KEYS[4], ARGV[7])
keep_until(user_families_key(f[2]), ARGV[7])
return 1
)lua";

// KEYS[3] family, [4] by expiry, [5] denylist. ARGV[3..7] id, until, "any" or "owner", owner, now.
// The owned form acts only on a live family of that user: otherwise it
// denies nothing, or anyone could end another's tokens by id.
constexpr std::string_view kRevoke = R"lua(
local f = redis.call('HMGET', KEYS[3], 'user_id', 'expires_ms')
if ARGV[5] == 'owner' and (f[1] ~= ARGV[6] or tonumber(f[2]) <= tonumber(ARGV[7])) then return 0 end
record('family_revoked', ARGV[3], ARGV[4])
deny(KEYS[5], 'sid:' .. ARGV[3], ARGV[4])
redis.call('ZREM', KEYS[4], ARGV[3])
if not f[1] then return 0 end
redis.call('DEL', KEYS[3])
redis.call('ZREM', user_families_key(f[1]), ARGV[3])
return 1
)lua";

// KEYS[3] family, [4] epochs. {the family's fields (HGETALL; none when
// it is gone), its user's epoch}: one script, so both are of one moment.
constexpr std::string_view kFindWithEpoch = R"lua(
local f = redis.call('HGETALL', KEYS[3])
if #f == 0 then return {f, 0} end
local user = redis.call('HGET', KEYS[3], 'user_id')
return {f, tonumber(redis.call('HGET', KEYS[4], user) or '0')}
)lua";

// raise_epoch(epochs key, user id): the epoch + 1, recorded first; the new epoch.
constexpr std::string_view kRaiseEpoch = R"lua(
local function raise_epoch(key, user)
  local e = tonumber(redis.call('HGET', key, user) or '0') + 1
  record('epoch_raised', user, e)
  redis.call('HSET', key, user, num(e))
  return e
end
)lua";

// KEYS[3] epochs, [4] user's family index, [5] families by expiry; ARGV[3]
// user id, [4] the family to keep ('' none). {the new epoch, the ids removed}: logout-all in one step, so no
// refresh reads the raised epoch beside a family still there.
constexpr std::string_view kEndUser = R"lua(
local e = raise_epoch(KEYS[3], ARGV[3])
return {e, remove_indexed(KEYS[4], family_key, {KEYS[5]}, ARGV[4])}
)lua";

// KEYS[3] denylist; ARGV[3..6] member kind ("jti"/"sid"), id, until, feed kind.
constexpr std::string_view kDeny = R"lua(
record(ARGV[6], ARGV[4], ARGV[5])
deny(KEYS[3], ARGV[3] .. ':' .. ARGV[4], ARGV[5])
return 1
)lua";

// KEYS[3] epochs; ARGV[3] user id. The new epoch.
constexpr std::string_view kBumpEpoch = R"lua(
return raise_epoch(KEYS[3], ARGV[3])
)lua";

// KEYS[3] families by expiry, [4] denylist; ARGV[3] now, [4] batch.
// {removed, 1 when the batch was full (call again)}.
constexpr std::string_view kPurge = R"lua(
local ids = redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', ARGV[3], 'LIMIT', 0, ARGV[4])
for _, id in ipairs(ids) do drop(id, family_key, user_families_key, {KEYS[3]}) end
local denied = redis.call('ZREMRANGEBYSCORE', KEYS[4], '-inf', ARGV[3])
return {#ids + denied, #ids == tonumber(ARGV[4]) and 1 or 0}
)lua";

constexpr long long kPurgeBatch = 1000;  // as for sessions: one script stays short

// The denylist's member names, as sqlite's kind column: "jti:<id>", "sid:<id>".
std::string_view member_kind(Revocation::Kind k) { return k == Revocation::Kind::token ? "jti" : "sid"; }

RefreshFamilyRecord to_family(const std::string& id, const Fields& f) {
  return RefreshFamilyRecord{id,
                             f.text("user_id"),
                             f.text("chain_key"),
                             f.text("current_hash"),
                             f.integer("generation"),
                             f.integer("created_ms"),
                             f.integer("rotated_ms"),
                             f.integer("expires_ms"),
                             f.text("ip"),
                             f.text("user_agent"),
                             f.text("remember") == "1",
                             amr_of(f),
                             auth_time_of(f)};
}

}  // namespace

TokenStore::TokenStore(std::shared_ptr<Client> client, Keys keys, std::shared_ptr<ReplicaWait> wait)
    : run_{std::move(client), std::move(keys), std::move(wait)},
      create_(store_script("family_create", kCreate)),
      rotate_(store_script("family_rotate", kRotate)),
      revoke_(store_script("family_revoke", kRevoke)),
      find_with_epoch_(store_script("family_find_with_epoch", kFindWithEpoch)),
      end_user_(store_script("family_end_user", std::string(kRaiseEpoch) + std::string(kEndUser))),
      deny_(store_script("deny", kDeny)),
      bump_epoch_(store_script("bump_epoch", std::string(kRaiseEpoch) + std::string(kBumpEpoch))),
      purge_(store_script("token_purge", kPurge)) {}

Result<void> TokenStore::create_family(const RefreshFamilyRecord& f) {
  auto created = run_(create_, {run_.keys.family(f.id), run_.keys.user_families(f.user_id), run_.keys.families()},
                     {f.id, f.user_id, f.chain_key, f.current_hash, std::to_string(f.generation),
                      std::to_string(f.created_ms), std::to_string(f.rotated_ms), std::to_string(f.expires_ms), f.ip,
                      f.user_agent, f.remember ? "1" : "0", f.amr.text(), std::to_string(f.auth_time_ms)});
  if (!created) return created.error();
  // Ids are 128 random bits: a clash is a broken generator, not a user error.
  if (created->integer != 1) return Error{ErrorCode::internal, "refresh family id collision"};
  return {};
}

Result<RefreshFamilyRecord> TokenStore::find_family(const std::string& id) {
  auto hash = run_.client->command({"HGETALL", run_.keys.family(id)});
  if (!hash) return hash.error();
  Fields f(*hash);
  if (f.empty()) return ErrorCode::not_found;
  return to_family(id, f);
}

Result<FamilyAndEpoch> TokenStore::find_family_and_epoch(const std::string& id) {
  auto read = run_(find_with_epoch_, {run_.keys.family(id), run_.keys.epochs()}, {});
  if (!read) return read.error();
  Fields f(element(*read, 0));
  if (f.empty()) return ErrorCode::not_found;
  return FamilyAndEpoch{to_family(id, f), to_integer(element(*read, 1))};
}

Result<bool> TokenStore::rotate_family(const std::string& id, long long from_generation, const std::string& next_hash,
                                       long long now_ms, long long expires_ms) {
  auto rotated = run_(rotate_, {run_.keys.family(id), run_.keys.families()},
                     {id, std::to_string(from_generation), next_hash, std::to_string(now_ms), std::to_string(expires_ms)});
  if (!rotated) return rotated.error();
  return rotated->integer == 1;
}

Result<std::vector<RefreshFamilyRecord>> TokenStore::read_live(const std::vector<std::string>& ids, long long now_ms) {
  auto families = read_records(*run_.client, ids, [&](const std::string& id) { return run_.keys.family(id); }, to_family);
  if (!families) return families.error();
  std::erase_if(*families, [&](const RefreshFamilyRecord& f) { return f.expires_ms <= now_ms; });
  return families;
}

Result<std::vector<RefreshFamilyRecord>> TokenStore::list_user_families(const std::string& user_id, long long now_ms) {
  // The index is ordered by creation: the list comes out oldest first.
  auto ids = run_.client->command({"ZRANGE", run_.keys.user_families(user_id), "0", "-1"});
  if (!ids) return ids.error();
  return read_live(to_strings(*ids), now_ms);
}

Result<std::vector<RefreshFamilyRecord>> TokenStore::list_active_families(long long now_ms) {
  auto ids = run_.client->command({"ZRANGEBYSCORE", run_.keys.families(), "(" + std::to_string(now_ms), "+inf"});
  if (!ids) return ids.error();
  auto families = read_live(to_strings(*ids), now_ms);
  if (!families) return families.error();
  std::stable_sort(families->begin(), families->end(),
                   [](const auto& a, const auto& b) { return a.created_ms < b.created_ms; });
  return families;
}

Result<bool> TokenStore::revoke(const std::string& id, const std::string* user_id, long long now_ms,
                                long long until_ms) {
  auto revoked = run_.revoking(revoke_, {run_.keys.family(id), run_.keys.families(), run_.keys.denylist()},
                               {id, std::to_string(until_ms), user_id ? "owner" : "any", user_id ? *user_id : "",
                                std::to_string(now_ms)});
  if (!revoked) return revoked.error();
  return revoked->integer == 1;
}

Result<bool> TokenStore::revoke_family(const std::string& id, long long until_ms) {
  return revoke(id, nullptr, 0, until_ms);
}

Result<bool> TokenStore::revoke_family(const std::string& id, const std::string& user_id, long long now_ms,
                                       long long until_ms) {
  return revoke(id, &user_id, now_ms, until_ms);
}

Result<EndedFamilies> TokenStore::end_user_families(const std::string& user_id, const std::string& keep) {
  auto ended = run_.revoking(end_user_, {run_.keys.epochs(), run_.keys.user_families(user_id), run_.keys.families()},
                             {user_id, keep});
  if (!ended) return ended.error();
  return EndedFamilies{to_integer(element(*ended, 0)), to_strings(element(*ended, 1))};
}

Result<void> TokenStore::deny(const Revocation& r) {
  const auto feed_kind = r.kind == Revocation::Kind::token ? Change::Kind::token_denied : Change::Kind::family_revoked;
  auto denied = run_.revoking(deny_, {run_.keys.denylist()}, {std::string(member_kind(r.kind)), r.id,
                                                          std::to_string(r.until_ms), std::string(kind_name(feed_kind))});
  if (!denied) return denied.error();
  return {};
}

Result<std::vector<Revocation>> TokenStore::load_denylist(long long now_ms) {
  auto entries =
      run_.client->command({"ZRANGEBYSCORE", run_.keys.denylist(), "(" + std::to_string(now_ms), "+inf", "WITHSCORES"});
  if (!entries) return entries.error();
  std::vector<Revocation> out;
  for (std::size_t i = 0; i + 1 < entries->elements.size(); i += 2) {
    std::string_view member = entries->elements[i].str;
    auto colon = member.find(':');
    if (colon == std::string_view::npos) continue;  // not ours
    auto kind = member.substr(0, colon) == member_kind(Revocation::Kind::token) ? Revocation::Kind::token
                                                                               : Revocation::Kind::family;
    out.push_back(Revocation{kind, std::string(member.substr(colon + 1)), to_integer(entries->elements[i + 1])});
  }
  return out;
}

Result<long long> TokenStore::bump_epoch(const std::string& user_id) {
  auto e = run_.revoking(bump_epoch_, {run_.keys.epochs()}, {user_id});
  if (!e) return e.error();
  return e->integer;
}

Result<long long> TokenStore::epoch(const std::string& user_id) {
  auto e = run_.client->command({"HGET", run_.keys.epochs(), user_id});
  if (!e) return e.error();
  return to_integer(*e);  // nil (never bumped) is 0
}

Result<std::vector<std::pair<std::string, long long>>> TokenStore::load_epochs() {
  auto all = run_.client->command({"HGETALL", run_.keys.epochs()});
  if (!all) return all.error();
  std::vector<std::pair<std::string, long long>> out;
  const Fields epochs(*all);
  for (const auto& [user, epoch] : epochs.all()) out.emplace_back(user, to_integer(epoch));
  return out;
}

Result<std::size_t> TokenStore::purge_expired(long long now_ms) {
  return run_.in_batches(purge_, {run_.keys.families(), run_.keys.denylist()}, {std::to_string(now_ms), std::to_string(kPurgeBatch)});
}

}  // namespace cloakroom::redis
