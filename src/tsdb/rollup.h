#pragma once
// Rollup points: what a rollup tier keeps of one period of one series (CloudWatch's 1-minute,
// 5-minute and 1-hour data). SampleCount, Sum, Minimum and Maximum combine raw values and
// statistic sets exactly as a raw query does (tsdb/query.h); the raw values' distribution is
// kept as a quantile sketch (sketch/quantile_sketch.h), so a percentile over any range of
// points is within the sketch's relative accuracy of the exact answer. A period holding a
// statistic set gets no percentile, as in a raw query.
//
// Rolling up is exact and associative: rolling a finer tier's points up to a coarser period
// gives the points rolling the samples up would (the sketch included, bucket for bucket), so a
// tier can be built from the tier below it.
//
// Pure functions; thread-safe.
#include <cstdint>
#include <span>
#include <vector>

#include "common/status.h"
#include "tsdb/block/block.h"
#include "tsdb/sketch/quantile_sketch.h"
#include "tsdb/tsdb_types.h"

namespace vigil::tsdb {

struct RollupPoint {
  int64_t timestamp_ms = 0;  // period start: a multiple of the period (AlignDown)
  double sample_count = 0;
  double sum = 0;
  double minimum = 0;
  double maximum = 0;
  bool has_stat_sets = false;   // then no percentile comes from this point
  sketch::QuantileSketch values;  // the raw values (weighted by their counts)

  explicit RollupPoint(double accuracy = sketch::QuantileSketch::kDefaultRelativeAccuracy)
      : values(accuracy) {}
  // Adds another point of the same period (or of a finer period inside this one).
  void Merge(const RollupPoint& other);
  bool operator==(const RollupPoint&) const = default;
};

// Rolls samples (any order) up into one point per period of `period_ms` that holds any,
// ascending by period. `accuracy` is the sketches' relative accuracy.
std::vector<RollupPoint> Rollup(std::span<const RawSample> raw, std::span<const StatSample> stats,
                                int64_t period_ms,
                                double accuracy = sketch::QuantileSketch::kDefaultRelativeAccuracy);

// Rolls ascending points of a finer tier up into periods of `period_ms`, a multiple of theirs.
std::vector<RollupPoint> Coarsen(std::span<const RollupPoint> points, int64_t period_ms);

// The statistics of `p` as a query datapoint, with the sketch's estimates for `percentiles`
// (nullopt when the point holds statistic sets or no raw value).
Datapoint ToDatapoint(const RollupPoint& p, std::span<const double> percentiles);

// The rollup sample a block stores for `p` (its sketch encoded; empty when the point gives no
// percentile), and back (`accuracy` being the block's sketch_accuracy). False when the sketch
// bytes are malformed.
block::RollupSample ToRollupSample(const RollupPoint& p);
bool FromRollupSample(const block::RollupSample& s, double accuracy, RollupPoint* p);

// Writes rollup block `id` under `blocks_dir` from the raw block `source`: every series with
// its points of `period_ms` (resolution_ms = period_ms, sketch_accuracy = accuracy, level 0),
// atomically like any block. Reads one series at a time and drops the source's mapped pages as
// it goes. DataLoss from a damaged source; Unavailable on I/O failure (nothing is left).
Status WriteRollupBlock(const block::BlockReader& source, int64_t period_ms, double accuracy,
                        const std::string& blocks_dir, const std::string& id,
                        block::BlockMeta* meta, storage::Cipher* cipher = nullptr);

}  // namespace vigil::tsdb
