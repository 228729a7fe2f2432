#include "store/memory/throttle_store.h"

#include <algorithm>
#include <cmath>

namespace cloakroom::memory {
namespace {

// The bucket arithmetic. redis/throttle_store.cpp's scripts do the same
// operations in the same order (Lua numbers are doubles too), so both
// backends answer the same waits: keep the two side by side.
double per_ms(const ThrottleRule& r) {
  return static_cast<double>(r.limit) / static_cast<double>(std::max<long long>(1, r.window.count()));
}

// The bucket as of `now`: refilled evenly, never beyond the limit; a clock
// that went backwards refills nothing.
template <class State>
State refilled(State s, const ThrottleRule& r, long long now_ms) {
  if (now_ms > s.updated_ms) {
    s.tokens = std::min(static_cast<double>(r.limit), s.tokens + static_cast<double>(now_ms - s.updated_ms) * per_ms(r));
    s.updated_ms = now_ms;
  }
  return s;
}

// Seconds (≥ 1) until a bucket holding `tokens` (< 1) has one.
long long wait_for_one(double tokens, const ThrottleRule& r) {
  // Whole milliseconds first: floating-point noise (900000.0000001 ms) must
  // not add a second to Retry-After.
  const auto ms = static_cast<long long>(std::ceil((1.0 - tokens) / per_ms(r) - 1e-6));
  return std::max<long long>(1, (ms + 999) / 1000);
}

}  // namespace

ThrottleStore::ThrottleStore(std::size_t max_tracked) : max_tracked_(max_tracked) {}

Result<std::optional<long long>> ThrottleStore::take(const std::vector<Bucket>& buckets, long long now_ms) {
  std::lock_guard lock(mu_);
  // First every bucket is asked, changing nothing, so Retry-After names the
  // longest wait rather than sending the client back into the next one.
  std::optional<long long> wait;
  std::vector<State> after;
  after.reserve(buckets.size());
  for (const Bucket& b : buckets) {
    Table& table = tables_[b.rule->name];
    auto it = table.buckets.find(b.key);
    if (it == table.buckets.end() && table.buckets.size() >= max_tracked_) {
      prune(table, *b.rule, now_ms);
      // Why: a full table that cannot be pruned means a flood of distinct
      // keys; refusing is safer than forgetting who was throttled.
      if (table.buckets.size() >= max_tracked_) {
        wait = std::max<long long>(wait.value_or(0), 1);
        after.push_back({});
        continue;
      }
    }
    State s = it == table.buckets.end() ? State{static_cast<double>(b.rule->limit), now_ms}
                                        : refilled(it->second, *b.rule, now_ms);
    if (s.tokens < 1.0) wait = std::max(wait.value_or(0), wait_for_one(s.tokens, *b.rule));
    after.push_back(s);
  }
  if (wait) return wait;
  for (std::size_t i = 0; i < buckets.size(); ++i) {
    after[i].tokens -= 1.0;
    tables_[buckets[i].rule->name].buckets[buckets[i].key] = after[i];
  }
  return std::optional<long long>{};
}

Result<void> ThrottleStore::settle(const std::vector<Bucket>& refund, const std::vector<Bucket>& clear,
                                   long long now_ms) {
  std::lock_guard lock(mu_);
  for (const Bucket& b : refund) {
    // Absent: cleared or pruned as full since the attempt, nothing to give back.
    auto table = tables_.find(b.rule->name);
    if (table == tables_.end()) continue;
    auto it = table->second.buckets.find(b.key);
    if (it == table->second.buckets.end()) continue;
    State s = refilled(it->second, *b.rule, now_ms);
    s.tokens = std::min(static_cast<double>(b.rule->limit), s.tokens + 1.0);
    it->second = s;
  }
  for (const Bucket& b : clear)
    if (auto table = tables_.find(b.rule->name); table != tables_.end()) table->second.buckets.erase(b.key);
  return {};
}

std::size_t ThrottleStore::tracked(const std::string& rule) {
  std::lock_guard lock(mu_);
  auto table = tables_.find(rule);
  return table == tables_.end() ? 0 : table->second.buckets.size();
}

void ThrottleStore::prune(Table& table, const ThrottleRule& rule, long long now_ms) {
  // Why: a full scan is O(n); once a second at most keeps a flood of new keys
  // from turning every request into a scan.
  if (now_ms - table.last_prune_ms < 1000) return;
  table.last_prune_ms = now_ms;
  std::erase_if(table.buckets, [&](const auto& kv) { return refilled(kv.second, rule, now_ms).tokens >= rule.limit; });
}

}  // namespace cloakroom::memory
