#include "feed/feed_follower.h"

#include <algorithm>
#include <limits>

#include "core/log.h"

namespace cloakroom {
namespace {

// Why: one read is bounded; a backlog is read in several, all in one poll.
constexpr std::size_t kBatch = 1000;
// Why: bounds (pruned past us, gone backwards) cost a query; once a second finds either soon enough.
constexpr long long kBoundsEveryMs = 1000;
// Why: gone processes stay listed a while (node list shows them as gone), then are forgotten.
constexpr long long kForgetAfterMs = 10 * 60 * 1000;
constexpr long long kPruneEveryMs = 60 * 1000;

}  // namespace

FeedFollower::FeedFollower(FollowerDeps deps) : d_(std::move(deps)) {
  for (std::size_t i = 0; i < d_.feeds.size(); ++i)
    followed_.push_back(
        Followed{d_.feeds[i], i < d_.bounds.size() ? d_.bounds[i].count() : d_.freshness.bound_ms(), Freshness::now_ms()});
}

Result<void> FeedFollower::start() {
  // Taken before the caller loads its caches, so an entry written while it
  // loads is replayed rather than missed.
  for (Followed& f : followed_) {
    auto b = f.feed->bounds();
    if (!b) return b.error();
    f.position = f.last = b->last;
    (void)f.feed->changed();  // take the current version as seen
  }
  d_.freshness.confirm();
  return {};
}

void FeedFollower::join(const NodeIdentity& self) {
  self_.host = self.host;
  self_.address = self.address;
  self_.pid = self.pid;
  self_.id = self.host + "/" + self.address;
  self_.started_ms = now_ms();
  // Resume from where the previous process on this address stopped, when
  // the feed still holds everything after it.
  if (auto nodes = d_.registry.list()) {
    for (const NodeRecord& n : *nodes) {
      if (n.id != self_.id) continue;
      for (Followed& f : followed_) {
        long long saved = n.applied_on(f.feed->name());
        auto b = f.feed->bounds();
        if (!b || saved <= 0 || saved >= f.position || saved < b->first - 1) continue;
        log_line("info", "feed_resumed",
                 {{"feed", f.feed->name()}, {"from", std::to_string(saved)}, {"entries", std::to_string(f.position - saved)}});
        std::lock_guard lock(mu_);
        f.position = saved;
      }
    }
  }
  joined_ = true;
  beat(now_ms());
}

FeedFollower::CatchUp FeedFollower::catch_up(Followed& f) {
  for (;;) {
    auto entries = f.feed->read(f.position, kBatch);
    if (!entries) return CatchUp::failed;
    for (const FeedEntry& e : *entries) {
      // Positions have no gaps (each backend hands them out inside the
      // writing transaction or script): a jump means entries were lost to
      // us (a failover to a replica that missed them, trimming) even if new
      // writes have covered the end again. An unknown kind (a newer
      // cloakroom's) cannot be applied correctly either. Both: start over.
      if (e.position != f.position + 1 || !e.known) {
        log_line("warn", "feed_resync",
                 {{"feed", f.feed->name()}, {"position", std::to_string(f.position)},
                  {"next", std::to_string(e.position)}, {"why", e.known ? "gap" : "unknown kind"},
                  {"kind", e.known ? kind_name(e.change.kind) : ""}});
        return CatchUp::resync;
      }
      if (auto applied = d_.apply(e.change); !applied) {
        if (std::exchange(f.stuck_at, e.position) != e.position)  // once per stuck entry, not per tick
          log_line("warn", "feed_apply_failed",
                 {{"feed", f.feed->name()}, {"position", std::to_string(e.position)},
                  {"kind", kind_name(e.change.kind)}, {"detail", std::string(applied.error().text())}});
        return CatchUp::failed;
      }
      std::lock_guard lock(mu_);
      f.position = e.position;
      f.last = std::max(f.last, e.position);
      f.lag_ms = std::max<long long>(0, now_ms() - e.change.at_ms);
      moved_ = true;
    }
    if (entries->size() < kBatch) return CatchUp::done;
  }
}

bool FeedFollower::resync(Followed& f) {
  auto b = f.feed->bounds();
  if (!b) return false;
  if (auto r = d_.resync(); !r) return false;
  std::lock_guard lock(mu_);
  f.position = f.last = b->last;
  moved_ = true;
  return true;
}

bool FeedFollower::follow(Followed& f, bool check_bounds) {
  auto changed = f.feed->changed();
  if (!changed) return false;
  if (check_bounds) {
    auto b = f.feed->bounds();
    if (!b) return false;
    if (f.position < b->first - 1 || f.position > b->last) {
      // Entries we needed were pruned, or the feed went backwards: replaying
      // cannot bring us up to date, reloading can.
      log_line("warn", "feed_resync",
               {{"feed", f.feed->name()}, {"position", std::to_string(f.position)},
                {"first", std::to_string(b->first)}, {"last", std::to_string(b->last)}});
      return resync(f);
    }
    std::lock_guard lock(mu_);
    f.last = b->last;
  }
  // Read when someone else committed, while an entry is still to be applied
  // (changed() reported that commit once already), and at every bounds check
  // (a backend that cannot tell always says changed).
  if (!*changed && !check_bounds && !f.behind) return true;
  switch (catch_up(f)) {
    case CatchUp::done: f.behind = false; return true;
    case CatchUp::failed: f.behind = true; return false;
    case CatchUp::resync: f.behind = !resync(f); return !f.behind;
  }
  return false;
}

void FeedFollower::poll_feed(std::size_t i) {
  Followed& f = followed_[i];
  const long long now = now_ms();
  const bool check_bounds = now >= f.next_bounds_check_ms;
  if (check_bounds) f.next_bounds_check_ms = now + kBoundsEveryMs;
  const bool ok = follow(f, check_bounds);
  {
    // Under mu_: two feeds' threads each confirming a minimum taken apart
    // could move the deadline back to one the other had already passed.
    std::lock_guard lock(mu_);
    if (ok) f.answered_ms = Freshness::now_ms();
    long long fresh_until = std::numeric_limits<long long>::max();
    for (const Followed& g : followed_) fresh_until = std::min(fresh_until, g.answered_ms + g.bound_ms);
    d_.freshness.confirm_until(fresh_until);
  }
  if (ok == f.failing) {
    f.failing = !ok;
    log_line(ok ? "info" : "warn", ok ? "feed_recovered" : "feed_unreadable",
             {{"feed", f.feed->name()},
              {"detail", ok ? "the change feed answers again" : "the change feed cannot be read; checks fail closed once "
                                                                 "it has been unreadable for longer than its staleness bound"}});
  }
}

void FeedFollower::heartbeat() {
  if (!joined_) return;
  const long long now = now_ms();
  // After a failed heartbeat, wait an interval before the next try, moved or not.
  const bool due = now - std::max(last_beat_ms_, last_beat_try_ms_) >= kHeartbeatEvery.count();
  if ((moved_ && !beat_failing_) || due) beat(now);
  if (now >= next_prune_ms_) {
    next_prune_ms_ = now + kPruneEveryMs;
    (void)d_.registry.prune(now - kForgetAfterMs);
  }
}

void FeedFollower::poll() {
  for (std::size_t i = 0; i < followed_.size(); ++i) poll_feed(i);
  heartbeat();
}

void FeedFollower::beat(long long now) {
  // Cleared before the positions are read: an entry applied meanwhile on
  // another feed's thread sets it again and is reported next tick.
  const bool moved = moved_.exchange(false);
  NodeRecord record = self_;
  record.heartbeat_ms = now;
  {
    std::lock_guard lock(mu_);
    for (const Followed& f : followed_) record.applied.emplace_back(f.feed->name(), f.position);
  }
  // After the positions: a key set reloaded by an entry is never reported
  // later than that entry's position.
  if (d_.held_keys) record.keys = d_.held_keys();
  // A missed heartbeat is retried an interval later; the registry only informs
  // waiters. Logged when it starts and stops failing, not on every try.
  last_beat_try_ms_ = now;
  auto beaten = d_.registry.beat(record);
  if (beaten.has_value() == beat_failing_) {
    beat_failing_ = !beaten.has_value();
    if (beat_failing_)
      log_line("warn", "heartbeat_failed", {{"node", self_.id}, {"detail", std::string(beaten.error().text())}});
    else
      log_line("info", "heartbeat_recovered", {{"node", self_.id}});
  }
  if (!beaten) {
    if (moved) moved_ = true;
    return;
  }
  std::lock_guard lock(mu_);
  last_beat_ms_ = now;
}

void FeedFollower::leave() {
  if (!joined_) return;
  (void)d_.registry.leave(self_.id);
  joined_ = false;
}

std::vector<FeedStatus> FeedFollower::status() const {
  std::lock_guard lock(mu_);
  std::vector<FeedStatus> out;
  for (const Followed& f : followed_)
    out.push_back(FeedStatus{f.feed->name(), f.position, f.last, f.lag_ms, Freshness::now_ms() - f.answered_ms});
  return out;
}

long long FeedFollower::unanswered_ms() const {
  long long worst = 0;
  for (const FeedStatus& f : status()) worst = std::max(worst, f.unanswered_ms);
  return worst;
}

long long FeedFollower::heartbeat_age_ms() const {
  std::lock_guard lock(mu_);
  return last_beat_ms_ == 0 ? 0 : now_ms() - last_beat_ms_;
}

}  // namespace cloakroom
