#pragma once
// A deterministic synthetic fleet of 10,000 metric series, for compression tests and the
// side-by-side benchmarks (bench/): one day at 10 s is 86.4 M samples.
//
//   series [0, 5000)      counters  http_requests_total{handler, instance, job}
//   series [5000, 7500)   latencies http_request_duration_seconds{handler, instance, job}
//   series [7500, 10000)  gauges    cpu_utilization_percent{cpu, instance, job}
//
// Every series has namespace "Fleet", 100 instances host-000..host-099, job=shop. Samples come
// every step_ms from start_ms plus a per-series phase in [0, step_ms) (whole ms).
//  - Counters: per-series rate r uniform in [counter_min_rate, counter_max_rate] req/s; each
//    step adds round(mu + sqrt(mu) z), mu = r * step seconds, z ~ N(0,1) (a normal-approximated
//    Poisson count); a reset (value = that step's increment) with probability
//    counter_reset_probability per step. Starting value: up to 30 days of traffic. Integers.
//  - Latencies: median m uniform in [latency_min_median_s, latency_max_median_s], log-normal
//    spread s uniform in [latency_min_sigma, latency_max_sigma]; value = round(m e^(s z)) in
//    microseconds, divided by 1e6 (6 decimals), at least 1 us. Independent per step.
//  - Gauges: a random walk of hundredths in [0, 100] (reflecting at the ends), per-series step
//    standard deviation uniform in [gauge_min_step, gauge_max_step] percentage points; value =
//    hundredths / 100.
//
// Determinism: the random numbers are a counter-based hash (splitmix64) of (seed, series,
// step, stream), and only IEEE basic operations and sqrt are used (no libm exp/log, no std::
// distributions), so every platform generates the same bits. A value depends only on the
// series, the step and, for counters and gauges, the running sum held in a Cursor: walk the
// fleet in any order (series-major, or time-major with one Cursor per series).
//
// Information content, for judging compression figures (bits per sample, per-series averages
// over the default parameter ranges): counters ~6.8 (Poisson entropy), latencies ~17.5
// (log-normal at 1 us resolution), gauges ~6.6 (step entropy); timestamps carry none.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "tsdb/tsdb_types.h"

namespace vigil::testutil {

enum class FleetKind { kCounter, kLatency, kGauge };

struct FleetOptions {
  uint64_t seed = 1;
  int64_t start_ms = 1'735'689'600'000;  // 2025-01-01T00:00:00Z
  int64_t step_ms = 10'000;
  double counter_min_rate = 1;
  double counter_max_rate = 200;
  double counter_reset_probability = 1e-5;
  double latency_min_median_s = 0.005;
  double latency_max_median_s = 0.300;
  double latency_min_sigma = 0.2;
  double latency_max_sigma = 0.6;
  double gauge_min_step = 0.05;  // percentage points
  double gauge_max_step = 0.5;
};

class Fleet {
 public:
  static constexpr size_t kCounters = 5000;
  static constexpr size_t kLatencies = 2500;
  static constexpr size_t kGauges = 2500;
  static constexpr size_t kNumSeries = kCounters + kLatencies + kGauges;
  static constexpr int64_t kStepsPerDay = 8640;  // at the default 10 s step

  explicit Fleet(FleetOptions options = {}) : options_(options) {
    params_.reserve(kNumSeries);
    for (size_t i = 0; i < kNumSeries; ++i) params_.push_back(MakeParams(i));
  }

  const FleetOptions& options() const { return options_; }
  size_t num_series() const { return kNumSeries; }
  static FleetKind kind(size_t i) {
    return i < kCounters ? FleetKind::kCounter
                         : (i < kCounters + kLatencies ? FleetKind::kLatency : FleetKind::kGauge);
  }
  // The j-th series of a kind (j < kCounters, kLatencies or kGauges).
  static size_t SeriesOf(FleetKind k, size_t j) {
    return k == FleetKind::kCounter
               ? j
               : (k == FleetKind::kLatency ? kCounters + j : kCounters + kLatencies + j);
  }

  // The canonical key of series i (dimensions sorted by name).
  tsdb::SeriesKey Key(size_t i) const {
    char host[32];
    tsdb::SeriesKey key;
    key.ns = "Fleet";
    if (kind(i) == FleetKind::kCounter) {
      std::snprintf(host, sizeof(host), "host-%03zu", i / 50);
      key.metric = "http_requests_total";
      key.dimensions = {{"handler", Handler(i % 50)}, {"instance", host}, {"job", "shop"}};
    } else if (kind(i) == FleetKind::kLatency) {
      const size_t j = i - kCounters;
      std::snprintf(host, sizeof(host), "host-%03zu", j / 25);
      key.metric = "http_request_duration_seconds";
      key.dimensions = {{"handler", Handler(j % 25)}, {"instance", host}, {"job", "shop"}};
    } else {
      const size_t j = i - kCounters - kLatencies;
      std::snprintf(host, sizeof(host), "host-%03zu", j / 25);
      key.metric = "cpu_utilization_percent";
      key.dimensions = {{"cpu", std::to_string(j % 25)}, {"instance", host}, {"job", "shop"}};
    }
    return key;
  }
  // A CloudWatch unit name for series i.
  static const char* Unit(size_t i) {
    return kind(i) == FleetKind::kCounter
               ? "Count"
               : (kind(i) == FleetKind::kLatency ? "Seconds" : "Percent");
  }

  int64_t Phase(size_t i) const { return params_[i].phase_ms; }
  int64_t Timestamp(size_t i, int64_t step) const {
    return options_.start_ms + params_[i].phase_ms + step * options_.step_ms;
  }

  // Generates one series step by step. Holds the running sum of counters and gauges, so a
  // caller walking the fleet time-major keeps one Cursor per series. 32 bytes; copyable; the
  // Fleet must outlive it.
  class Cursor {
   public:
    int64_t step() const { return step_; }
    // The sample of step(), then advances to the next step.
    tsdb::RawSample Next() {
      const Fleet& f = *fleet_;
      double value = 0;
      switch (kind(series_)) {
        case FleetKind::kCounter:
          value = static_cast<double>(state_);
          break;
        case FleetKind::kLatency:
          value = static_cast<double>(f.LatencyMicros(series_, step_)) / 1e6;
          break;
        case FleetKind::kGauge:
          value = static_cast<double>(state_) / 100.0;
          break;
      }
      const tsdb::RawSample sample{f.Timestamp(series_, step_), value, 1.0};
      ++step_;
      state_ = f.Advance(series_, step_, state_);
      return sample;
    }

   private:
    friend class Fleet;
    Cursor(const Fleet* fleet, size_t series, int64_t step, int64_t state)
        : fleet_(fleet), series_(series), step_(step), state_(state) {}
    const Fleet* fleet_;
    size_t series_;
    int64_t step_;
    int64_t state_;  // counter value or gauge hundredths at step_
  };

  // A cursor at `step` (>= 0) of series i. O(step) for counters and gauges (it replays the
  // running sum, about 10 ns a step), O(1) for latencies.
  Cursor Start(size_t i, int64_t step = 0) const {
    int64_t state = params_[i].initial;
    for (int64_t s = 1; s <= step; ++s) state = Advance(i, s, state);
    return Cursor(this, i, step, state);
  }

  // The samples of series i for steps [a, b).
  std::vector<tsdb::RawSample> Samples(size_t i, int64_t a, int64_t b) const {
    std::vector<tsdb::RawSample> out;
    out.reserve(static_cast<size_t>(b > a ? b - a : 0));
    Cursor c = Start(i, a);
    while (c.step() < b) out.push_back(c.Next());
    return out;
  }

  // splitmix64's finalizer (Steele, Lea, Flood 2014): a bijective 64-bit mix.
  static uint64_t Mix(uint64_t z) {
    z += 0x9e3779b97f4a7c15ULL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }

 private:
  enum Stream : uint64_t { kParam = 1, kNormal = 2, kReset = 5, kInitial = 6, kPhase = 7 };

  struct Params {
    int64_t phase_ms;
    int64_t initial;  // counter value / gauge hundredths at step 0
    double a;         // counter mean increment / latency median (us) / gauge step (hundredths)
    double sigma;     // latency log-normal spread
  };

  uint64_t Rand(size_t series, int64_t step, uint64_t stream) const {
    return Mix(Mix(Mix(options_.seed ^ Mix(stream)) ^ series) ^ static_cast<uint64_t>(step));
  }
  static double Uniform(uint64_t r) { return static_cast<double>(r >> 11) * 0x1.0p-53; }
  // Irwin-Hall sum of 12 uniforms (16 bits each): mean 0, variance 1, support [-6, 6].
  double Normal(size_t series, int64_t step) const {
    uint64_t sum = 0;
    for (uint64_t k = 0; k < 3; ++k) {
      const uint64_t r = Rand(series, step, kNormal + k);  // streams kNormal .. kNormal + 2
      for (int b = 0; b < 64; b += 16) sum += (r >> b) & 0xffff;
    }
    return (static_cast<double>(sum) + 6.0) / 65536.0 - 6.0;
  }
  // e^x from basic operations only (libm's exp may differ across platforms in the last bit).
  static double Exp(double x) {
    const double y = x / 16;
    double term = 1;
    double sum = 1;
    for (int k = 1; k <= 10; ++k) {
      term *= y / k;
      sum += term;
    }
    for (int k = 0; k < 4; ++k) sum *= sum;
    return sum;
  }
  static int64_t Round(double x) { return static_cast<int64_t>(std::floor(x + 0.5)); }

  Params MakeParams(size_t i) const {
    const FleetOptions& o = options_;
    Params p{};
    p.phase_ms = static_cast<int64_t>(Rand(i, 0, kPhase) % static_cast<uint64_t>(o.step_ms));
    const double u1 = Uniform(Rand(i, 0, kParam));
    const double u2 = Uniform(Rand(i, 1, kParam));
    const double u3 = Uniform(Rand(i, 0, kInitial));
    switch (kind(i)) {
      case FleetKind::kCounter: {
        const double rate = o.counter_min_rate + (o.counter_max_rate - o.counter_min_rate) * u1;
        p.a = rate * static_cast<double>(o.step_ms) / 1000.0;
        p.initial = Round(u3 * rate * 30 * 86400);
        break;
      }
      case FleetKind::kLatency:
        p.a =
            1e6 * (o.latency_min_median_s + (o.latency_max_median_s - o.latency_min_median_s) * u1);
        p.sigma = o.latency_min_sigma + (o.latency_max_sigma - o.latency_min_sigma) * u2;
        break;
      case FleetKind::kGauge:
        p.a = 100 * (o.gauge_min_step + (o.gauge_max_step - o.gauge_min_step) * u1);
        p.initial = Round(u3 * 10000);
        break;
    }
    return p;
  }

  int64_t LatencyMicros(size_t i, int64_t step) const {
    const int64_t us = Round(params_[i].a * Exp(params_[i].sigma * Normal(i, step)));
    return us < 1 ? 1 : us;
  }

  // The state at `step` (>= 1) from the state at step - 1.
  int64_t Advance(size_t i, int64_t step, int64_t state) const {
    const Params& p = params_[i];
    switch (kind(i)) {
      case FleetKind::kCounter: {
        int64_t inc = Round(p.a + std::sqrt(p.a) * Normal(i, step));
        if (inc < 0) inc = 0;
        const double reset_threshold = options_.counter_reset_probability * 0x1.0p64;
        if (static_cast<double>(Rand(i, step, kReset)) < reset_threshold) return inc;
        return state + inc;
      }
      case FleetKind::kGauge: {
        int64_t h = state + Round(p.a * Normal(i, step));
        if (h < 0) h = -h;
        if (h > 10000) h = 20000 - h;
        return h < 0 ? 0 : (h > 10000 ? 10000 : h);
      }
      case FleetKind::kLatency:
        break;
    }
    return 0;
  }

  static std::string Handler(size_t k) {
    static constexpr const char* kHandlers[50] = {
        "/",
        "/api/cart",
        "/api/cart/items",
        "/api/checkout",
        "/api/orders",
        "/api/orders/{id}",
        "/api/products",
        "/api/products/{id}",
        "/api/products/{id}/reviews",
        "/api/search",
        "/api/users/me",
        "/api/users/{id}",
        "/api/login",
        "/api/logout",
        "/api/session",
        "/api/recommendations",
        "/api/inventory",
        "/api/inventory/{sku}",
        "/api/payments",
        "/api/payments/{id}",
        "/api/shipping/quote",
        "/api/shipping/{id}",
        "/api/coupons",
        "/api/wishlist",
        "/api/categories",
        "/api/categories/{id}",
        "/api/brands",
        "/api/stores",
        "/api/stores/{id}",
        "/api/returns",
        "/api/returns/{id}",
        "/api/notifications",
        "/api/addresses",
        "/api/addresses/{id}",
        "/api/gift-cards",
        "/api/loyalty",
        "/api/reviews",
        "/api/reviews/{id}",
        "/api/questions",
        "/api/banners",
        "/api/config",
        "/api/feature-flags",
        "/api/prices",
        "/api/taxes",
        "/api/currencies",
        "/healthz",
        "/readyz",
        "/metrics",
        "/static/{path}",
        "/favicon.ico",
    };
    return kHandlers[k];
  }

  FleetOptions options_;
  std::vector<Params> params_;
};

}  // namespace vigil::testutil
