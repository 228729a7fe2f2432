#include "store/redis/change_feed.h"

#include <algorithm>
#include <limits>

#include "core/clock.h"
#include "core/log.h"
#include "core/random.h"

namespace cloakroom::redis {
namespace {

// ARGV[3..5] kind, subject, value.
constexpr std::string_view kAppend = R"lua(
record(ARGV[3], ARGV[4], ARGV[5])
return 1
)lua";

// KEYS[3] origin; ARGV[3] a fresh random origin, kept only if there is
// none; ARGV[4] the position of the entry last seen (0: none).
// {first entry's position or 0, counter, origin, [the entry at ARGV[4]],
// [the newest entry]}: in one script, so an entry added meanwhile cannot put
// first past last.
constexpr std::string_view kBounds = R"lua(
local first = redis.call('XRANGE', KEYS[1], '-', '+', 'COUNT', 1)
local last = tonumber(redis.call('GET', KEYS[2]) or '0')
redis.call('SET', KEYS[3], ARGV[3], 'NX')
local n = 0
if #first > 0 then n = tonumber(string.match(first[1][1], '^(%d+)')) end
local seen = {}
if tonumber(ARGV[4]) > 0 then seen = redis.call('XRANGE', KEYS[1], ARGV[4] .. '-0', ARGV[4] .. '-0') end
return {n, last, redis.call('GET', KEYS[3]), seen, redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)}
)lua";

// KEYS[3] node, [4] node ids; ARGV[3..10] id, host, address, pid, started, ttl,
// kids (space-separated), keys refused (0/1); then feed name, position pairs.
// The heartbeat is Redis's clock (NOW), not the node's: nodes on several
// hosts are judged live by one clock, so a host whose clock runs behind does
// not look gone (and is not skipped by a waiting CLI while it still accepts
// what was revoked).
constexpr std::string_view kBeat = R"lua(
redis.call('HSET', KEYS[3], 'host', ARGV[4], 'address', ARGV[5], 'pid', ARGV[6], 'started_ms', ARGV[7],
           'heartbeat_ms', num(NOW), 'kids', ARGV[9], 'keys_refused', ARGV[10])
for i = 11, #ARGV - 1, 2 do redis.call('HSET', KEYS[3], 'pos:' .. ARGV[i], ARGV[i + 1]) end
redis.call('PEXPIRE', KEYS[3], ARGV[8])
redis.call('SADD', KEYS[4], ARGV[3])
redis.call('PEXPIRE', KEYS[4], ARGV[8])
return 1
)lua";

// KEYS[3] node, [4] node ids; ARGV[3] id.
constexpr std::string_view kLeave = R"lua(
redis.call('DEL', KEYS[3])
redis.call('SREM', KEYS[4], ARGV[3])
return 1
)lua";

// KEYS[3] node ids; ARGV[3] an age (ms). Forgets nodes that have not beaten
// for longer by Redis's clock, and ids whose hash ran out.
constexpr std::string_view kPrune = R"lua(
for _, id in ipairs(redis.call('SMEMBERS', KEYS[3])) do
  local beat = redis.call('HGET', node_key(id), 'heartbeat_ms')
  if not beat or tonumber(beat) < NOW - tonumber(ARGV[3]) then
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

// What tells one entry from another written at the same position in
// another history: everything it says, down to the millisecond (Redis's
// clock) it was written.
std::string fingerprint(const Fields& f) {
  return f.text("kind") + '\n' + f.text("subject") + '\n' + f.text("value") + '\n' + f.text("at_ms");
}

}  // namespace

ChangeFeed::ChangeFeed(std::shared_ptr<Client> client, Keys keys, FeedWait wait)
    : run_{std::move(client), std::move(keys), nullptr},
      wait_(std::move(wait)),
      name_(run_.client->url().endpoint()),
      append_(store_script("feed_append", kAppend)),
      bounds_(store_script("feed_bounds", kBounds)) {}

Result<void> ChangeFeed::append(const Change& change) {
  // at_ms is Redis's clock, as for every entry a store script records.
  auto appended = run_(append_, {}, {std::string(kind_name(change.kind)), change.subject, std::to_string(change.value)});
  if (!appended) return appended.error();
  return {};
}

bool ChangeFeed::differs_from_seen(long long position, const Fields& entry) const {
  return position == seen_.position && fingerprint(entry) != seen_.fingerprint;
}

void ChangeFeed::history_lost(std::string_view detail) {
  if (std::exchange(lost_, true)) return;
  log_line("warn", "redis_feed_diverged", {{"feed", name_}, {"detail", detail}});
}

Result<std::vector<FeedEntry>> ChangeFeed::read(long long position, std::size_t max) {
  // From the entry at `position` itself: when it is the one seen last, it
  // shows the dataset still holds the history read so far.
  auto entries = run_.client->command(
      {"XRANGE", run_.keys.feed(), std::to_string(position) + "-0", "+", "COUNT", std::to_string(max + 1)});
  if (!entries) return entries.error();
  std::vector<FeedEntry> out;
  out.reserve(entries->elements.size());
  std::lock_guard lock(history_mu_);
  std::string newest;
  for (const Reply& e : entries->elements) {
    const long long at = position_of(element(e, 0).str);
    Fields f(element(e, 1));
    if (differs_from_seen(at, f))
      history_lost("another entry stands where this process read one (a failover to a replica that lagged, or "
                   "Redis restarted from an older copy); readers resync");
    if (at <= position || out.size() == max) continue;
    FeedEntry entry{at, Change{Change::Kind::keys_changed, f.text("subject"), f.integer("value"), f.integer("at_ms")}};
    entry.known = kind_from_name(f.text("kind"), entry.change.kind);
    out.push_back(std::move(entry));
    newest = fingerprint(f);
  }
  // Nothing of another history is handed out as if it followed this one;
  // bounds() reports the loss, and the reader resyncs.
  if (lost_) return std::vector<FeedEntry>{};
  if (!out.empty()) seen_ = Seen{out.back().position, std::move(newest)};
  return out;
}

Result<FeedBounds> ChangeFeed::bounds() {
  OsRandom rng;
  long long seen_at = 0;
  {
    std::lock_guard lock(history_mu_);
    seen_at = seen_.position;
  }
  auto b = run_(bounds_, {run_.keys.feed_origin()}, {random_token(rng, 12), std::to_string(seen_at)});
  if (!b) return b.error();
  const long long first = to_integer(element(*b, 0));
  const long long last = to_integer(element(*b, 1));
  const std::string origin = element(*b, 2).str;
  const Reply& seen = element(element(*b, 3), 0);      // [id, fields], or nil
  const Reply& newest = element(element(*b, 4), 0);    // the same
  FeedBounds out{first == 0 ? last + 1 : first, last};
  std::lock_guard lock(history_mu_);
  if (!origin_.empty() && origin != origin_) {
    log_line("warn", "redis_feed_replaced",
             {{"feed", name_},
              {"detail", "the feed's origin changed: Redis lost its data (restarted empty, or a failover to a replica "
                         "without it); readers resync"}});
    lost_ = true;
  } else if (seen_.position == seen_at && seen_at > 0) {
    // The same origin (a replica has it too), so the entries tell: the one
    // seen last must still stand at its position, unless trimmed away.
    if (last < seen_at)
      history_lost("the feed's counter went back below an entry this process read (a failover to a replica that "
                   "lagged, or Redis restarted from an older copy); readers resync");
    else if (!seen.is_nil() && differs_from_seen(seen_at, Fields(element(seen, 1))))
      history_lost("another entry stands where this process read one (a failover to a replica that lagged, or "
                   "Redis restarted from an older copy); readers resync");
    else if (seen.is_nil() && first != 0 && first <= seen_at)
      history_lost("an entry this process read is missing from the feed (a failover to a replica that lagged); "
                   "readers resync");
  }
  origin_ = origin;
  if (std::exchange(lost_, false)) {
    out.first = std::numeric_limits<long long>::max();  // none of what a reader saw is held any more
    seen_ = {};
  }
  // The newest entry is where the next check starts from.
  if (!newest.is_nil() && position_of(element(newest, 0).str) >= seen_.position)
    seen_ = Seen{position_of(element(newest, 0).str), fingerprint(Fields(element(newest, 1)))};
  return out;
}

Result<bool> ChangeFeed::changed() {
  Client& waiter = *wait_.client;
  if (seen_counter_ < 0) {  // the first call: nothing to wait after yet
    auto counter = waiter.command({"GET", run_.keys.feed_counter()});
    if (!counter) return counter.error();
    seen_counter_ = to_integer(*counter);
    return true;
  }
  // The XREAD returns at once when an entry past the counter we saw exists
  // (none is missed between calls); the GET, run when it returns, gives the
  // counter to wait after next, and shows a counter that went backwards.
  // Built when the counter moves, not per call: most calls only wait on the
  // XREAD already in flight, and this runs every tick.
  if (wait_after_ != seen_counter_) {
    wait_commands_ = {{"XREAD", "COUNT", "1", "BLOCK", std::to_string(kWaitBlock.count()), "STREAMS",
                       run_.keys.feed(), std::to_string(seen_counter_) + "-0"},
                      {"GET", run_.keys.feed_counter()}};
    wait_after_ = seen_counter_;
  }
  auto replies = waiter.blocking_pipeline(wait_commands_, wait_.slice);
  if (!replies) return replies.error();
  if (!*replies) {
    if (waiter.in_flight_for() > kAnswerWithin)
      return Error{ErrorCode::store_unavailable}.because("redis_feed_silent");
    return false;
  }
  const std::vector<Reply>& xread_then_get = **replies;
  const long long counter = xread_then_get.size() == 2 ? to_integer(xread_then_get[1]) : 0;
  const bool moved = counter != seen_counter_;
  seen_counter_ = counter;
  return moved;
}

Result<void> ChangeFeed::prune(long long before_ms) {
  // Entries are in position order and, written by Redis's clock, in time
  // order too: everything before the first young entry goes.
  std::string from = "-";
  long long last_old = 0;
  for (;;) {
    auto page = run_.client->command({"XRANGE", run_.keys.feed(), from, "+", "COUNT", std::to_string(kPrunePage)});
    if (!page) return page.error();
    for (const Reply& e : page->elements) {
      if (Fields(element(e, 1)).integer("at_ms") >= before_ms) {
        if (last_old == 0) return {};  // nothing old
        auto trimmed = run_.client->command({"XTRIM", run_.keys.feed(), "MINID", element(e, 0).str});
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
  auto trimmed = run_.client->command({"XTRIM", run_.keys.feed(), "MINID", std::to_string(last_old + 1) + "-0"});
  if (!trimmed) return trimmed.error();
  return {};
}

NodeRegistry::NodeRegistry(std::shared_ptr<Client> client, Keys keys)
    : run_{std::move(client), std::move(keys), nullptr},
      beat_(store_script("node_beat", kBeat)),
      leave_(store_script("node_leave", kLeave)),
      prune_(store_script("node_prune", kPrune)) {}

Result<void> NodeRegistry::beat(const NodeRecord& n) {
  std::vector<std::string> args{n.id,
                                n.host,
                                n.address,
                                std::to_string(n.pid),
                                std::to_string(n.started_ms),
                                std::to_string(kNodeTtl.count()),
                                n.keys.joined(),
                                n.keys.refused ? "1" : "0"};
  for (const auto& [feed, position] : n.applied) {
    args.push_back(feed);
    args.push_back(std::to_string(position));
  }
  auto beaten = run_(beat_, {run_.keys.node(n.id), run_.keys.nodes()}, std::move(args));
  if (!beaten) return beaten.error();
  return {};
}

Result<void> NodeRegistry::leave(const std::string& id) {
  auto left = run_(leave_, {run_.keys.node(id), run_.keys.nodes()}, {id});
  if (!left) return left.error();
  return {};
}

Result<std::vector<NodeRecord>> NodeRegistry::list() {
  auto ids = run_.client->command({"SMEMBERS", run_.keys.nodes()});
  if (!ids) return ids.error();
  // A node whose hash ran out by TTL is left out; prune forgets the id.
  auto nodes = read_records(*run_.client, to_strings(*ids), [&](const std::string& id) { return run_.keys.node(id); },
                            [](const std::string& id, const Fields& f) {
                              NodeRecord n{id,
                                           f.text("host"),
                                           f.text("address"),
                                           f.integer("pid"),
                                           f.integer("started_ms"),
                                           f.integer("heartbeat_ms"),
                                           {},
                                           HeldKeys::from_joined(f.text("kids"), f.integer("keys_refused") != 0)};
                              for (const auto& [field, value] : f.all())
                                if (field.starts_with(kPositionField))
                                  n.applied.emplace_back(field.substr(kPositionField.size()), to_integer(value));
                              return n;
                            });
  if (!nodes) return nodes.error();
  // Heartbeats are Redis's clock; readers judge them by their own. Each is
  // handed out as the same age on the reader's clock.
  auto clocks = clock_offset();
  if (!clocks) return clocks.error();
  for (NodeRecord& n : *nodes) n.heartbeat_ms -= *clocks;
  std::sort(nodes->begin(), nodes->end(),
            [](const NodeRecord& a, const NodeRecord& b) { return std::tie(a.started_ms, a.id) < std::tie(b.started_ms, b.id); });
  return nodes;
}

Result<long long> NodeRegistry::clock_offset() {
  auto time = run_.client->command({"TIME"});
  if (!time) return time.error();
  const long long local = unix_millis(SystemClock{}.now());
  if (time->elements.size() != 2) return Error{ErrorCode::store_unavailable}.because("redis_time_unreadable");
  const long long redis = to_integer(time->elements[0].str) * 1000 + to_integer(time->elements[1].str) / 1000;
  return redis - local;
}

Result<void> NodeRegistry::prune(long long before_ms) {
  const long long age = std::max(0LL, unix_millis(SystemClock{}.now()) - before_ms);
  auto pruned = run_(prune_, {run_.keys.nodes()}, {std::to_string(age)});
  if (!pruned) return pruned.error();
  return {};
}

}  // namespace cloakroom::redis
