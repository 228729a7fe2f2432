#include "store/postgres/change_feed.h"

namespace cloakroom::postgres {
namespace {

// Why short: the follower asks every few milliseconds; a slow answer only
// delays its next tick (and a long run of failures is what makes the
// process stale, on purpose). Longer than SQLite's 50 ms: this is a network
// round trip, and a timed-out connection has to be replaced.
constexpr std::chrono::milliseconds kPollWait{500};

}  // namespace

Result<void> record_change(Connection& c, Change::Kind kind, std::string_view subject, long long value) {
  // The counter row is locked until the caller's transaction ends: the next
  // writer waits for it and so takes the next position only after this one
  // committed (or rolled back, giving its position back). This serialises
  // writers of user changes, which are rare (an admin action, a password
  // change, a rehash at login); reads never wait for it.
  return done(c.exec(
      "WITH next AS (UPDATE cloakroom_feed_position SET position = position + 1 RETURNING position) "
      "INSERT INTO cloakroom_feed (position, kind, subject, value, created_ms) "
      "SELECT position, $1::text, $2::text, $3::bigint, (extract(epoch FROM clock_timestamp()) * 1000)::bigint FROM next",
      kind_name(kind), subject, value));
}

Result<void> ChangeFeed::append(const Change& change) {
  return db_->run([&](Connection& c) { return record_change(c, change.kind, change.subject, change.value); });
}

Result<std::vector<FeedEntry>> ChangeFeed::read(long long position, std::size_t max) {
  return db_->run(
      [&](Connection& c) {
        return c.query(
            "SELECT position, kind, subject, value, created_ms FROM cloakroom_feed WHERE position > $1 "
            "ORDER BY position LIMIT $2",
            [](const Row& row) {
              FeedEntry e{row.integer(0), Change{Change::Kind::keys_changed, row.text(2), row.integer(3), row.integer(4)}};
              e.known = kind_from_name(row.text(1), e.change.kind);
              return e;
            },
            position, static_cast<long long>(max));
      },
      kPollWait);
}

Result<FeedBounds> ChangeFeed::bounds() {
  // The counter keeps the last position ever handed out, so an emptied
  // table does not look like a regression. One statement, one snapshot.
  return db_->run(
      [](Connection& c) {
        return c.one(
            "SELECT coalesce((SELECT min(position) FROM cloakroom_feed), 0), "
            "(SELECT position FROM cloakroom_feed_position)",
            [](const Row& row) {
              const long long last = row.integer(1);
              return FeedBounds{row.integer(0) == 0 ? last + 1 : row.integer(0), last};
            });
      },
      kPollWait);
}

Result<bool> ChangeFeed::changed() {
  auto last = db_->run(
      [](Connection& c) { return c.one("SELECT position FROM cloakroom_feed_position", [](const Row& r) { return r.integer(0); }); },
      kPollWait);
  if (!last) return last.error();
  return seen_.exchange(*last) != *last;
}

Result<void> ChangeFeed::prune(long long before_ms) {
  return db_->run([&](Connection& c) { return done(c.exec("DELETE FROM cloakroom_feed WHERE created_ms < $1", before_ms)); });
}

}  // namespace cloakroom::postgres
