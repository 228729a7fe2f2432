#include <algorithm>
#include <chrono>
#include <iomanip>
#include <iostream>
#include <sstream>
#include <thread>

#include "cli/commands.h"
#include "cli/data_dir.h"
#include "core/clock.h"
#include "core/duration.h"
#include "feed/feed_follower.h"

namespace cloakroom::cli {
namespace {

// Why 2 s: a live process applies an entry within milliseconds; one that
// needs longer is stuck or cut off, and the operator should hear of it.
constexpr std::chrono::milliseconds kDefaultWait{2000};

long long now_ms() { return unix_millis(SystemClock{}.now()); }

bool live(const NodeRecord& n, long long now) { return n.heartbeat_ms >= now - FeedFollower::kHeartbeatExpiry.count(); }

std::string age(long long ms) {
  std::ostringstream out;
  out << std::fixed << std::setprecision(ms < 10'000 ? 1 : 0) << static_cast<double>(ms) / 1000.0 << " s";
  return out.str();
}

// How many signing keys the process verifies with; "refused" when it runs
// with an older set than the one kept; "-" from an older cloakroom.
std::string keys_column(const HeldKeys& keys) {
  if (!keys.reported_any()) return "-";
  return std::to_string(keys.kids.size()) + (keys.refused ? " refused" : "");
}

}  // namespace

int confirm_applied(Stores& stores, const Args& args, const NodeCondition& also) {
  if (args.has("no-wait")) return kExitOk;
  std::chrono::milliseconds bound = kDefaultWait;
  // The parser checked --wait before the command wrote anything (args.cpp).
  if (auto text = args.get("wait"))
    if (auto parsed = parse_duration(*text)) bound = *parsed;
  // Everything written so far, this command's change included.
  std::vector<std::pair<std::string, long long>> targets;
  for (auto& feed : stores.feeds) {
    auto b = feed->bounds();
    if (!b) return fail(kExitNo, "the change was made, but the change feed cannot be read to confirm it: " + std::string(b.error().text()));
    targets.emplace_back(feed->name(), b->last);
  }
  const auto deadline = std::chrono::steady_clock::now() + bound;
  for (;;) {
    auto nodes = stores.nodes->list();
    if (!nodes) return fail(kExitNo, "the change was made, but the node registry cannot be read: " + std::string(nodes.error().text()));
    const long long now = now_ms();
    std::size_t alive = 0;
    // Each process not there yet, with why when its heartbeat says.
    std::vector<std::pair<const NodeRecord*, std::optional<NotYet>>> lagging;
    for (const NodeRecord& n : *nodes) {
      if (!live(n, now)) continue;
      ++alive;
      // A server that does not follow the feed this change went to reads
      // another store: the change will never reach it (a CLI run without
      // the servers' store.users after a move to PostgreSQL, say).
      for (const auto& [feed, position] : targets)
        if (std::none_of(n.applied.begin(), n.applied.end(), [&](const auto& a) { return a.first == feed; }))
          return fail(kExitNo, "the change is stored in " + feed + ", but the running server " + n.id +
                                   " does not read that store, so it will never apply it; run this command with "
                                   "the servers' configuration (--config, CLOAKROOM_STORE_USERS / _SESSIONS)");
      const bool behind = std::any_of(targets.begin(), targets.end(),
                                      [&](const auto& t) { return n.applied_on(t.first) < t.second; });
      // Judged only once it has applied the change: before, its keys are not yet the new ones.
      if (behind) lagging.emplace_back(&n, std::nullopt);
      else if (also)
        if (auto not_yet = also(n)) lagging.emplace_back(&n, std::move(not_yet));
    }
    if (lagging.empty()) {
      if (alive == 0) std::cout << "no serving process is running; the change applies to every process that starts\n";
      else std::cout << "in force on " << alive << " of " << alive << " serving process" << (alive == 1 ? "" : "es") << "\n";
      return kExitOk;
    }
    const bool settled = std::all_of(lagging.begin(), lagging.end(), [](const auto& l) { return l.second && l.second->settled; });
    if (settled || std::chrono::steady_clock::now() >= deadline) {
      std::string who;
      for (const auto& [n, not_yet] : lagging)
        who += (who.empty() ? "" : "; ") + n->id + " (pid " + std::to_string(n->pid) + ", heartbeat " +
               age(now - n->heartbeat_ms) + " ago)" + (not_yet ? ": " + not_yet->why : "");
      const std::string when = settled ? "" : " after " + format_duration(bound);
      return fail(kExitNo, "the change is stored and in force on " + std::to_string(alive - lagging.size()) + " of " +
                               std::to_string(alive) + " serving processes, but" + when + " these have not applied it " +
                               (settled ? "and will not: " : "yet: ") + who);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
}

// `node list`: the serving processes the registry knows, live or gone, with
// how far each applied the feeds and how many signing keys it holds.
int node_command(const Args& args) {
  auto config = config_from(args);
  if (!config) return fail(kExitUsage, config.error().text());
  auto stores = open_existing_stores(*config);
  if (!stores) return fail(stores.error());
  std::vector<std::pair<std::string, long long>> ends;
  for (auto& feed : stores->feeds) {
    auto b = feed->bounds();
    if (!b) return fail(kExitNo, b.error().text());
    ends.emplace_back(feed->name(), b->last);
  }
  auto nodes = stores->nodes->list();
  if (!nodes) return fail(kExitNo, nodes.error().text());
  const long long now = now_ms();
  std::cout << std::left << std::setw(40) << "NODE" << std::setw(9) << "PID" << std::setw(8) << "STATUS" << std::setw(12)
            << "HEARTBEAT" << std::setw(12) << "APPLIED" << std::setw(8) << "LAG" << std::setw(12) << "KEYS"
            << "STARTED\n";
  for (const NodeRecord& n : *nodes) {
    long long applied = 0, lag = 0;
    for (const auto& [feed, last] : ends) {
      applied += n.applied_on(feed);
      lag += std::max(0LL, last - n.applied_on(feed));
    }
    std::cout << std::setw(40) << n.id << std::setw(9) << n.pid << std::setw(8) << (live(n, now) ? "live" : "gone")
              << std::setw(12) << (age(now - n.heartbeat_ms) + " ago") << std::setw(12) << applied << std::setw(8) << lag
              << std::setw(12) << keys_column(n.keys) << rfc3339(n.started_ms) << "\n";
  }
  if (nodes->empty()) std::cout << "(no serving process has registered)\n";
  return kExitOk;
}

}  // namespace cloakroom::cli
