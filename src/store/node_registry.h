#pragma once
// Who is serving: each `serve` process records itself (id, host, listen
// address, pid), a heartbeat, and how far it has applied each change feed.
// A revoking CLI command reads it to wait until every live process has
// applied its change; `cloakroom node list` shows it.
//
//   registry.beat(NodeRecord{id, host, address, pid, started, now, {{"sqlite:/d/c.db", 42}}});
//   auto nodes = registry.list();          // every row, live or not: the reader judges by heartbeat_ms
//   registry.leave(id);                    // clean shutdown
//
// Backends: sqlite:// (tables nodes, node_positions), memory://, redis://
// (a hash per node with a TTL, a set of node ids).
//
// Clocks: heartbeat_ms is handed out on the reader's clock. The one-host
// backends keep the node's own stamp. Redis, shared by several hosts, stamps
// each heartbeat with its own clock (TIME) and hands it out as the same age
// on the reader's clock, so skew between hosts never makes a live node look
// gone (a waiting CLI would skip it) or a dead one look live.
#include <string>
#include <utility>
#include <vector>

#include "core/result.h"

namespace cloakroom {

struct NodeRecord {
  std::string id;
  std::string host;
  std::string address;  // what it listens on
  long long pid = 0;
  long long started_ms = 0;
  long long heartbeat_ms = 0;  // on the reader's clock (see above); ignored by Redis's beat
  std::vector<std::pair<std::string, long long>> applied;  // feed name -> position applied

  long long applied_on(const std::string& feed) const {
    for (const auto& [name, position] : applied)
      if (name == feed) return position;
    return 0;
  }
};

class NodeRegistry {
 public:
  virtual ~NodeRegistry() = default;
  // Inserts or replaces the node's row and positions.
  virtual Result<void> beat(const NodeRecord& node) = 0;
  virtual Result<void> leave(const std::string& id) = 0;
  virtual Result<std::vector<NodeRecord>> list() = 0;
  // Forgets nodes whose last heartbeat is older than `before_ms`.
  virtual Result<void> prune(long long before_ms) = 0;
};

}  // namespace cloakroom
