#include "store/redis/layout.h"

#include <charconv>
#include <cmath>
#include <cstdlib>

namespace cloakroom::redis {
namespace {

// What every store script starts with. The key names repeat Keys above
// (Lua cannot call C++): keep the two side by side.
//   NOW            Redis's clock in ms (TIME): TTLs are set on the clock that enforces them.
//   keep_until     the key lives until ms + slack at least; a TTL is never shortened.
//   record         appends one feed entry at position INCR(counter); called
//                  before anything changes (a failed script is not rolled back).
//   deny           a denylist entry; a repeat keeps the later deadline (ZADD GT).
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
)lua";

// Why 500: one round trip carries a few hundred KB at most.
constexpr std::size_t kReadBatch = 500;

}  // namespace

Script store_script(std::string name, std::string_view body) {
  std::string source = "local SLACK = " + std::to_string(kSlack.count()) + "\n";
  source += kPreamble;
  source += body;
  return Script(std::move(name), std::move(source));
}

Result<Reply> run_script(Client& client, const Keys& keys, const Script& script, std::vector<std::string> script_keys,
                         std::vector<std::string> args) {
  script_keys.insert(script_keys.begin(), {keys.feed(), keys.feed_counter()});
  args.insert(args.begin(), {keys.prefix, std::to_string(kFeedMaxLen)});
  return client.eval(script, script_keys, args);
}

Fields::Fields(const Reply& hgetall) {
  for (std::size_t i = 0; i + 1 < hgetall.elements.size(); i += 2)
    values_.emplace(hgetall.elements[i].str, hgetall.elements[i + 1].str);
}

std::string Fields::text(const std::string& name) const {
  auto it = values_.find(name);
  return it == values_.end() ? std::string() : it->second;
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
