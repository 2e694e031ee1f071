#pragma once
// A Clock that stands still until a test moves it. Thread-safe.
#include <cstdint>
#include <mutex>

#include "common/clock.h"

namespace vigil::testutil {

class ManualClock final : public Clock {
 public:
  explicit ManualClock(int64_t now_ms) : now_(now_ms) {}
  int64_t NowMillis() const override {
    std::lock_guard l(mu_);
    return now_;
  }
  void Set(int64_t ms) {
    std::lock_guard l(mu_);
    now_ = ms;
  }

 private:
  mutable std::mutex mu_;
  int64_t now_;  // guarded by mu_
};

}  // namespace vigil::testutil
