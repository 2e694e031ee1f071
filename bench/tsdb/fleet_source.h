#pragma once
// The benchmark's view of the fleet of tests/testutil/fleet_generator.h: the first `series`
// series of the fleet (in the fleet's proportions: half counters, a quarter latencies, a quarter
// gauges), optionally one kind only, over `hours` of 10 s steps ending at end_ms.
//
// Thread-safety: everything but Fill() is immutable. Fill() advances the per-series generator
// cursors: the chunks of one series must be filled by one thread at a time (the driver gives
// each series to one thread); any series may be filled from any thread.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tests/testutil/fleet_generator.h"
#include "tsdb/tsdb_types.h"

namespace vigil::bench {

enum class Kind { kCounter, kLatency, kGauge };
std::string_view KindName(Kind kind);                  // "counter", "latency", "gauge"
std::optional<Kind> ParseKind(std::string_view name);  // nullopt when unknown

struct SeriesMeta {
  std::string metric;                                       // Prometheus name / MetricName
  std::vector<std::pair<std::string, std::string>> labels;  // sorted by name, no __name__
  Kind kind;
  std::string unit;  // CloudWatch unit name ("Count", "Seconds", "Percent")
};

struct FleetSpec {
  size_t series = testutil::Fleet::kNumSeries;  // at most kNumSeries (before the kind filter)
  double hours = 24;
  int64_t end_ms = 0;        // exclusive end of the span, a multiple of 60 s; required
  std::optional<Kind> only;  // when set, only series of this kind
};

// The samples of one request: series [series_lo, series_hi) at steps [step_lo, step_hi).
struct Chunk {
  int64_t step_lo = 0;
  int64_t step_hi = 0;
  size_t series_lo = 0;
  size_t series_hi = 0;
  uint64_t samples() const {
    return static_cast<uint64_t>(step_hi - step_lo) * (series_hi - series_lo);
  }
};

class FleetSource {
 public:
  explicit FleetSource(const FleetSpec& spec);
  FleetSource(const FleetSource&) = delete;  // cursors point into fleet_
  FleetSource& operator=(const FleetSource&) = delete;

  size_t series() const { return metas_.size(); }  // after the kind filter
  int64_t steps() const { return steps_; }
  uint64_t samples() const { return static_cast<uint64_t>(steps_) * metas_.size(); }
  int64_t step_ms() const { return fleet_.options().step_ms; }
  // Every sample of step s lies in [start_ms + s * step, start_ms + (s + 1) * step): each series
  // has its own phase within the step.
  int64_t start_ms() const { return fleet_.options().start_ms; }
  int64_t end_ms() const { return start_ms() + steps_ * step_ms(); }
  const SeriesMeta& meta(size_t i) const { return metas_[i]; }
  const tsdb::SeriesKey& key(size_t i) const { return keys_[i]; }  // namespace "Fleet"

  // The chunk's samples, series-major: out[(i - series_lo) * n + (s - step_lo)] with
  // n = step_hi - step_lo. O(samples) when each series' chunks come in step order (as the
  // driver sends them); otherwise a series' cursor replays its running sum from step 0.
  void Fill(const Chunk& chunk, std::vector<tsdb::RawSample>* out) const;

 private:
  testutil::Fleet fleet_;
  int64_t steps_ = 0;
  std::vector<size_t> fleet_index_;  // index in the fleet of each kept series
  std::vector<SeriesMeta> metas_;
  std::vector<tsdb::SeriesKey> keys_;
  mutable std::vector<testutil::Fleet::Cursor> cursors_;  // see the class comment
};

}  // namespace vigil::bench
