#pragma once
// Per-period statistics (GetMetricStatistics) over samples fed from any number of sources
// (blocks, frozen head, head), combined as CloudWatch does:
//   SampleCount = sum of raw counts + sum of stat-set sample counts
//   Sum = sum of value*count + sum of stat-set sums;  Minimum/Maximum over both.
// Percentiles come from raw values only, weighted nearest-rank: the smallest value v such that
// the cumulative count of values <= v is >= p/100 * total count (p = 0 gives the minimum);
// a period that holds any statistic set gets no percentile.
//
// A query answered from a rollup tier (tsdb/rollup.h) also takes rollup points (OnRollups);
// its percentiles then come from per-period quantile sketches, of the raw values and of the
// points' sketches alike, within the sketches' relative accuracy.
//
// Not thread-safe: one aggregator per query.
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/status.h"
#include "tsdb/block/block.h"
#include "tsdb/head.h"
#include "tsdb/sketch/quantile_sketch.h"
#include "tsdb/tsdb_types.h"

namespace vigil::tsdb {

// InvalidArgument unless period_ms > 0, start < end (after alignment) and every percentile is
// within [0, 100].
Status ValidateStatisticsQuery(const StatisticsQuery& query);

class PeriodAggregator final : public SampleSink, public block::RawColumnSink {
 public:
  // REQUIRES: ValidateStatisticsQuery(query).ok(). `query` must outlive the aggregator.
  // With sketch_accuracy > 0, percentiles come from quantile sketches of that accuracy.
  explicit PeriodAggregator(const StatisticsQuery& query, double sketch_accuracy = 0);

  // The time range sources must feed: [aligned start, end).
  int64_t min_time() const { return start_; }
  int64_t max_time() const { return end_; }

  // Unit stored with the samples of the following OnRaw/OnStats calls. A period's datapoint
  // reports the unit of the last source that contributed to it (sources go oldest first).
  void SetUnit(std::string_view unit);

  void OnRaw(std::span<const RawSample> samples) override;
  void OnRawColumns(const int64_t* timestamps, const double* values, const double* counts,
                    size_t n) override;
  void OnStats(std::span<const StatSample> samples) override;
  // Rollup points of a block whose sketches have relative accuracy `accuracy`. A point counts
  // whole in the period holding its start (its period divides the query's).
  // REQUIRES: constructed with sketch_accuracy > 0.
  void OnRollups(std::span<const block::RollupSample> points, double accuracy);

  // Datapoints of the periods that received samples, in time order.
  std::vector<Datapoint> Finish();

 private:
  struct Acc {
    double count = 0;
    double sum = 0;
    double min = 0;
    double max = 0;
    uint32_t unit = 0;  // index into units_
    bool any = false;
    bool has_stats = false;
  };
  // One raw sample kept for percentiles.
  struct Entry {
    int64_t period;
    double value;
    double count;
  };
  // The accumulator of the period containing t, or null when t is outside the range.
  Acc* Locate(int64_t t);
  // OnRaw over any layout: ts(i), value(i), count(i) for i in [0, n).
  template <typename Ts, typename Value, typename Count>
  void AddRaw(size_t n, Ts ts, Value value, Count count);
  void Add(Acc* a, double value_min, double value_max, double count, double sum);
  sketch::QuantileSketch& SketchOf(int64_t period_index);

  const StatisticsQuery& query_;
  const int64_t period_;
  int64_t start_;
  int64_t end_;
  int64_t num_periods_;
  bool dense_;
  bool want_percentiles_;
  // Dense mode (ordinary queries): one slot per period. Sparse mode (more periods than
  // kMaxDensePeriods, e.g. a 1 ms period over a year): a hash map of touched periods.
  std::vector<Acc> dense_acc_;
  std::unordered_map<int64_t, Acc> sparse_acc_;
  std::vector<Entry> entries_;      // raw samples, only when exact percentiles are wanted
  // Sketch mode (sketch_accuracy_ > 0), when percentiles are wanted: a sketch per period.
  double sketch_accuracy_;
  std::unordered_map<int64_t, sketch::QuantileSketch> sketches_;
  std::vector<std::string> units_;  // copied: sources reuse their buffers
  uint32_t cur_unit_ = 0;
  // Cache of the last period located: samples mostly arrive in time order, so this avoids a
  // 64-bit division per sample.
  int64_t cur_lo_ = 1;
  int64_t cur_hi_ = 0;
  int64_t cur_idx_ = 0;
  Acc* cur_ = nullptr;
};

}  // namespace vigil::tsdb
