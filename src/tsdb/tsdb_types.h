#pragma once
// Value types of the metrics store, shared by its public API and its callers.

#include <compare>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace vigil::tsdb {

// A dimension of a series (a label, in Prometheus terms).
struct Dimension {
  std::string name;
  std::string value;
  auto operator<=>(const Dimension&) const = default;
};

// The identity of a series: namespace + metric name + dimensions.
// Canonical form: `dimensions` sorted by name, names unique. Callers build keys with
// MakeSeriesKey(), which sorts and checks; the store assumes canonical keys.
struct SeriesKey {
  std::string ns;
  std::string metric;
  std::vector<Dimension> dimensions;
  auto operator<=>(const SeriesKey&) const = default;
};

// A raw observation: `value` seen `count` times at `timestamp_ms` (count 1 for plain values;
// CloudWatch's Values/Counts arrays give other counts). Percentiles are computed from these.
struct RawSample {
  int64_t timestamp_ms;
  double value;
  double count = 1;
};

// A pre-aggregated observation (CloudWatch's StatisticValues). No percentiles come from it.
struct StatSample {
  int64_t timestamp_ms;
  double sample_count;
  double sum;
  double minimum;
  double maximum;
};

// Samples for one series, as appended together. `unit` is CloudWatch's unit name
// ("Milliseconds", ...), "None" when the client gave none.
struct SeriesSamples {
  SeriesKey key;
  std::string unit = "None";
  std::vector<RawSample> raw;
  std::vector<StatSample> stats;
};

// Borrowed forms of Dimension, SeriesKey and SeriesSamples, for callers that decode a whole
// request into a few buffers (remote write): appending views allocates nothing per series.
// The same canonical-form rules apply (dimensions sorted by name, names unique).
struct DimensionView {
  std::string_view name;
  std::string_view value;
};

struct SeriesKeyView {
  std::string_view ns;
  std::string_view metric;
  std::span<const DimensionView> dimensions;
};

struct SeriesSamplesView {
  SeriesKeyView key;
  std::string_view unit = "None";
  std::span<const RawSample> raw;
  std::span<const StatSample> stats;
};

// An owning copy of a view.
inline SeriesSamples ToSeriesSamples(const SeriesSamplesView& v) {
  SeriesSamples s;
  s.key.ns.assign(v.key.ns);
  s.key.metric.assign(v.key.metric);
  s.key.dimensions.reserve(v.key.dimensions.size());
  for (const DimensionView& d : v.key.dimensions) {
    s.key.dimensions.push_back({std::string(d.name), std::string(d.value)});
  }
  s.unit.assign(v.unit);
  s.raw.assign(v.raw.begin(), v.raw.end());
  s.stats.assign(v.stats.begin(), v.stats.end());
  return s;
}

// GetMetricStatistics-style query for one series.
struct StatisticsQuery {
  SeriesKey key;
  std::optional<std::string> unit;  // when set, only samples stored with this unit count
  int64_t start_ms = 0;             // inclusive; aligned down to `period_ms` by the store
  int64_t end_ms = 0;               // exclusive
  int64_t period_ms = 60'000;       // > 0
  std::vector<double> percentiles;  // each in [0, 100]
};

// Period start for `t`: floor(t / period) * period, also for negative t. The store's periods
// are these multiples of the period since the epoch (StatisticsQuery::start_ms).
// Header-only, so protocol code can use it without linking the engine.
inline int64_t AlignDown(int64_t t, int64_t period) {
  int64_t q = t / period;
  if (t % period != 0 && t < 0) --q;
  return q * period;
}

// Statistics of one period that has at least one sample.
struct Datapoint {
  int64_t timestamp_ms;  // period start
  double sample_count;
  double sum;
  double minimum;
  double maximum;
  // Parallel to StatisticsQuery::percentiles: nullopt when the period holds statistic sets,
  // which carry no distribution (CloudWatch returns no percentile for them either).
  std::vector<std::optional<double>> percentiles;
  std::string unit;
  double average() const { return sample_count > 0 ? sum / sample_count : 0; }
};

// A ListMetrics dimension filter: a name, and optionally the value it must have.
struct DimensionFilter {
  std::string name;
  std::optional<std::string> value;
};

struct ListQuery {
  std::optional<std::string> ns;
  std::optional<std::string> metric;
  std::vector<DimensionFilter> dimensions;  // a series must match all of them
  std::optional<int64_t> active_since_ms;   // RecentlyActive: a sample appended since then
  // Continuation: only series whose canonical key sorts strictly after this key.
  std::optional<SeriesKey> after;
  size_t limit = 500;
};

struct ListResult {
  std::vector<SeriesKey> series;  // in canonical key order
  bool more = false;              // true when series after the last one also match
};

}  // namespace vigil::tsdb
