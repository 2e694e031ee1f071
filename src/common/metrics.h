#pragma once
// Self-metrics: counters and gauges that modules register once and bump on hot paths.
// The api module renders a Registry in the Prometheus text format at GET /metrics.
//
// Thread-safety: Counter and Gauge are lock-free atomics. Registry registration takes a mutex;
// Collect() may run concurrently with updates.

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace vigil {

class Counter {
 public:
  void Add(uint64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
  uint64_t Value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> value_{0};
};

class Gauge {
 public:
  void Set(double v) { value_.store(v, std::memory_order_relaxed); }
  void Add(double d) {
    double cur = value_.load(std::memory_order_relaxed);
    while (!value_.compare_exchange_weak(cur, cur + d, std::memory_order_relaxed)) {
    }
  }
  double Value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

enum class MetricType { kCounter, kGauge };

// One sample of a collected metric, ready to render.
struct MetricSample {
  std::string name;  // e.g. "vigil_tsdb_samples_appended_total"
  std::string help;
  MetricType type;
  std::vector<std::pair<std::string, std::string>> labels;
  double value;
};

class Registry {
 public:
  // Each returns a metric owned by the registry, valid for the registry's lifetime.
  // Registering the same name and labels twice returns the same object.
  Counter* NewCounter(const std::string& name, const std::string& help,
                      std::vector<std::pair<std::string, std::string>> labels = {});
  Gauge* NewGauge(const std::string& name, const std::string& help,
                  std::vector<std::pair<std::string, std::string>> labels = {});
  // A gauge computed at collection time (e.g. number of series, bytes on disk).
  void NewCallbackGauge(const std::string& name, const std::string& help,
                        std::function<double()> fn);

  // A snapshot of every metric, grouped by name in registration order.
  std::vector<MetricSample> Collect() const;

 private:
  struct Entry {
    std::string name, help;
    MetricType type;
    std::vector<std::pair<std::string, std::string>> labels;
    std::unique_ptr<Counter> counter;
    std::unique_ptr<Gauge> gauge;
    std::function<double()> callback;
  };
  mutable std::mutex mu_;
  std::vector<std::unique_ptr<Entry>> entries_;  // guarded by mu_
};

}  // namespace vigil
