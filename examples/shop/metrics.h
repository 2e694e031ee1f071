#pragma once
// The shop's own measurements, read two ways: GET /metrics renders them in the Prometheus text
// format (totals since start), and the CloudWatch publisher takes what happened since its last
// publish (TakePeriod).
//
// Thread-safety: thread-safe; one mutex (a checkout takes milliseconds, a count is nothing).
#include <array>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace vigil::shop {

// What happened since the previous TakePeriod.
struct Period {
  std::vector<double> checkout_latency_ms;  // one value per checkout, in completion order
  int64_t purchases = 0;
};

class ShopMetrics {
 public:
  // Upper bounds of the checkout latency histogram, in seconds (Prometheus' `le`).
  static constexpr std::array<double, 11> kLatencyBuckets = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                                             0.5,   1,    2.5,   5,    10};

  // One answered request: `route` is its template ("/products/{id}"), never the raw path, so
  // the number of series stays fixed.
  void CountRequest(const std::string& route, int status);
  // One successful checkout (a purchase) that took `latency_ms`.
  void RecordCheckout(double latency_ms);

  // The Prometheus text exposition (version 0.0.4) of every metric.
  std::string RenderPrometheus() const;
  // Returns the period's values and starts a new period.
  Period TakePeriod();

 private:
  mutable std::mutex mu_;
  std::map<std::pair<std::string, int>, int64_t> requests_;  // guarded by mu_
  std::array<int64_t, kLatencyBuckets.size()> buckets_{};    // guarded by mu_; not cumulative
  int64_t checkouts_ = 0;                                    // guarded by mu_
  double latency_sum_s_ = 0;                                 // guarded by mu_
  Period period_;                                            // guarded by mu_
};

}  // namespace vigil::shop
