#include "store/redis/challenge_store.h"

#include <algorithm>

#include "core/digest.h"

namespace cloakroom::redis {
namespace {

// KEYS[1] the challenge, [2] its kind's ids by expiry; ARGV kind, payload, expires_ms, ttl_ms, now_ms, max_per_kind,
// id (hex). 1 kept, 0 the id was taken, -1 full (after dropping the expired ids from the count).
constexpr char kPut[] = R"lua(
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
if redis.call('ZCARD', KEYS[2]) >= tonumber(ARGV[6]) then
  redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', ARGV[5])
  if redis.call('ZCARD', KEYS[2]) >= tonumber(ARGV[6]) then return -1 end
end
redis.call('HSET', KEYS[1], 'kind', ARGV[1], 'payload', ARGV[2], 'expires', ARGV[3], 'attempts', 0)
redis.call('PEXPIRE', KEYS[1], ARGV[4])
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[7])
if redis.call('PTTL', KEYS[2]) < tonumber(ARGV[4]) then redis.call('PEXPIRE', KEYS[2], ARGV[4]) end
return 1
)lua";

// KEYS[1] the challenge, [2] its kind's ids by expiry; ARGV kind, now_ms, max_attempts, id (hex).
// {payload, expires, attempts after this one}, or nil (and removed when expired or spent).
constexpr char kAttempt[] = R"lua(
local f = redis.call('HMGET', KEYS[1], 'kind', 'payload', 'expires', 'attempts')
if not f[1] or f[1] ~= ARGV[1] then return false end
if tonumber(f[3]) <= tonumber(ARGV[2]) or tonumber(f[4]) >= tonumber(ARGV[3]) then
  redis.call('DEL', KEYS[1])
  redis.call('ZREM', KEYS[2], ARGV[4])
  return false
end
local n = redis.call('HINCRBY', KEYS[1], 'attempts', 1)
return {f[2], f[3], n}
)lua";

// KEYS[1] the challenge; ARGV the prefix of the ids-by-expiry keys (the
// kind, read here, completes it: consume() is not told the kind), id (hex).
// 1 removed, 0 none.
constexpr char kConsume[] = R"lua(
local kind = redis.call('HGET', KEYS[1], 'kind')
if not kind then return 0 end
redis.call('DEL', KEYS[1])
redis.call('ZREM', ARGV[1] .. kind, ARGV[2])
return 1
)lua";

}  // namespace

ChallengeStore::ChallengeStore(std::shared_ptr<Client> client, Keys keys, std::size_t max_per_kind)
    : client_(std::move(client)),
      keys_(std::move(keys)),
      max_per_kind_(max_per_kind),
      put_("challenge_put", kPut),
      attempt_("challenge_attempt", kAttempt),
      consume_("challenge_consume", kConsume) {}

Result<void> ChallengeStore::put(const PendingChallenge& c, long long now_ms) {
  // The TTL runs on Redis's clock: kSlack past the expiry by ours, so a
  // clock that lags Redis's never finds a live challenge gone.
  const long long ttl = std::max<long long>(1, c.expires_ms - now_ms) + kSlack.count();
  const std::string hex = lower_hex(c.id_hash);
  auto kept = client_->eval(put_, {keys_.challenge(hex), keys_.challenges(c.kind)},
                            {c.kind, c.payload, std::to_string(c.expires_ms), std::to_string(ttl),
                             std::to_string(now_ms), std::to_string(max_per_kind_), hex});
  if (!kept) return kept.error();
  if (to_integer(*kept) == -1) return challenges_full();
  if (to_integer(*kept) != 1) return Error{ErrorCode::internal, "challenge id collision"};
  return {};
}

Result<std::optional<PendingChallenge>> ChallengeStore::attempt(const std::string& id_hash, std::string_view kind,
                                                                long long now_ms, int max_attempts) {
  const std::string hex = lower_hex(id_hash);
  auto r = client_->eval(attempt_, {keys_.challenge(hex), keys_.challenges(kind)},
                         {std::string(kind), std::to_string(now_ms), std::to_string(max_attempts), hex});
  if (!r) return r.error();
  if (r->type != Reply::Type::array) return std::optional<PendingChallenge>{};
  return std::optional<PendingChallenge>{PendingChallenge{id_hash, std::string(kind), element(*r, 0).str,
                                                          to_integer(element(*r, 1)),
                                                          static_cast<int>(to_integer(element(*r, 2)))}};
}

Result<bool> ChallengeStore::consume(const std::string& id_hash) {
  const std::string hex = lower_hex(id_hash);
  auto removed = client_->eval(consume_, {keys_.challenge(hex)}, {keys_.challenges(""), hex});
  if (!removed) return removed.error();
  return to_integer(*removed) == 1;
}

Result<std::size_t> ChallengeStore::purge_expired(long long) { return std::size_t{0}; }

}  // namespace cloakroom::redis
