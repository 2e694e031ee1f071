#pragma once
// Waiting for a condition in a test without a fixed sleep.
#include <chrono>
#include <functional>
#include <thread>

namespace vigil::testutil {

// Polls `pred` every `poll` until it holds or `timeout` passes; the last answer of `pred`.
inline bool Await(const std::function<bool()>& pred,
                  std::chrono::milliseconds timeout = std::chrono::seconds(10),
                  std::chrono::milliseconds poll = std::chrono::milliseconds(5)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(poll);
  }
  return pred();
}

}  // namespace vigil::testutil
