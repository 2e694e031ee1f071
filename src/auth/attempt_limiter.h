#pragma once
// vigil::auth::AttemptLimiter — brute-force protection: slows down whoever keeps failing to
// authenticate (a wrong signature, a wrong password) from one source address or against one user.
//
// Each key (e.g. "ip:203.0.113.7" or "user:alice") counts its failures; a key whose last failure
// is older than `window_ms` starts again from zero. The first `free_failures` failures cost
// nothing — people mistype. Each failure after them makes the key wait before its next attempt,
// doubling from `base_delay_ms` up to `max_delay_ms` (OpenSSH's and Cognito's escalating lockout).
// A success clears the key. Callers refuse an attempt while RetryAfterMs() > 0 — before spending
// an HMAC or an Argon2id on it — and answer 429 (ThrottlingException) with Retry-After.
//
// Thread-safe. The keys are striped 16 ways so concurrent requests do not queue on one lock; a
// check while no key has failed takes no lock. Memory is bounded:
// a stripe holding max_keys/16 keys forgets its expired ones, then the one that failed longest
// ago, so a flood of addresses cannot grow it without bound.
#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "common/clock.h"

namespace vigil::auth {

struct AttemptLimiterOptions {
  int free_failures = 5;
  int64_t window_ms = 15 * 60'000;
  int64_t base_delay_ms = 1'000;
  int64_t max_delay_ms = 15 * 60'000;
  size_t max_keys = 100'000;
  const Clock* clock = nullptr;  // required; must outlive the limiter
};

class AttemptLimiter {
 public:
  explicit AttemptLimiter(AttemptLimiterOptions options);

  // Milliseconds until `key` may try again; 0 when it may try now.
  int64_t RetryAfterMs(std::string_view key) const;
  // Notes a failed attempt by `key` (which may start or lengthen its wait).
  void RecordFailure(std::string_view key);
  // Forgets `key`'s failures.
  void RecordSuccess(std::string_view key);

 private:
  struct Entry {
    int failures = 0;
    int64_t last_failure_ms = 0;
    int64_t blocked_until_ms = 0;
  };
  struct Stripe {
    mutable std::mutex mu;
    std::unordered_map<std::string, Entry> entries;  // guarded by mu
  };
  static constexpr size_t kStripes = 16;

  Stripe& StripeOf(std::string_view key) const;
  // REQUIRES: stripe.mu held. Makes room for one more key.
  void Evict(Stripe& stripe, int64_t now_ms);

  const AttemptLimiterOptions options_;
  mutable std::array<Stripe, kStripes> stripes_;
  // Keys held across all stripes. While it is 0 — a server nobody is attacking — a check takes
  // no lock at all: RetryAfterMs runs for every signed request, on the ingest path.
  std::atomic<size_t> size_{0};
};

}  // namespace vigil::auth
