#include "store/redis/layout.h"

#include <charconv>
#include <cmath>
#include <cstdlib>

#include "core/log.h"

namespace cloakroom::redis {
namespace {

// What every store script starts with. The key names repeat Keys above
// (Lua cannot call C++): keep the two side by side.
//   NOW            Redis's clock in ms (TIME): TTLs are set on the clock that enforces them.
//   keep_until     the key lives until ms + slack at least; a TTL is never shortened.
//   record         appends one feed entry at position INCR(counter); called
//                  before anything changes (a failed script is not rolled back).
//   deny           a denylist entry; a repeat keeps the later deadline (ZADD GT).
//   forget_gone    drops from a user's index the ids whose record ran out by TTL.
//   remove_indexed deletes every record a user's index names but `keep` ('' none),
//                  their ids from the global indexes and the index; the ids
//                  that were stored.
//   drop           deletes one record (if stored) with its id in its user's
//                  index and in the global indexes.
constexpr std::string_view kPreamble = R"lua(
local P, MAXLEN = ARGV[1], ARGV[2]
local NOW
do
  local t = redis.call('TIME')
  NOW = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local function num(x) return string.format('%d', tonumber(x)) end
local function session_key(id) return P .. 's:' .. id end
local function user_sessions_key(u) return P .. '{u:' .. u .. '}:s' end
local function family_key(id) return P .. 'f:' .. id end
local function user_families_key(u) return P .. '{u:' .. u .. '}:f' end
local function node_key(id) return P .. 'node:' .. id end
local function keep_until(key, ms)
  local at = math.max(tonumber(ms), NOW) + SLACK
  local cur = redis.call('PEXPIRETIME', key)
  if cur == -2 or cur >= at then return end
  redis.call('PEXPIREAT', key, num(at))
end
local function record(kind, subject, value)
  local n = redis.call('INCR', KEYS[2])
  redis.call('XADD', KEYS[1], 'MAXLEN', '~', MAXLEN, num(n) .. '-0',
             'kind', kind, 'subject', subject, 'value', num(value), 'at_ms', num(NOW))
end
local function deny(key, member, until_ms)
  redis.call('ZADD', key, 'GT', num(until_ms), member)
  keep_until(key, until_ms)
end
local function forget_gone(index, key_of)
  for _, id in ipairs(redis.call('ZRANGE', index, 0, -1)) do
    if redis.call('EXISTS', key_of(id)) == 0 then redis.call('ZREM', index, id) end
  end
end
local function remove_indexed(index, key_of, globals, keep)
  local removed = {}
  for _, id in ipairs(redis.call('ZRANGE', index, 0, -1)) do
    if id ~= keep then
      if redis.call('DEL', key_of(id)) == 1 then removed[#removed + 1] = id end
      for _, g in ipairs(globals) do redis.call('ZREM', g, id) end
      redis.call('ZREM', index, id)
    end
  end
  return removed
end
local function drop(id, key_of, user_index_of, globals)
  local user = redis.call('HGET', key_of(id), 'user_id')
  if user then
    redis.call('DEL', key_of(id))
    redis.call('ZREM', user_index_of(user), id)
  end
  for _, g in ipairs(globals) do redis.call('ZREM', g, id) end
end
)lua";

// Why 500: one round trip carries a few hundred KB at most.
constexpr std::size_t kReadBatch = 500;

// The arguments every store script gets before a body's own.
void add_store_arguments(const Keys& keys, std::vector<std::string>& script_keys, std::vector<std::string>& args) {
  script_keys.insert(script_keys.begin(), {keys.feed(), keys.feed_counter()});
  args.insert(args.begin(), {keys.prefix, std::to_string(kFeedMaxLen)});
}

}  // namespace

Script store_script(std::string name, std::string_view body) {
  std::string source = "local SLACK = " + std::to_string(kSlack.count()) + "\n";
  source += kPreamble;
  source += body;
  return Script(std::move(name), std::move(source));
}

Result<Reply> ScriptRunner::operator()(const Script& script, std::vector<std::string> script_keys,
                                       std::vector<std::string> args) const {
  add_store_arguments(keys, script_keys, args);
  return client->eval(script, script_keys, args);
}

Result<std::size_t> ScriptRunner::in_batches(const Script& script, std::vector<std::string> script_keys,
                                             std::vector<std::string> args) const {
  std::size_t n = 0;
  for (;;) {
    auto batch = (*this)(script, script_keys, args);
    if (!batch) return batch.error();
    n += static_cast<std::size_t>(to_integer(element(*batch, 0)));
    if (to_integer(element(*batch, 1)) == 0) return n;
  }
}

ReplicaWait::ReplicaWait(Options options, std::shared_ptr<StoreCounters> counters)
    : options_(options), counters_(std::move(counters)) {}

void ReplicaWait::record(long long acknowledged, std::string_view op) {
  const bool fell_short = acknowledged < options_.replicas;
  if (fell_short) counters_->revocations_short_of_replicas.fetch_add(1, std::memory_order_relaxed);
  if (short_.exchange(fell_short) == fell_short) return;
  if (fell_short)
    log_line("warn", "redis_wait_short",
             {{"op", op},
              {"replicas", std::to_string(acknowledged)},
              {"wanted", std::to_string(options_.replicas)},
              {"timeout_ms", std::to_string(options_.timeout.count())},
              {"effect", "revocations stand on the primary but a failover now could lose them; counted in "
                         "cloakroom_revocations_short_of_replicas_total, logged again when replicas keep up"}});
  else
    log_line("info", "redis_wait_ok", {{"op", op}, {"replicas", std::to_string(acknowledged)}});
}

Result<Reply> ScriptRunner::revoking(const Script& script, std::vector<std::string> script_keys,
                                     std::vector<std::string> args) const {
  if (!wait || wait->options().replicas <= 0) return (*this)(script, std::move(script_keys), std::move(args));
  const ReplicaWait::Options& o = wait->options();
  add_store_arguments(keys, script_keys, args);
  auto replies = client->eval_then(script, script_keys, args,
                                   {{"WAIT", std::to_string(o.replicas), std::to_string(o.timeout.count())}}, o.timeout);
  if (!replies) return replies.error();
  // An error reply to WAIT (say, a replica named as the primary) counts as
  // no replica: the revocation itself stands.
  const bool counted = replies->size() > 1 && (*replies)[1].type == Reply::Type::integer;
  wait->record(counted ? (*replies)[1].integer : 0, script.name());
  return std::move(replies->front());
}

Fields::Fields(const Reply& hgetall) {
  for (std::size_t i = 0; i + 1 < hgetall.elements.size(); i += 2)
    values_.emplace(hgetall.elements[i].str, hgetall.elements[i + 1].str);
}

std::string Fields::text(const std::string& name) const {
  auto it = values_.find(name);
  return it == values_.end() ? std::string() : it->second;
}

AuthMethods amr_of(const Fields& f) {
  return f.all().contains("amr") ? AuthMethods::parse(f.text("amr")) : AuthMethods::password();
}

long long auth_time_of(const Fields& f) {
  return f.all().contains("auth_time_ms") ? f.integer("auth_time_ms") : f.integer("created_ms");
}

long long Fields::integer(const std::string& name) const {
  auto it = values_.find(name);
  return it == values_.end() ? 0 : to_integer(it->second);
}

long long to_integer(std::string_view text) {
  long long v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec == std::errc{} && end == text.data() + text.size()) return v;
  // A sorted set score: a double printed by Redis ("1.5e+12" is possible in principle).
  std::string copy(text);
  char* stop = nullptr;
  double d = std::strtod(copy.c_str(), &stop);
  return stop && *stop == '\0' && std::isfinite(d) ? std::llround(d) : 0;
}

long long to_integer(const Reply& r) {
  if (r.type == Reply::Type::integer) return r.integer;
  if (r.type == Reply::Type::string || r.type == Reply::Type::status) return to_integer(r.str);
  return 0;
}

const Reply& element(const Reply& r, std::size_t i) {
  static const Reply kNil;
  return i < r.elements.size() ? r.elements[i] : kNil;
}

std::vector<std::string> to_strings(const Reply& r) {
  std::vector<std::string> out;
  out.reserve(r.elements.size());
  for (const Reply& e : r.elements) out.push_back(e.str);
  return out;
}

Result<std::vector<Fields>> read_hashes(Client& client, const std::vector<std::string>& keys) {
  std::vector<Fields> out;
  out.reserve(keys.size());
  for (std::size_t at = 0; at < keys.size(); at += kReadBatch) {
    std::vector<Command> batch;
    for (std::size_t i = at; i < std::min(keys.size(), at + kReadBatch); ++i) batch.push_back({"HGETALL", keys[i]});
    auto replies = client.pipeline(batch);
    if (!replies) return replies.error();
    for (const Reply& r : *replies) out.emplace_back(r);
  }
  return out;
}

}  // namespace cloakroom::redis
