#pragma once
// Publishes the shop's measurements to Vigil as CloudWatch custom metrics: every interval, one
// PutMetricData call (AWS query protocol, SigV4-signed for service "monitoring") in namespace
// "Shop" with dimension App=<app>:
//   CheckoutLatency  Milliseconds  the period's checkout latencies (Values/Counts)
//   Purchases        Count         the period's purchases (0 included, so a rate reads true)
// A failed publish is logged and its period dropped: metrics must never hurt the shop.
//
// Thread-safety: Start/Stop from one thread; the publishing runs on the publisher's own.
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

#include "common/logging.h"
#include "common/status.h"
#include "examples/shop/metrics.h"
#include "examples/shop/options.h"

namespace vigil::shop {

class Publisher {
 public:
  // metrics and logger must outlive the publisher. Reads endpoint, keys, region, app and
  // interval from `options`.
  Publisher(const ShopOptions& options, ShopMetrics* metrics, Logger* logger);
  ~Publisher();  // Stop()s

  // Starts the thread. InvalidArgument when the endpoint is not an http(s) URL.
  Status Start();
  // Publishes the last (partial) period, then ends the thread. Idempotent.
  void Stop();

 private:
  void Run();
  void PublishOnce();

  const ShopOptions options_;
  ShopMetrics* const metrics_;
  Logger* const logger_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;  // guarded by mu_
  std::thread thread_;
};

// The form body of PutMetricData for one period (no I/O). CheckoutLatency is present only when
// the period had checkouts; equal values (to the microsecond) are sent once with their count,
// at most 150 distinct values per datum (CloudWatch's limit), more datums when needed.
std::string PutMetricDataBody(const Period& period, const std::string& app);

}  // namespace vigil::shop
