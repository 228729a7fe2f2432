#include "store/redis/throttle_store.h"

namespace cloakroom::redis {
namespace {

// The bucket arithmetic of memory/throttle_store.cpp, the same operations
// in the same order on doubles, so both backends answer the same waits.
// Tokens are written with 17 significant digits: Lua's tostring keeps 14,
// and a rounded bucket would drift from the in-process one.
// NOW is the Redis server's TIME unless the caller passed one (ARGV[1] not
// empty): nodes with skewed clocks then still agree on every bucket. Redis
// 5+ replicates a script's effects, not the script, so TIME is allowed.
constexpr std::string_view kBucket = R"lua(
local NOW = tonumber(ARGV[1])
if not NOW then
  local t = redis.call('TIME')
  NOW = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local function rule(i)
  local limit, window = tonumber(ARGV[2 * i]), tonumber(ARGV[2 * i + 1])
  return limit, window, limit / math.max(1, window)
end
-- {tokens, updated} of bucket i as of NOW, or nil when it is absent (full).
local function refilled(i)
  local f = redis.call('HMGET', KEYS[i], 'tokens', 'updated')
  local tokens, updated = tonumber(f[1]), tonumber(f[2])
  if not tokens or not updated then return nil end
  local limit, _, per_ms = rule(i)
  if NOW > updated then
    tokens = math.min(limit, tokens + (NOW - updated) * per_ms)
    updated = NOW
  end
  return {tokens, updated}
end
local function store(i, s)
  local _, window = rule(i)
  redis.call('HSET', KEYS[i], 'tokens', string.format('%.17g', s[1]), 'updated', string.format('%d', s[2]))
  redis.call('PEXPIRE', KEYS[i], string.format('%d', window))
end
)lua";

// KEYS the buckets; ARGV[1] now (empty: TIME), ARGV[2i], ARGV[2i+1] bucket i's limit and window (ms).
// 0 when one attempt was taken from each, else the longest wait in seconds (nothing taken).
constexpr std::string_view kTake = R"lua(
local wait, after = 0, {}
for i = 1, #KEYS do
  local limit, _, per_ms = rule(i)
  local s = refilled(i) or {limit, NOW}
  if s[1] < 1 then
    local ms = math.ceil((1 - s[1]) / per_ms - 1e-6)
    wait = math.max(wait, math.max(1, math.floor((ms + 999) / 1000)))
  end
  after[i] = s
end
if wait > 0 then return wait end
for i = 1, #KEYS do store(i, {after[i][1] - 1, after[i][2]}) end
return 0
)lua";

// KEYS[1..n] buckets to refund, KEYS[n+1..] buckets to forget; ARGV[1] now (empty: TIME),
// ARGV[2i], ARGV[2i+1] refund bucket i's limit and window, ARGV[2n+2] = n.
constexpr std::string_view kSettle = R"lua(
local n = tonumber(ARGV[#ARGV])
for i = 1, n do
  local s = refilled(i)
  if s then
    local limit = rule(i)
    store(i, {math.min(limit, s[1] + 1), s[2]})
  end
end
for i = n + 1, #KEYS do redis.call('DEL', KEYS[i]) end
return 1
)lua";

Script bucket_script(std::string name, std::string_view body) {
  std::string source(kBucket);
  source += body;
  return Script(std::move(name), std::move(source));
}

}  // namespace

ThrottleStore::ThrottleStore(std::shared_ptr<Client> client, Keys keys, BucketClock clock)
    : client_(std::move(client)),
      keys_(std::move(keys)),
      clock_(clock),
      take_(bucket_script("throttle_take", kTake)),
      settle_(bucket_script("throttle_settle", kSettle)) {}

std::string ThrottleStore::now_arg(long long now_ms) const {
  switch (clock_) {
    case BucketClock::redis: return {};
    case BucketClock::caller: return std::to_string(now_ms);
  }
  return {};
}

Result<std::optional<long long>> ThrottleStore::take(const std::vector<Bucket>& buckets, long long now_ms) {
  std::vector<std::string> keys, args{now_arg(now_ms)};
  for (const Bucket& b : buckets) {
    keys.push_back(keys_.throttle(b.rule->name, b.key));
    args.push_back(std::to_string(b.rule->limit));
    args.push_back(std::to_string(b.rule->window.count()));
  }
  auto wait = client_->eval(take_, keys, args);
  if (!wait) return wait.error();
  if (to_integer(*wait) == 0) return std::optional<long long>{};
  return std::optional<long long>{to_integer(*wait)};
}

Result<void> ThrottleStore::settle(const std::vector<Bucket>& refund, const std::vector<Bucket>& clear,
                                   long long now_ms) {
  if (refund.empty() && clear.empty()) return {};
  std::vector<std::string> keys, args{now_arg(now_ms)};
  for (const Bucket& b : refund) {
    keys.push_back(keys_.throttle(b.rule->name, b.key));
    args.push_back(std::to_string(b.rule->limit));
    args.push_back(std::to_string(b.rule->window.count()));
  }
  for (const Bucket& b : clear) keys.push_back(keys_.throttle(b.rule->name, b.key));
  args.push_back(std::to_string(refund.size()));
  auto settled = client_->eval(settle_, keys, args);
  if (!settled) return settled.error();
  return {};
}

}  // namespace cloakroom::redis
