#pragma once
// Where engines that measure things (fleet samplers, the load balancer, canaries) send their
// samples. The engines own no store: the server adapts this interface to the metrics store.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace vigil {

// One observation of a metric: `value` seen `count` times (count > 1 lets a histogram bucket
// travel as one datum and still give exact-enough percentiles).
struct Datum {
  std::string metric;  // "CPUUtilization"
  std::vector<std::pair<std::string, std::string>> dimensions;  // any order
  std::string unit = "None";  // CloudWatch's unit names: "Percent", "Bytes", "Seconds", ...
  int64_t timestamp_ms = 0;
  double value = 0;
  double count = 1;
};

// Thread-safe. Put never blocks on I/O: implementations queue and write in the background, and
// drop (counting what they drop) rather than stall a caller when the store cannot keep up.
class MetricSink {
 public:
  virtual ~MetricSink() = default;
  virtual void Put(const std::string& ns, std::vector<Datum> data) = 0;
};

}  // namespace vigil
