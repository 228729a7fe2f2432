#pragma once
// Randomness is injected through Random& so token and id generation can be
// tested deterministically. OsRandom is the OS CSPRNG (libsodium randombytes).
//
//   OsRandom rng;
//   std::string id = random_token(rng, 16);   // 16 random bytes, base64url
#include <cstddef>
#include <span>
#include <string>

namespace cloakroom {

class Random {
 public:
  virtual ~Random() = default;
  virtual void fill(std::span<unsigned char> out) = 0;
};

class OsRandom final : public Random {
 public:
  void fill(std::span<unsigned char> out) override;
};

// `bytes` random bytes encoded as unpadded base64url.
std::string random_token(Random& rng, std::size_t bytes);

// Unpadded base64url (RFC 4648 §5).
std::string base64url_encode(std::span<const unsigned char> data);

}  // namespace cloakroom
