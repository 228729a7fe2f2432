#pragma once
// memory:// change feed and node registry: one process, gone at exit. The
// memory stores record their changes here, so a memory:// server runs the
// same follower code as any other.
#include <map>
#include <mutex>

#include "store/change_feed.h"
#include "store/node_registry.h"

namespace cloakroom::memory {

class ChangeFeed final : public cloakroom::ChangeFeed {
 public:
  Result<void> append(const Change& change) override;
  Result<std::vector<FeedEntry>> read(long long position, std::size_t max) override;
  Result<FeedBounds> bounds() override;
  Result<bool> changed() override;
  Result<void> prune(long long before_ms) override;
  const std::string& name() const override { return name_; }

 private:
  std::mutex mu_;
  std::map<long long, Change> entries_;
  long long last_ = 0;
  long long seen_ = 0;  // last_ at the previous changed()
  std::string name_ = "memory:";
};

class NodeRegistry final : public cloakroom::NodeRegistry {
 public:
  Result<void> beat(const NodeRecord& node) override;
  Result<void> leave(const std::string& id) override;
  Result<std::vector<NodeRecord>> list() override;
  Result<void> prune(long long before_ms) override;

 private:
  std::mutex mu_;
  std::map<std::string, NodeRecord> nodes_;
};

}  // namespace cloakroom::memory
