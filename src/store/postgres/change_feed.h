#pragma once
// postgres:// change feed: the user store's changes, in table cloakroom_feed,
// on a Database of its own (one connection), so the follower's poll every
// few milliseconds never queues behind the stores' calls.
//
//   record_change(c, Change::Kind::user_changed, id);   // inside a store's transaction
//   postgres::ChangeFeed feed(follower_db);              // the reader side
//   bool moved = *feed.changed();                        // one row of one tiny table
//
// Positions come from a one-row counter (cloakroom_feed_position) that the
// writing transaction increments, not from a sequence: a sequence hands out
// numbers in call order, and a transaction that took 7 can commit after one
// that took 8, so a reader that already moved past 8 would never see 7. The
// counter's row lock makes writers take positions in commit order.
#include <atomic>
#include <memory>
#include <string>

#include "store/change_feed.h"
#include "store/postgres/database.h"

namespace cloakroom::postgres {

// Appends the entry on `c`, inside whatever transaction the caller has open
// (alone, it is a transaction of its own: one statement).
Result<void> record_change(Connection& c, Change::Kind kind, std::string_view subject, long long value = 0);

class ChangeFeed final : public cloakroom::ChangeFeed {
 public:
  explicit ChangeFeed(std::shared_ptr<Database> db) : db_(std::move(db)) {}

  Result<void> append(const Change& change) override;
  Result<std::vector<FeedEntry>> read(long long position, std::size_t max) override;
  Result<FeedBounds> bounds() override;
  // One primary-key read of the counter row, compared with the last one seen.
  Result<bool> changed() override;
  Result<void> prune(long long before_ms) override;
  // "postgres:HOST:PORT/DBNAME": no user, no password.
  const std::string& name() const override { return db_->name(); }

 private:
  std::shared_ptr<Database> db_;
  std::atomic<long long> seen_{-1};
};

}  // namespace cloakroom::postgres
