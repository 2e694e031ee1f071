#include "auth/attempt_limiter.h"

#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

#include "tests/testutil/manual_clock.h"

namespace vigil::auth {
namespace {

constexpr int64_t kNow = 1'790'000'000'000;

AttemptLimiterOptions Options(const Clock* clock) {
  return AttemptLimiterOptions{.free_failures = 3,
                               .window_ms = 60'000,
                               .base_delay_ms = 1'000,
                               .max_delay_ms = 8'000,
                               .max_keys = 64,
                               .clock = clock};
}

TEST(AttemptLimiterTest, FreeFailuresThenDoublingWaitsUpToTheCap) {
  testutil::ManualClock clock(kNow);
  AttemptLimiter limiter(Options(&clock));
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(limiter.RetryAfterMs("ip:192.0.2.1"), 0);
    limiter.RecordFailure("ip:192.0.2.1");
  }
  EXPECT_EQ(limiter.RetryAfterMs("ip:192.0.2.1"), 0) << "three mistakes are free";
  const int64_t expected[] = {1'000, 2'000, 4'000, 8'000, 8'000, 8'000};
  for (int64_t wait : expected) {
    limiter.RecordFailure("ip:192.0.2.1");
    EXPECT_EQ(limiter.RetryAfterMs("ip:192.0.2.1"), wait);
    clock.Set(clock.NowMillis() + wait);
    EXPECT_EQ(limiter.RetryAfterMs("ip:192.0.2.1"), 0);
  }
  EXPECT_EQ(limiter.RetryAfterMs("ip:192.0.2.2"), 0) << "other keys are not slowed";
}

TEST(AttemptLimiterTest, SuccessAndAQuietWindowClearTheCount) {
  testutil::ManualClock clock(kNow);
  AttemptLimiter limiter(Options(&clock));
  for (int i = 0; i < 4; ++i) limiter.RecordFailure("user:alice");
  EXPECT_GT(limiter.RetryAfterMs("user:alice"), 0);
  limiter.RecordSuccess("user:alice");
  EXPECT_EQ(limiter.RetryAfterMs("user:alice"), 0);
  for (int i = 0; i < 3; ++i) limiter.RecordFailure("user:alice");
  clock.Set(kNow + 60'001);  // the window passes: the count starts again
  limiter.RecordFailure("user:alice");
  EXPECT_EQ(limiter.RetryAfterMs("user:alice"), 0);
}

TEST(AttemptLimiterTest, AFloodOfKeysStaysBoundedAndKeepsTheLatest) {
  testutil::ManualClock clock(kNow);
  AttemptLimiter limiter(Options(&clock));
  for (int i = 0; i < 10'000; ++i) {
    clock.Set(kNow + i);
    limiter.RecordFailure("ip:10.0." + std::to_string(i / 256) + "." + std::to_string(i % 256));
  }
  // Whoever keeps failing now is still tracked after the flood.
  for (int i = 0; i < 4; ++i) limiter.RecordFailure("ip:198.51.100.9");
  EXPECT_GT(limiter.RetryAfterMs("ip:198.51.100.9"), 0);
}

TEST(AttemptLimiterTest, ConcurrentFailuresAreAllCounted) {
  testutil::ManualClock clock(kNow);
  AttemptLimiterOptions options = Options(&clock);
  options.free_failures = 399;
  AttemptLimiter limiter(options);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 100; ++i) limiter.RecordFailure("ip:192.0.2.50");
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(limiter.RetryAfterMs("ip:192.0.2.50"), 1'000)
      << "the 400th failure is the first to cost";
}

}  // namespace
}  // namespace vigil::auth
