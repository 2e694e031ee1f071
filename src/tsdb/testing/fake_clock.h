#pragma once
// A Clock that tests move by hand. Thread-safe.
#include <atomic>
#include <cstdint>

#include "common/clock.h"

namespace vigil::tsdb::testing {

class FakeClock final : public Clock {
 public:
  explicit FakeClock(int64_t now_ms = 1'700'000'000'000) : now_(now_ms) {}
  int64_t NowMillis() const override { return now_.load(); }
  void Set(int64_t now_ms) { now_.store(now_ms); }
  void Advance(int64_t ms) { now_.fetch_add(ms); }

 private:
  std::atomic<int64_t> now_;
};

}  // namespace vigil::tsdb::testing
