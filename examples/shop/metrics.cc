#include "examples/shop/metrics.h"

#include <charconv>

namespace vigil::shop {
namespace {

// Shortest text that reads back as the same double ("0.25", "1e-05").
std::string FormatDouble(double v) {
  char text[32];
  return std::string(text, std::to_chars(text, text + sizeof(text), v).ptr);
}

}  // namespace

void ShopMetrics::CountRequest(const std::string& route, int status) {
  std::lock_guard lock(mu_);
  ++requests_[{route, status}];
}

void ShopMetrics::RecordCheckout(double latency_ms) {
  const double seconds = latency_ms / 1000;
  std::lock_guard lock(mu_);
  for (size_t i = 0; i < kLatencyBuckets.size(); ++i) {
    if (seconds <= kLatencyBuckets[i]) {
      ++buckets_[i];
      break;
    }
  }
  ++checkouts_;
  latency_sum_s_ += seconds;
  period_.checkout_latency_ms.push_back(latency_ms);
  ++period_.purchases;
}

std::string ShopMetrics::RenderPrometheus() const {
  std::lock_guard lock(mu_);
  std::string out;
  out += "# HELP shop_http_requests_total HTTP requests answered, by route and status code.\n";
  out += "# TYPE shop_http_requests_total counter\n";
  for (const auto& [key, count] : requests_) {
    out += "shop_http_requests_total{path=\"" + key.first + "\",code=\"" +
           std::to_string(key.second) + "\"} " + std::to_string(count) + "\n";
  }
  out += "# HELP shop_checkout_latency_seconds Time to turn a cart into a purchase.\n";
  out += "# TYPE shop_checkout_latency_seconds histogram\n";
  int64_t cumulative = 0;
  for (size_t i = 0; i < kLatencyBuckets.size(); ++i) {
    cumulative += buckets_[i];
    out += "shop_checkout_latency_seconds_bucket{le=\"" + FormatDouble(kLatencyBuckets[i]) +
           "\"} " + std::to_string(cumulative) + "\n";
  }
  out += "shop_checkout_latency_seconds_bucket{le=\"+Inf\"} " + std::to_string(checkouts_) + "\n";
  out += "shop_checkout_latency_seconds_sum " + FormatDouble(latency_sum_s_) + "\n";
  out += "shop_checkout_latency_seconds_count " + std::to_string(checkouts_) + "\n";
  out += "# HELP shop_purchases_total Purchases completed (checkouts).\n";
  out += "# TYPE shop_purchases_total counter\n";
  out += "shop_purchases_total " + std::to_string(checkouts_) + "\n";
  return out;
}

Period ShopMetrics::TakePeriod() {
  std::lock_guard lock(mu_);
  return std::exchange(period_, Period{});
}

}  // namespace vigil::shop
