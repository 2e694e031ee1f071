#pragma once
// What the load generator saw: every request's outcome and latency, per second and in total.
//
// Thread-safety: Record() from the connection threads, TakeSecond()/Total() from the reporter;
// one mutex.
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace vigil::shop {

struct LoadSummary {
  int64_t requests = 0;
  int64_t failed = 0;  // non-2xx answers and requests that got no answer
  double p50_ms = 0;   // over every request that got an answer (0 when none did)
  double p99_ms = 0;
  std::map<std::string, int64_t> versions;  // X-Shop-Version -> answers carrying it

  // One line: "requests=50 failed=0 p50=1.2ms p99=3.4ms versions v1=48 v2=2".
  std::string Line() const;
  // {"requests":..,"failed":..,"p50_ms":..,"p99_ms":..,"versions":{"v1":n,...}}
  std::string Json() const;
};

class LoadStats {
 public:
  // One request: `answered` false when it got no response at all (its latency is not counted);
  // `version` empty when the answer had no X-Shop-Version.
  void Record(bool answered, int status, double latency_ms, const std::string& version);
  // What was recorded since the previous call.
  LoadSummary TakeSecond();
  // Everything recorded.
  LoadSummary Total() const;

 private:
  struct Window {
    std::vector<double> latencies_ms;
    int64_t requests = 0;
    int64_t failed = 0;
    std::map<std::string, int64_t> versions;
  };
  static void Add(Window* w, bool answered, int status, double latency_ms,
                  const std::string& version);
  static LoadSummary Summarize(Window w);

  mutable std::mutex mu_;
  Window second_;  // guarded by mu_
  Window total_;   // guarded by mu_
};

// The nearest-rank percentile (q in (0, 1]) of `values`, which it sorts; 0 for none.
double Percentile(std::vector<double>* values, double q);

}  // namespace vigil::shop
