#include "api/request_id.h"

#include <cstdio>
#include <random>

namespace vigil::api {
namespace {

// SplitMix64's finalizer: a bijection on 64-bit values, so distinct counters give distinct ids.
uint64_t Mix(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

}  // namespace

RequestIdGenerator::RequestIdGenerator() {
  std::random_device rd;
  seed_hi_ = (static_cast<uint64_t>(rd()) << 32) | rd();
  seed_lo_ = (static_cast<uint64_t>(rd()) << 32) | rd();
}

RequestIdGenerator::RequestIdGenerator(uint64_t seed) : seed_hi_(Mix(seed)), seed_lo_(seed) {}

std::string RequestIdGenerator::Next() const {
  const uint64_t n = counter_.fetch_add(1, std::memory_order_relaxed);
  // `lo` is a bijection of the counter, and all its 64 bits appear in the id (the third group
  // carries its top two), so ids are unique; `hi` only adds noise.
  const uint64_t lo = Mix(n + seed_lo_);
  const uint64_t hi = Mix(lo ^ seed_hi_);
  char buf[40];
  std::snprintf(buf, sizeof(buf), "%08x-%04x-4%03x-%04x-%012llx", static_cast<unsigned>(hi >> 32),
                static_cast<unsigned>((hi >> 16) & 0xFFFF),
                static_cast<unsigned>(((hi & 0x3FF) << 2) | (lo >> 62)),
                static_cast<unsigned>(0x8000 | ((lo >> 48) & 0x3FFF)),
                static_cast<unsigned long long>(lo & 0xFFFFFFFFFFFFULL));
  return std::string(buf, 36);
}

}  // namespace vigil::api
