#include "store/sqlite/challenge_store.h"

namespace cloakroom::sqlite {

Result<void> ChallengeStore::put(const PendingChallenge& c, long long now_ms) {
  const auto max_per_kind = static_cast<long long>(max_per_kind_);
  return db_->run([&](Connection& conn) -> Result<void> {
    // The bound is checked in the insert, so processes sharing the file
    // cannot pass it together; the count is a row kept by triggers in the
    // same statements (schema 13: challenge_counts), so checking it is one
    // key lookup however many are pending.
    for (int round = 0; round < 2; ++round) {
      auto inserted = conn.exec(
          "INSERT INTO challenges (id_hash, kind, payload, expires_ms) SELECT ?1, ?2, ?3, ?4 "
          "WHERE COALESCE((SELECT n FROM challenge_counts WHERE kind = ?2), 0) < ?5",
          Blob{c.id_hash}, c.kind, c.payload, c.expires_ms, max_per_kind);
      if (!inserted && inserted.error().code == ErrorCode::conflict)
        return Error{ErrorCode::internal, "challenge id collision"};
      if (!inserted) return inserted.error();
      if (*inserted == 1) return {};
      if (round == 0) {  // full: make room from the expired ones, then try once more
        auto purged = conn.exec("DELETE FROM challenges WHERE expires_ms <= ?1", now_ms);
        if (!purged) return purged.error();
      }
    }
    return challenges_full();
  });
}

Result<std::optional<PendingChallenge>> ChallengeStore::attempt(const std::string& id_hash, std::string_view kind,
                                                                long long now_ms, int max_attempts) {
  const std::string kind_text(kind);
  return db_->run([&](Connection& c) -> Result<std::optional<PendingChallenge>> {
    // One statement counts and reads, so racing processes each see their own count.
    auto counted = c.one(
        "UPDATE challenges SET attempts = attempts + 1 "
        "WHERE id_hash = ?1 AND kind = ?2 AND expires_ms > ?3 AND attempts < ?4 "
        "RETURNING payload, expires_ms, attempts",
        [&](const Statement& row) {
          return PendingChallenge{id_hash, kind_text, row.text(0), row.integer(1), static_cast<int>(row.integer(2))};
        },
        Blob{id_hash}, kind_text, now_ms, max_attempts);
    if (counted) return std::optional<PendingChallenge>{std::move(*counted)};
    if (counted.error().code != ErrorCode::not_found) return counted.error();
    // Expired or out of attempts: gone for good.
    auto dropped = c.exec("DELETE FROM challenges WHERE id_hash = ?1 AND kind = ?2 AND (expires_ms <= ?3 OR attempts >= ?4)",
                          Blob{id_hash}, kind_text, now_ms, max_attempts);
    if (!dropped) return dropped.error();
    return std::optional<PendingChallenge>{};
  });
}

Result<bool> ChallengeStore::consume(const std::string& id_hash) {
  auto removed = db_->run([&](Connection& c) { return c.exec("DELETE FROM challenges WHERE id_hash = ?1", Blob{id_hash}); });
  if (!removed) return removed.error();
  return *removed > 0;
}

Result<std::size_t> ChallengeStore::purge_expired(long long now_ms) {
  auto purged = db_->run([&](Connection& c) { return c.exec("DELETE FROM challenges WHERE expires_ms <= ?1", now_ms); });
  if (!purged) return purged.error();
  return static_cast<std::size_t>(*purged);
}

}  // namespace cloakroom::sqlite
