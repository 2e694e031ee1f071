#include "tsdb/rollup.h"

#include <algorithm>
#include <limits>
#include <map>
#include <string_view>

namespace vigil::tsdb {

namespace {

// Adds one observation (a raw value with its count, a statistic set, or a whole point) to `p`.
void Observe(RollupPoint* p, double count, double sum, double min, double max) {
  if (p->sample_count <= 0) {
    p->minimum = min;
    p->maximum = max;
  } else {
    p->minimum = std::min(p->minimum, min);
    p->maximum = std::max(p->maximum, max);
  }
  p->sample_count += count;
  p->sum += sum;
}

}  // namespace

void RollupPoint::Merge(const RollupPoint& o) {
  if (o.sample_count <= 0) return;
  Observe(this, o.sample_count, o.sum, o.minimum, o.maximum);
  has_stat_sets = has_stat_sets || o.has_stat_sets;
  values.Merge(o.values);
}

std::vector<RollupPoint> Rollup(std::span<const RawSample> raw, std::span<const StatSample> stats,
                                int64_t period_ms, double accuracy) {
  std::map<int64_t, RollupPoint> points;
  auto at = [&](int64_t t) -> RollupPoint& {
    const int64_t start = AlignDown(t, period_ms);
    auto it = points.try_emplace(start, accuracy).first;
    it->second.timestamp_ms = start;
    return it->second;
  };
  for (const RawSample& r : raw) {
    RollupPoint& p = at(r.timestamp_ms);
    Observe(&p, r.count, r.value * r.count, r.value, r.value);
    p.values.Add(r.value, r.count);
  }
  for (const StatSample& s : stats) {
    RollupPoint& p = at(s.timestamp_ms);
    Observe(&p, s.sample_count, s.sum, s.minimum, s.maximum);
    p.has_stat_sets = true;
  }
  std::vector<RollupPoint> out;
  out.reserve(points.size());
  for (auto& [t, p] : points) out.push_back(std::move(p));
  return out;
}

std::vector<RollupPoint> Coarsen(std::span<const RollupPoint> points, int64_t period_ms) {
  std::vector<RollupPoint> out;
  for (const RollupPoint& p : points) {
    const int64_t start = AlignDown(p.timestamp_ms, period_ms);
    if (out.empty() || out.back().timestamp_ms != start) {
      out.emplace_back(p.values.relative_accuracy());
      out.back().timestamp_ms = start;
    }
    out.back().Merge(p);
  }
  return out;
}

Datapoint ToDatapoint(const RollupPoint& p, std::span<const double> percentiles) {
  Datapoint dp;
  dp.timestamp_ms = p.timestamp_ms;
  dp.sample_count = p.sample_count;
  dp.sum = p.sum;
  dp.minimum = p.minimum;
  dp.maximum = p.maximum;
  dp.percentiles.reserve(percentiles.size());
  for (const double q : percentiles) {
    if (p.has_stat_sets || p.values.empty()) {
      dp.percentiles.push_back(std::nullopt);
    } else {
      dp.percentiles.push_back(p.values.Quantile(q));
    }
  }
  return dp;
}

block::RollupSample ToRollupSample(const RollupPoint& p) {
  block::RollupSample s{p.timestamp_ms, p.sample_count, p.sum, p.minimum, p.maximum, {}};
  if (!p.has_stat_sets && !p.values.empty()) p.values.EncodeTo(&s.sketch);
  return s;
}

bool FromRollupSample(const block::RollupSample& s, double accuracy, RollupPoint* p) {
  *p = RollupPoint(accuracy);
  p->timestamp_ms = s.timestamp_ms;
  p->sample_count = s.sample_count;
  p->sum = s.sum;
  p->minimum = s.minimum;
  p->maximum = s.maximum;
  if (s.sketch.empty()) {
    p->has_stat_sets = true;
    return true;
  }
  std::string_view in = s.sketch;
  return sketch::QuantileSketch::DecodeFrom(&in, accuracy, s.minimum, s.maximum, &p->values) &&
         in.empty();
}

Status WriteRollupBlock(const block::BlockReader& source, int64_t period_ms, double accuracy,
                        const std::string& blocks_dir, const std::string& id,
                        block::BlockMeta* meta, storage::Cipher* cipher) {
  block::BlockWriter::Options options;
  options.cipher = cipher;
  options.resolution_ms = period_ms;
  options.sketch_accuracy = accuracy;
  ASSIGN_OR_RETURN(std::unique_ptr<block::BlockWriter> writer,
                   block::BlockWriter::Create(blocks_dir, id, std::move(options)));
  constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  constexpr size_t kReleaseEvery = 256;
  block::SeriesData in, out;
  for (size_t i = 0; i < source.num_series(); ++i) {
    in.raw.clear();
    in.stats.clear();
    RETURN_IF_ERROR(source.ReadSeries(i, kMin, kMax, &in));
    out.key = std::move(in.key);
    out.unit = in.unit;
    out.last_append_ms = source.last_append_ms(i);
    out.rollups.clear();
    for (const RollupPoint& p : Rollup(in.raw, in.stats, period_ms, accuracy)) {
      out.rollups.push_back(ToRollupSample(p));
    }
    RETURN_IF_ERROR(writer->Add(out));
    if ((i + 1) % kReleaseEvery == 0) source.ReleasePagesBefore(i + 1);
  }
  return writer->Finish(meta);
}

}  // namespace vigil::tsdb
