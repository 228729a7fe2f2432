#pragma once
// What open_stores needs of a Config, in one place for the server and
// every CLI command.
//
//   auto stores = open_stores(store_urls(config));
#include "config/config.h"
#include "store/store_url.h"

namespace cloakroom {

inline StoreUrls store_urls(const Config& c) {
  return StoreUrls{c.store.users,
                   c.store.sessions,
                   c.data_dir,
                   c.throttle.max_tracked,
                   c.feed.poll_interval,
                   c.store.redis_wait_replicas,
                   c.store.redis_wait_timeout};
}

}  // namespace cloakroom
