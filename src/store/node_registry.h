#pragma once
// Who is serving: each `serve` process records itself (id, host, listen
// address, pid), a heartbeat, how far it has applied each change feed, and
// which signing keys it verifies with. A revoking CLI command reads it to
// wait until every live process has applied its change (a key command: holds
// the key, or no longer does); `cloakroom node list` shows it.
//
//   registry.beat(NodeRecord{id, host, address, pid, started, now, {{"sqlite:/d/c.db", 42}},
//                            HeldKeys::of({"kid-1", "kid-2"}, false)});
//   auto nodes = registry.list();          // every row, live or not: the reader judges by heartbeat_ms
//   bool ok = nodes->at(0).keys.holds("kid-2");
//   registry.leave(id);                    // clean shutdown
//
// Backends: sqlite:// (tables nodes, node_positions), memory://, redis://
// (a hash per node with a TTL, a set of node ids). PostgreSQL keeps no
// registry: the registry lives beside the sessions.
//
// Clocks: heartbeat_ms is handed out on the reader's clock. The one-host
// backends keep the node's own stamp. Redis, shared by several hosts, stamps
// each heartbeat with its own clock (TIME) and hands it out as the same age
// on the reader's clock, so skew between hosts never makes a live node look
// gone (a waiting CLI would skip it) or a dead one look live.
#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.h"

namespace cloakroom {

// The signing keys a serving process verifies with, as its heartbeat says.
// Why kids and not a digest of the set: a key command asks "does every
// process hold kid K" (before K signs) or "does any still hold K" (after
// `retire --now`), which a kid list answers even when another change came
// after, and a digest cannot; an operator reads "2 keys" where the others
// hold 3. Kept small: at most kMaxKids, each at most kMaxKidChars.
struct HeldKeys {
  // Why 64: a key set holds a few keys (one signs, the ones before it verify
  // until retired); 64 kids of 64 characters keep a heartbeat near 4 KiB.
  static constexpr std::size_t kMaxKids = 64;
  // Every kid cloakroom makes (an RFC 7638 thumbprint) is 43 characters.
  static constexpr std::size_t kMaxKidChars = 64;

  std::vector<std::string> kids;  // reported(kid) of each key in force, at most kMaxKids
  // The last changed key set this process read was refused (keys_reload_failed):
  // it verifies with an older set than the one kept, until a later change loads.
  bool refused = false;
  // The set held more than kMaxKids keys: kids lists the first kMaxKids, so
  // a kid missing from it may still be held (unknown, not "dropped").
  bool truncated = false;

  // Bounded as above; a set with more than kMaxKids keys reports its first
  // kMaxKids and says it is truncated.
  static HeldKeys of(const std::vector<std::string>& kids, bool refused);
  // A kid as reported: itself when base64url of at most kMaxKidChars, else
  // "~" + base64url(SHA-256(kid)) (not base64url, so never another key's kid).
  static std::string reported(std::string_view kid);
  bool holds(std::string_view kid) const;
  // The kids space-separated, as a column or a hash field keeps them
  // (reported kids hold no space), then " +" when truncated ('+' is neither
  // base64url nor '~': never a kid; no schema change); and back.
  std::string joined() const;
  static HeldKeys from_joined(std::string_view joined, bool refused);
  // An older cloakroom's heartbeat says nothing of its keys (a process always holds one).
  bool reported_any() const { return !kids.empty(); }
};

struct NodeRecord {
  std::string id;
  std::string host;
  std::string address;  // what it listens on
  long long pid = 0;
  long long started_ms = 0;
  long long heartbeat_ms = 0;  // on the reader's clock (see above); ignored by Redis's beat
  std::vector<std::pair<std::string, long long>> applied;  // feed name -> position applied
  HeldKeys keys;

  long long applied_on(const std::string& feed) const {
    for (const auto& [name, position] : applied)
      if (name == feed) return position;
    return 0;
  }
};

class NodeRegistry {
 public:
  virtual ~NodeRegistry() = default;
  // Inserts or replaces the node's row, positions and keys.
  virtual Result<void> beat(const NodeRecord& node) = 0;
  virtual Result<void> leave(const std::string& id) = 0;
  virtual Result<std::vector<NodeRecord>> list() = 0;
  // Forgets nodes whose last heartbeat is older than `before_ms`.
  virtual Result<void> prune(long long before_ms) = 0;
};

}  // namespace cloakroom
