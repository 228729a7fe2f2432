#pragma once
// sqlite:// change feed (table `events`) and node registry (tables `nodes`,
// `node_positions`). Both use a connection of their own, not the stores'
// one: the follower polls every few milliseconds and must not queue behind
// a login waiting for the write lock (in WAL mode reads never wait for it).
//
//   record_change(c, Change::Kind::session_revoked, id);   // inside a store's transaction
//   sqlite::ChangeFeed feed(follower_db);                   // the reader side
//   bool moved = *feed.changed();                           // PRAGMA data_version: no table read
#include <atomic>
#include <memory>
#include <string>

#include "store/change_feed.h"
#include "store/node_registry.h"
#include "store/sqlite/database.h"

namespace cloakroom::sqlite {

// Appends the entry on `c`, inside whatever transaction the caller has open.
Result<void> record_change(Connection& c, Change::Kind kind, std::string_view subject, long long value = 0);

class ChangeFeed final : public cloakroom::ChangeFeed {
 public:
  explicit ChangeFeed(std::shared_ptr<Database> db);

  Result<void> append(const Change& change) override;
  Result<std::vector<FeedEntry>> read(long long position, std::size_t max) override;
  Result<FeedBounds> bounds() override;
  // PRAGMA data_version: it moves only when another connection committed,
  // and reading it touches no table.
  Result<bool> changed() override;
  Result<void> prune(long long before_ms) override;
  const std::string& name() const override { return name_; }

 private:
  std::shared_ptr<Database> db_;
  std::string name_;
  std::atomic<long long> seen_version_{-1};
};

class NodeRegistry final : public cloakroom::NodeRegistry {
 public:
  explicit NodeRegistry(std::shared_ptr<Database> db) : db_(std::move(db)) {}

  Result<void> beat(const NodeRecord& node) override;
  Result<void> leave(const std::string& id) override;
  Result<std::vector<NodeRecord>> list() override;
  Result<void> prune(long long before_ms) override;

 private:
  std::shared_ptr<Database> db_;
};

}  // namespace cloakroom::sqlite
