#include "store/memory/change_feed.h"

#include <algorithm>
#include <chrono>

namespace cloakroom::memory {

Result<void> ChangeFeed::append(const Change& change) {
  std::lock_guard lock(mu_);
  Change c = change;
  if (c.at_ms == 0)
    c.at_ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
                  .count();
  entries_.emplace(++last_, std::move(c));
  return {};
}

Result<std::vector<FeedEntry>> ChangeFeed::read(long long position, std::size_t max) {
  std::lock_guard lock(mu_);
  std::vector<FeedEntry> out;
  for (auto it = entries_.upper_bound(position); it != entries_.end() && out.size() < max; ++it)
    out.push_back(FeedEntry{it->first, it->second});
  return out;
}

Result<FeedBounds> ChangeFeed::bounds() {
  std::lock_guard lock(mu_);
  return FeedBounds{entries_.empty() ? last_ + 1 : entries_.begin()->first, last_};
}

Result<bool> ChangeFeed::changed() {
  std::lock_guard lock(mu_);
  return std::exchange(seen_, last_) != last_;
}

Result<void> ChangeFeed::prune(long long before_ms) {
  std::lock_guard lock(mu_);
  std::erase_if(entries_, [&](const auto& e) { return e.second.at_ms < before_ms; });
  return {};
}

Result<void> NodeRegistry::beat(const NodeRecord& node) {
  std::lock_guard lock(mu_);
  nodes_[node.id] = node;
  return {};
}

Result<void> NodeRegistry::leave(const std::string& id) {
  std::lock_guard lock(mu_);
  nodes_.erase(id);
  return {};
}

Result<std::vector<NodeRecord>> NodeRegistry::list() {
  std::lock_guard lock(mu_);
  std::vector<NodeRecord> out;
  for (const auto& [id, n] : nodes_) out.push_back(n);
  return out;
}

Result<void> NodeRegistry::prune(long long before_ms) {
  std::lock_guard lock(mu_);
  std::erase_if(nodes_, [&](const auto& e) { return e.second.heartbeat_ms < before_ms; });
  return {};
}

}  // namespace cloakroom::memory
