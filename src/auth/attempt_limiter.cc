#include "auth/attempt_limiter.h"

#include <algorithm>
#include <cstdlib>
#include <functional>

namespace vigil::auth {

AttemptLimiter::AttemptLimiter(AttemptLimiterOptions options) : options_(options) {
  if (options_.clock == nullptr) std::abort();  // a programming error, not an input
}

AttemptLimiter::Stripe& AttemptLimiter::StripeOf(std::string_view key) const {
  return stripes_[std::hash<std::string_view>{}(key) % kStripes];
}

int64_t AttemptLimiter::RetryAfterMs(std::string_view key) const {
  if (size_.load(std::memory_order_relaxed) == 0) return 0;
  Stripe& stripe = StripeOf(key);
  const int64_t now = options_.clock->NowMillis();
  std::lock_guard<std::mutex> lock(stripe.mu);
  auto it = stripe.entries.find(std::string(key));
  if (it == stripe.entries.end()) return 0;
  return std::max<int64_t>(0, it->second.blocked_until_ms - now);
}

void AttemptLimiter::RecordFailure(std::string_view key) {
  Stripe& stripe = StripeOf(key);
  const int64_t now = options_.clock->NowMillis();
  std::lock_guard<std::mutex> lock(stripe.mu);
  auto it = stripe.entries.find(std::string(key));
  if (it == stripe.entries.end()) {
    if (stripe.entries.size() >= std::max<size_t>(1, options_.max_keys / kStripes)) {
      Evict(stripe, now);
    }
    it = stripe.entries.emplace(std::string(key), Entry{}).first;
    size_.fetch_add(1, std::memory_order_relaxed);
  }
  Entry& e = it->second;
  if (now - e.last_failure_ms > options_.window_ms) e.failures = 0;
  e.failures++;
  e.last_failure_ms = now;
  const int over = e.failures - options_.free_failures;
  if (over <= 0) return;
  // base * 2^(over-1), capped; the shift is capped too so it cannot overflow.
  int64_t delay = options_.base_delay_ms << std::min(over - 1, 30);
  delay = std::min(delay, options_.max_delay_ms);
  e.blocked_until_ms = std::max(e.blocked_until_ms, now + delay);
}

void AttemptLimiter::RecordSuccess(std::string_view key) {
  Stripe& stripe = StripeOf(key);
  std::lock_guard<std::mutex> lock(stripe.mu);
  size_.fetch_sub(stripe.entries.erase(std::string(key)), std::memory_order_relaxed);
}

void AttemptLimiter::Evict(Stripe& stripe, int64_t now_ms) {
  size_.fetch_sub(std::erase_if(stripe.entries,
                                [&](const auto& kv) {
                                  return now_ms - kv.second.last_failure_ms > options_.window_ms &&
                                         kv.second.blocked_until_ms <= now_ms;
                                }),
                  std::memory_order_relaxed);
  if (stripe.entries.size() < std::max<size_t>(1, options_.max_keys / kStripes)) return;
  auto oldest = std::min_element(stripe.entries.begin(), stripe.entries.end(),
                                 [](const auto& a, const auto& b) {
                                   return a.second.last_failure_ms < b.second.last_failure_ms;
                                 });
  stripe.entries.erase(oldest);
  size_.fetch_sub(1, std::memory_order_relaxed);
}

}  // namespace vigil::auth
