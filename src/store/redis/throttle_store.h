#pragma once
// redis:// throttle buckets (key layout in store/redis/layout.h): one hash
// per bucket, {tokens, updated_ms}, that expires a window after its last
// change (by then it is full again, the same as absent). A charge is one
// script over all its buckets and a refund or clear another, so every node
// on the Redis draws from the same buckets and a burst spread over the
// nodes is held to the same limit as one on a single node.
//
//   redis::ThrottleStore throttles(client, redis::Keys{"cloakroom:"});
//   auto wait = throttles.take({{&per_ip, ip}, {&per_pair, pair}}, now_ms);  // EVALSHA, one round trip
//
// Times are the caller's clock, as in process: nodes' clocks should agree
// (NTP). A node s seconds ahead can refill a bucket early by at most
// s × limit / window attempts; one behind refills nothing until it catches up.
// Unlike the in-process table there is no key bound beyond the TTLs: each
// key costs Redis about 100 bytes for at most one window.
#include <memory>

#include "store/redis/layout.h"
#include "store/throttle_store.h"

namespace cloakroom::redis {

class ThrottleStore final : public cloakroom::ThrottleStore {
 public:
  ThrottleStore(std::shared_ptr<Client> client, Keys keys);

  Result<std::optional<long long>> take(const std::vector<Bucket>& buckets, long long now_ms) override;
  Result<void> settle(const std::vector<Bucket>& refund, const std::vector<Bucket>& clear, long long now_ms) override;

 private:
  std::shared_ptr<Client> client_;
  Keys keys_;
  Script take_, settle_;
};

}  // namespace cloakroom::redis
