#include "store/sqlite/change_feed.h"

#include <filesystem>
#include <map>

namespace cloakroom::sqlite {
namespace {

// Why short: the follower asks every few milliseconds; a busy database only
// delays the answer to its next tick (and a long run of failures is what
// makes the process stale, on purpose).
constexpr std::chrono::milliseconds kPollWait{50};
// Why bounded: a heartbeat that cannot be written now is retried soon.
constexpr std::chrono::milliseconds kBeatWait{200};

// SQLite 3.40 has no unixepoch('subsec'); julianday keeps milliseconds.
constexpr char kNowMs[] = "CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)";

}  // namespace

Result<void> record_change(Connection& c, Change::Kind kind, std::string_view subject, long long value) {
  static constexpr auto kInsert =
      sql("INSERT INTO events (kind, subject, value, created_ms) VALUES (?1, ?2, ?3, ", kNowMs, ")");
  return done(c.exec(kInsert, kind_name(kind), subject, value));
}

ChangeFeed::ChangeFeed(std::shared_ptr<Database> db) : db_(std::move(db)) {
  std::error_code ec;
  name_ = "sqlite:" + std::filesystem::weakly_canonical(db_->path(), ec).string();
}

Result<void> ChangeFeed::append(const Change& change) {
  return db_->run([&](Connection& c) { return record_change(c, change.kind, change.subject, change.value); });
}

Result<std::vector<FeedEntry>> ChangeFeed::read(long long position, std::size_t max) {
  auto rows = db_->run(
      [&](Connection& c) {
        return c.query("SELECT seq, kind, subject, value, created_ms FROM events WHERE seq > ?1 ORDER BY seq LIMIT ?2",
                       [](const Statement& row) {
                         FeedEntry e{row.integer(0), Change{Change::Kind::keys_changed, row.text(2), row.integer(3),
                                                            row.integer(4)}};
                         e.known = kind_from_name(row.text(1), e.change.kind);
                         return e;
                       },
                       position, static_cast<long long>(max));
      },
      kPollWait);
  if (!rows) return rows.error();
  return rows;
}

Result<FeedBounds> ChangeFeed::bounds() {
  // The last position ever handed out survives pruning in sqlite_sequence
  // (AUTOINCREMENT), so an emptied table does not look like a regression.
  return db_->run(
      [](Connection& c) {
        return c.one(
            "SELECT coalesce((SELECT min(seq) FROM events), 0), "
            "coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'events'), 0)",
            [](const Statement& row) {
              long long last = row.integer(1);
              long long first = row.integer(0) == 0 ? last + 1 : row.integer(0);
              return FeedBounds{first, last};
            });
      },
      kPollWait);
}

Result<bool> ChangeFeed::changed() {
  auto version = db_->run(
      [](Connection& c) { return c.one("PRAGMA data_version", [](const Statement& st) { return st.integer(0); }); },
      kPollWait);
  if (!version) return version.error();
  return seen_version_.exchange(*version) != *version;
}

Result<void> ChangeFeed::prune(long long before_ms) {
  return db_->run([&](Connection& c) { return done(c.exec("DELETE FROM events WHERE created_ms < ?1", before_ms)); },
                  kBeatWait);
}

Result<void> NodeRegistry::beat(const NodeRecord& n) {
  return db_->transaction(
      [&](Connection& c) -> Result<void> {
        auto upserted = c.exec(
            "INSERT INTO nodes (id, host, address, pid, started_ms, heartbeat_ms, kids, keys_refused) "
            "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) "
            "ON CONFLICT (id) DO UPDATE SET host = excluded.host, address = excluded.address, pid = excluded.pid, "
            "started_ms = excluded.started_ms, heartbeat_ms = excluded.heartbeat_ms, kids = excluded.kids, "
            "keys_refused = excluded.keys_refused",
            n.id, n.host, n.address, n.pid, n.started_ms, n.heartbeat_ms, n.keys.joined(),
            static_cast<long long>(n.keys.refused));
        if (!upserted) return upserted.error();
        for (const auto& [feed, position] : n.applied)
          if (auto r = c.exec(
                  "INSERT INTO node_positions (node_id, feed, position) VALUES (?1, ?2, ?3) "
                  "ON CONFLICT (node_id, feed) DO UPDATE SET position = excluded.position",
                  n.id, feed, position);
              !r)
            return r.error();
        return {};
      },
      // Why relaxed: a heartbeat lost in a power cut is stale by the restart
      // anyway, and an fsync here would hold this process's one connection
      // (and so its next feed poll) for the disk's time: 20-40 ms tails under load.
      kBeatWait, Database::Sync::relaxed);
}

Result<void> NodeRegistry::leave(const std::string& id) {
  return db_->transaction(
      [&](Connection& c) -> Result<void> {
        if (auto r = c.exec("DELETE FROM node_positions WHERE node_id = ?1", id); !r) return r.error();
        return done(c.exec("DELETE FROM nodes WHERE id = ?1", id));
      },
      kBeatWait);
}

Result<std::vector<NodeRecord>> NodeRegistry::list() {
  return db_->run([](Connection& c) -> Result<std::vector<NodeRecord>> {
    auto nodes = c.query(
        "SELECT id, host, address, pid, started_ms, heartbeat_ms, kids, keys_refused FROM nodes "
        "ORDER BY started_ms, id",
        [](const Statement& row) {
          return NodeRecord{row.text(0),    row.text(1),    row.text(2), row.integer(3),
                            row.integer(4), row.integer(5), {},          HeldKeys::from_joined(row.text(6), row.integer(7) != 0)};
        });
    if (!nodes) return nodes.error();
    auto positions = c.query("SELECT node_id, feed, position FROM node_positions", [](const Statement& row) {
      return std::make_pair(row.text(0), std::make_pair(row.text(1), row.integer(2)));
    });
    if (!positions) return positions.error();
    std::map<std::string, NodeRecord*> by_id;
    for (auto& n : *nodes) by_id[n.id] = &n;
    for (auto& [node, applied] : *positions)
      if (auto it = by_id.find(node); it != by_id.end()) it->second->applied.push_back(std::move(applied));
    return nodes;
  });
}

Result<void> NodeRegistry::prune(long long before_ms) {
  return db_->transaction(
      [&](Connection& c) -> Result<void> {
        if (auto r = c.exec(
                "DELETE FROM node_positions WHERE node_id IN (SELECT id FROM nodes WHERE heartbeat_ms < ?1)",
                before_ms);
            !r)
          return r.error();
        return done(c.exec("DELETE FROM nodes WHERE heartbeat_ms < ?1", before_ms));
      },
      kBeatWait);
}

}  // namespace cloakroom::sqlite
