#pragma once
// The HTTP side of the benchmark: bulk-ingest sinks for each protocol, and the q1 query
// latency measurement, each on keep-alive connections.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "bench/tsdb/driver.h"
#include "bench/tsdb/encoders.h"
#include "bench/tsdb/fleet_source.h"
#include "bench/tsdb/sigv4.h"

namespace vigil::bench {

enum class Protocol { kRemoteWrite, kPutMetricData, kVmImport };

struct HttpLoadOptions {
  Protocol protocol = Protocol::kRemoteWrite;
  std::string url;  // base URL, e.g. http://127.0.0.1:4510; a path, if any, replaces the default
  // Signs requests when set (remote-write for service "aps" as Prometheus' sigv4 block does,
  // put-metric-data for "monitoring" as botocore does). vm-import is never signed.
  std::optional<SigV4Credentials> credentials;
  int gzip_level = 1;  // put-metric-data bodies of >= 10 KiB are gzipped, like botocore
  // Build every request body before the clock starts, then only sign and send them: the
  // measured load then costs the loader the same little CPU for every server, instead of the
  // encoding work of its protocol (protobuf and snappy cost three times VictoriaMetrics' text
  // on the same two cores). Holds all bodies in memory (about 8.5 GB of text for the full
  // VictoriaMetrics day).
  bool prebuild = false;
};

// One sink per connection. `encoders` must outlive the sinks. InvalidArgument for a bad URL.
SinkFactory MakeHttpSinkFactory(const Encoders* encoders, const HttpLoadOptions& options);

// Drives the HTTP load (with options.prebuild, building every request first and timing only
// their sending). The result's time and loader CPU cover the sending only.
StatusOr<DriveResult> RunHttpLoad(const FleetSource& source, const DriveOptions& drive,
                                  const Encoders* encoders, const HttpLoadOptions& options);

// The most datums CloudWatch takes in one PutMetricData.
constexpr size_t kMaxDatumsPerRequest = 1000;

enum class QueryTarget { kVigil, kPromQL };

enum class QueryKind { kQ1, kQ2, kQ3 };

struct QueryOptions {
  QueryTarget target = QueryTarget::kVigil;
  QueryKind kind = QueryKind::kQ1;
  std::string url;
  size_t series_index = 0;        // which series of the source (after the kind filter)
  std::string ns = "Prometheus";  // Vigil: the namespace the series was loaded into
  std::optional<SigV4Credentials> credentials;  // Vigil
  int warmup = 20;
  int repetitions = 200;
  bool promql_nocache = true;  // VictoriaMetrics: bypass its rollup result cache
};

struct LatencySummary {
  double median_ms = 0;
  double p99_ms = 0;
  double mean_ms = 0;
  size_t points = 0;  // datapoints in the (last) answer
};

// Client-observed latency of a query, repeated on one keep-alive connection:
// q1: one series over the whole span of `source` at a 60 s period, average. Vigil through
// GetMetricStatistics (CloudWatch JSON 1.0), peers through /api/v1/query_range with
// avg_over_time(series[60s]) at step 60.
// q2: the counters' rates summed by job over the whole span at a 5-minute period. Peers:
// sum by (job)(rate(http_requests_total[5m])) at step 300. Vigil: GetMetricData with a
// Metrics Insights query (SELECT SUM(http_requests_total) ... GROUP BY job, Period 300,
// hidden) and RATE() of it; the same series read and the same shape of answer (the rate of
// each job's per-period sum), though not PromQL's extrapolated rate number for number.
// q3: q1 at a 1-hour period, over a source spanning months (Vigil answers from its hourly
// rollup tier; peers through avg_over_time(series[1h]) at step 3600).
StatusOr<LatencySummary> MeasureQuery(const FleetSource& source, const QueryOptions& options);

// Median/p99/mean of latencies in milliseconds (sorted in place).
LatencySummary Summarize(std::vector<double>* latencies_ms);

}  // namespace vigil::bench
