#pragma once
// Request ids for ResponseMetadata/x-amzn-RequestId: UUID-formatted (version 4 layout), unique
// per generator and unpredictable across restarts. Lock-free and thread-safe: an atomic counter
// run through a 128-bit mix keyed by a random seed taken at construction.
#include <atomic>
#include <cstdint>
#include <string>

namespace vigil::api {

class RequestIdGenerator {
 public:
  RequestIdGenerator();                        // seeded from std::random_device
  explicit RequestIdGenerator(uint64_t seed);  // deterministic, for tests
  // "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx", distinct for every call on this generator.
  std::string Next() const;

 private:
  uint64_t seed_hi_, seed_lo_;
  mutable std::atomic<uint64_t> counter_{0};
};

}  // namespace vigil::api
