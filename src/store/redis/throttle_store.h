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
// Times are the Redis server's clock (TIME inside the script), not the
// caller's: a node whose clock runs ahead cannot refill a bucket early, nor
// one behind hold it empty. The now_ms arguments are ignored unless the
// store is built with BucketClock::caller (tests with a fake clock).
// Unlike the in-process table there is no key bound beyond the TTLs: each
// key costs Redis about 100 bytes for at most one window after its last
// charge, so memory is bounded by the charge rate × window (scale-out.md).
#include <memory>

#include "store/redis/layout.h"
#include "store/throttle_store.h"

namespace cloakroom::redis {

// Whose clock the buckets run on.
enum class BucketClock {
  redis,   // the Redis server's TIME: every node agrees, whatever its own clock says
  caller,  // the now_ms each call passes (tests that move a fake clock)
};

class ThrottleStore final : public cloakroom::ThrottleStore {
 public:
  ThrottleStore(std::shared_ptr<Client> client, Keys keys, BucketClock clock = BucketClock::redis);

  Result<std::optional<long long>> take(const std::vector<Bucket>& buckets, long long now_ms) override;
  Result<void> settle(const std::vector<Bucket>& refund, const std::vector<Bucket>& clear, long long now_ms) override;

 private:
  std::string now_arg(long long now_ms) const;  // ARGV[1]: empty for the server's TIME

  std::shared_ptr<Client> client_;
  Keys keys_;
  BucketClock clock_;
  Script take_, settle_;
};

}  // namespace cloakroom::redis
