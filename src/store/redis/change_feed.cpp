#include "store/redis/change_feed.h"

#include <algorithm>
#include <limits>

#include "core/log.h"
#include "core/random.h"

namespace cloakroom::redis {
namespace {

// ARGV[3..5] kind, subject, value.
constexpr std::string_view kAppend = R"lua(
record(ARGV[3], ARGV[4], ARGV[5])
return 1
)lua";

// KEYS[3] origin; ARGV[3] a fresh random origin, kept only if there is none.
// {first entry's position or 0, counter, origin}: in one script, so an entry
// added meanwhile cannot put first past last.
constexpr std::string_view kBounds = R"lua(
local first = redis.call('XRANGE', KEYS[1], '-', '+', 'COUNT', 1)
local last = tonumber(redis.call('GET', KEYS[2]) or '0')
redis.call('SET', KEYS[3], ARGV[3], 'NX')
local n = 0
if #first > 0 then n = tonumber(string.match(first[1][1], '^(%d+)')) end
return {n, last, redis.call('GET', KEYS[3])}
)lua";

// KEYS[3] node, [4] node ids; ARGV[3..9] id, host, address, pid, started, heartbeat, ttl;
// then feed name, position pairs.
constexpr std::string_view kBeat = R"lua(
redis.call('HSET', KEYS[3], 'host', ARGV[4], 'address', ARGV[5], 'pid', ARGV[6], 'started_ms', ARGV[7],
           'heartbeat_ms', ARGV[8])
for i = 10, #ARGV - 1, 2 do redis.call('HSET', KEYS[3], 'pos:' .. ARGV[i], ARGV[i + 1]) end
redis.call('PEXPIRE', KEYS[3], ARGV[9])
redis.call('SADD', KEYS[4], ARGV[3])
redis.call('PEXPIRE', KEYS[4], ARGV[9])
return 1
)lua";

// KEYS[3] node, [4] node ids; ARGV[3] id.
constexpr std::string_view kLeave = R"lua(
redis.call('DEL', KEYS[3])
redis.call('SREM', KEYS[4], ARGV[3])
return 1
)lua";

// KEYS[3] node ids; ARGV[3] before (ms). Forgets nodes beaten before it, and ids whose hash ran out.
constexpr std::string_view kPrune = R"lua(
for _, id in ipairs(redis.call('SMEMBERS', KEYS[3])) do
  local beat = redis.call('HGET', node_key(id), 'heartbeat_ms')
  if not beat or tonumber(beat) < tonumber(ARGV[3]) then
    redis.call('DEL', node_key(id))
    redis.call('SREM', KEYS[3], id)
  end
end
return 1
)lua";

constexpr std::string_view kPositionField = "pos:";
// Why 1000: a prune pages through at most kFeedMaxLen / 1000 reads, once per purge interval.
constexpr long long kPrunePage = 1000;

// "<n>-0" -> n; 0 for an id we did not write.
long long position_of(std::string_view stream_id) { return to_integer(stream_id.substr(0, stream_id.find('-'))); }

}  // namespace

ChangeFeed::ChangeFeed(std::shared_ptr<Client> client, Keys keys)
    : client_(std::move(client)),
      keys_(std::move(keys)),
      name_(client_->url().endpoint()),
      append_(store_script("feed_append", kAppend)),
      bounds_(store_script("feed_bounds", kBounds)) {}

Result<void> ChangeFeed::append(const Change& change) {
  // at_ms is Redis's clock, as for every entry a store script records.
  auto appended = run_script(*client_, keys_, append_, {},
                             {std::string(kind_name(change.kind)), change.subject, std::to_string(change.value)});
  if (!appended) return appended.error();
  return {};
}

Result<std::vector<FeedEntry>> ChangeFeed::read(long long position, std::size_t max) {
  auto entries = client_->command(
      {"XRANGE", keys_.feed(), std::to_string(position + 1) + "-0", "+", "COUNT", std::to_string(max)});
  if (!entries) return entries.error();
  std::vector<FeedEntry> out;
  out.reserve(entries->elements.size());
  for (const Reply& e : entries->elements) {
    Fields f(element(e, 1));
    FeedEntry entry{position_of(element(e, 0).str),
                    Change{Change::Kind::keys_changed, f.text("subject"), f.integer("value"), f.integer("at_ms")}};
    entry.known = kind_from_name(f.text("kind"), entry.change.kind);
    out.push_back(std::move(entry));
  }
  return out;
}

Result<FeedBounds> ChangeFeed::bounds() {
  OsRandom rng;
  auto b = run_script(*client_, keys_, bounds_, {keys_.feed_origin()}, {random_token(rng, 12)});
  if (!b) return b.error();
  const long long first = to_integer(element(*b, 0));
  const long long last = to_integer(element(*b, 1));
  const std::string origin = element(*b, 2).str;
  FeedBounds out{first == 0 ? last + 1 : first, last};
  std::lock_guard lock(origin_mu_);
  if (!origin_.empty() && origin != origin_) {
    log_line("warn", "redis_feed_replaced",
             {{"feed", name_},
              {"detail", "the feed's origin changed: Redis lost its data (restarted empty, or a failover to a replica "
                         "without it); readers resync"}});
    out.first = std::numeric_limits<long long>::max();  // none of what a reader saw is held any more
  }
  origin_ = origin;
  return out;
}

Result<bool> ChangeFeed::changed() {
  auto counter = client_->command({"GET", keys_.feed_counter()});
  if (!counter) return counter.error();
  const long long now = to_integer(*counter);
  return seen_counter_.exchange(now) != now;
}

Result<void> ChangeFeed::prune(long long before_ms) {
  // Entries are in position order and, written by Redis's clock, in time
  // order too: everything before the first young entry goes.
  std::string from = "-";
  long long last_old = 0;
  for (;;) {
    auto page = client_->command({"XRANGE", keys_.feed(), from, "+", "COUNT", std::to_string(kPrunePage)});
    if (!page) return page.error();
    for (const Reply& e : page->elements) {
      if (Fields(element(e, 1)).integer("at_ms") >= before_ms) {
        if (last_old == 0) return {};  // nothing old
        auto trimmed = client_->command({"XTRIM", keys_.feed(), "MINID", element(e, 0).str});
        if (!trimmed) return trimmed.error();
        return {};
      }
      last_old = position_of(element(e, 0).str);
    }
    if (static_cast<long long>(page->elements.size()) < kPrunePage) break;
    from = "(" + element(page->elements.back(), 0).str;
  }
  if (last_old == 0) return {};
  // Everything held is old: trim below the next position (the counter, and so bounds().last, stays).
  auto trimmed = client_->command({"XTRIM", keys_.feed(), "MINID", std::to_string(last_old + 1) + "-0"});
  if (!trimmed) return trimmed.error();
  return {};
}

NodeRegistry::NodeRegistry(std::shared_ptr<Client> client, Keys keys)
    : client_(std::move(client)),
      keys_(std::move(keys)),
      beat_(store_script("node_beat", kBeat)),
      leave_(store_script("node_leave", kLeave)),
      prune_(store_script("node_prune", kPrune)) {}

Result<void> NodeRegistry::beat(const NodeRecord& n) {
  std::vector<std::string> args{n.id,
                                n.host,
                                n.address,
                                std::to_string(n.pid),
                                std::to_string(n.started_ms),
                                std::to_string(n.heartbeat_ms),
                                std::to_string(kNodeTtl.count())};
  for (const auto& [feed, position] : n.applied) {
    args.push_back(feed);
    args.push_back(std::to_string(position));
  }
  auto beaten = run(beat_, {keys_.node(n.id), keys_.nodes()}, std::move(args));
  if (!beaten) return beaten.error();
  return {};
}

Result<void> NodeRegistry::leave(const std::string& id) {
  auto left = run(leave_, {keys_.node(id), keys_.nodes()}, {id});
  if (!left) return left.error();
  return {};
}

Result<std::vector<NodeRecord>> NodeRegistry::list() {
  auto ids = client_->command({"SMEMBERS", keys_.nodes()});
  if (!ids) return ids.error();
  std::vector<std::string> names = to_strings(*ids), keys;
  for (const auto& id : names) keys.push_back(keys_.node(id));
  auto hashes = read_hashes(*client_, keys);
  if (!hashes) return hashes.error();
  std::vector<NodeRecord> out;
  for (std::size_t i = 0; i < names.size(); ++i) {
    const Fields& f = (*hashes)[i];
    if (f.empty()) continue;  // ran out by TTL; prune forgets the id
    NodeRecord n{names[i],          f.text("host"), f.text("address"), f.integer("pid"), f.integer("started_ms"),
                 f.integer("heartbeat_ms"), {}};
    for (const auto& [field, value] : f.all())
      if (field.starts_with(kPositionField)) n.applied.emplace_back(field.substr(kPositionField.size()), to_integer(value));
    out.push_back(std::move(n));
  }
  std::sort(out.begin(), out.end(),
            [](const NodeRecord& a, const NodeRecord& b) { return std::tie(a.started_ms, a.id) < std::tie(b.started_ms, b.id); });
  return out;
}

Result<void> NodeRegistry::prune(long long before_ms) {
  auto pruned = run(prune_, {keys_.nodes()}, {std::to_string(before_ms)});
  if (!pruned) return pruned.error();
  return {};
}

}  // namespace cloakroom::redis
