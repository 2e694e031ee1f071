#include "tsdb/query.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

namespace vigil::tsdb {
namespace {

constexpr int64_t kMaxDensePeriods = 1 << 16;

}  // namespace

Status ValidateStatisticsQuery(const StatisticsQuery& query) {
  if (query.period_ms <= 0) {
    return InvalidArgumentError("period must be > 0, got " + std::to_string(query.period_ms));
  }
  if (query.end_ms <= query.start_ms) {
    return InvalidArgumentError("end time must be after start time");
  }
  for (double p : query.percentiles) {
    if (!(p >= 0 && p <= 100)) {
      return InvalidArgumentError("percentile must be within [0, 100], got " + std::to_string(p));
    }
  }
  return OkStatus();
}

PeriodAggregator::PeriodAggregator(const StatisticsQuery& query, double sketch_accuracy)
    : query_(query),
      period_(query.period_ms),
      start_(AlignDown(query.start_ms, query.period_ms)),
      end_(query.end_ms),
      want_percentiles_(!query.percentiles.empty()),
      sketch_accuracy_(sketch_accuracy) {
  // Computed in unsigned arithmetic: end - start can exceed int64 for absurd ranges.
  const uint64_t span = static_cast<uint64_t>(end_) - static_cast<uint64_t>(start_);
  const uint64_t n = span / static_cast<uint64_t>(period_) + (span % period_ != 0 ? 1 : 0);
  num_periods_ = static_cast<int64_t>(std::min<uint64_t>(n, std::numeric_limits<int64_t>::max()));
  dense_ = num_periods_ <= kMaxDensePeriods;
  if (dense_) dense_acc_.resize(static_cast<size_t>(num_periods_));
  units_.push_back("None");
}

void PeriodAggregator::SetUnit(std::string_view unit) {
  if (units_.back() != unit) units_.emplace_back(unit);
  cur_unit_ = static_cast<uint32_t>(units_.size() - 1);
}

PeriodAggregator::Acc* PeriodAggregator::Locate(int64_t t) {
  if (t >= cur_lo_ && t < cur_hi_) return cur_;
  if (t < start_ || t >= end_) return nullptr;
  const uint64_t off = static_cast<uint64_t>(t) - static_cast<uint64_t>(start_);
  cur_idx_ = static_cast<int64_t>(off / static_cast<uint64_t>(period_));
  cur_lo_ = start_ + cur_idx_ * period_;
  cur_hi_ = cur_lo_ + std::min<int64_t>(period_, end_ - cur_lo_);
  cur_ = dense_ ? &dense_acc_[static_cast<size_t>(cur_idx_)] : &sparse_acc_[cur_idx_];
  return cur_;
}

void PeriodAggregator::Add(Acc* a, double value_min, double value_max, double count, double sum) {
  if (!a->any) {
    a->any = true;
    a->min = value_min;
    a->max = value_max;
  } else {
    a->min = std::min(a->min, value_min);
    a->max = std::max(a->max, value_max);
  }
  a->count += count;
  a->sum += sum;
  a->unit = cur_unit_;
}

template <typename Ts, typename Value, typename Count>
void PeriodAggregator::AddRaw(size_t n, Ts ts, Value value, Count count) {
  // Runs of samples in one period are summed in registers and merged once: updating the
  // accumulator in memory per sample made the loop wait on store-to-load forwarding.
  size_t i = 0;
  while (i < n) {
    Acc* a = Locate(ts(i));
    if (a == nullptr) {
      ++i;
      continue;
    }
    const int64_t lo = cur_lo_, hi = cur_hi_;
    double c = 0, sum = 0;
    double mn = value(i), mx = value(i);
    const size_t first = i;
    for (; i < n && ts(i) >= lo && ts(i) < hi; ++i) {
      const double v = value(i), k = count(i);
      c += k;
      sum += v * k;
      mn = std::min(mn, v);
      mx = std::max(mx, v);
    }
    Add(a, mn, mx, c, sum);
    if (!want_percentiles_) continue;
    if (sketch_accuracy_ > 0) {
      sketch::QuantileSketch& sk = SketchOf(cur_idx_);
      for (size_t j = first; j < i; ++j) sk.Add(value(j), count(j));
    } else {
      for (size_t j = first; j < i; ++j) entries_.push_back(Entry{cur_idx_, value(j), count(j)});
    }
  }
}

void PeriodAggregator::OnRaw(std::span<const RawSample> samples) {
  const RawSample* s = samples.data();
  AddRaw(
      samples.size(), [s](size_t i) { return s[i].timestamp_ms; },
      [s](size_t i) { return s[i].value; }, [s](size_t i) { return s[i].count; });
}

void PeriodAggregator::OnRawColumns(const int64_t* ts, const double* values, const double* counts,
                                    size_t n) {
  auto t = [ts](size_t i) { return ts[i]; };
  auto v = [values](size_t i) { return values[i]; };
  if (counts == nullptr) {
    AddRaw(n, t, v, [](size_t) { return 1.0; });
  } else {
    AddRaw(n, t, v, [counts](size_t i) { return counts[i]; });
  }
}

void PeriodAggregator::OnStats(std::span<const StatSample> samples) {
  for (const StatSample& s : samples) {
    Acc* a = Locate(s.timestamp_ms);
    if (a == nullptr) continue;
    Add(a, s.minimum, s.maximum, s.sample_count, s.sum);
    a->has_stats = true;
  }
}

sketch::QuantileSketch& PeriodAggregator::SketchOf(int64_t idx) {
  return sketches_.try_emplace(idx, sketch_accuracy_).first->second;
}

void PeriodAggregator::OnRollups(std::span<const block::RollupSample> points, double accuracy) {
  sketch::QuantileSketch decoded(accuracy);
  for (const block::RollupSample& p : points) {
    Acc* a = Locate(p.timestamp_ms);
    if (a == nullptr) continue;
    Add(a, p.minimum, p.maximum, p.sample_count, p.sum);
    if (!want_percentiles_) continue;  // the reader did not decode the sketches then
    if (p.sketch.empty()) {
      a->has_stats = true;  // the period held statistic sets: no percentile
      continue;
    }
    std::string_view in = p.sketch;
    // The block's checksums passed, so a malformed sketch is a writer bug: the period then
    // gets no percentile rather than a wrong one.
    if (!sketch::QuantileSketch::DecodeFrom(&in, accuracy, p.minimum, p.maximum, &decoded)) {
      a->has_stats = true;
      continue;
    }
    SketchOf(cur_idx_).Merge(decoded);
  }
}

std::vector<Datapoint> PeriodAggregator::Finish() {
  std::vector<std::pair<int64_t, const Acc*>> periods;
  if (dense_) {
    for (size_t i = 0; i < dense_acc_.size(); ++i) {
      if (dense_acc_[i].any) periods.emplace_back(static_cast<int64_t>(i), &dense_acc_[i]);
    }
  } else {
    for (const auto& [idx, acc] : sparse_acc_) periods.emplace_back(idx, &acc);
    std::sort(periods.begin(), periods.end());
  }
  const bool exact_percentiles = want_percentiles_ && sketch_accuracy_ <= 0;
  if (exact_percentiles) {
    std::sort(entries_.begin(), entries_.end(), [](const Entry& a, const Entry& b) {
      return a.period != b.period ? a.period < b.period : a.value < b.value;
    });
  }
  std::vector<Datapoint> out;
  out.reserve(periods.size());
  size_t e = 0;  // first entry of the current period
  for (const auto& [idx, acc] : periods) {
    Datapoint dp;
    dp.timestamp_ms = start_ + idx * period_;
    dp.sample_count = acc->count;
    dp.sum = acc->sum;
    dp.minimum = acc->min;
    dp.maximum = acc->max;
    dp.unit = units_[acc->unit];
    if (want_percentiles_ && !exact_percentiles) {
      auto it = sketches_.find(idx);
      for (double p : query_.percentiles) {
        if (acc->has_stats || it == sketches_.end() || it->second.empty()) {
          dp.percentiles.push_back(std::nullopt);
        } else {
          dp.percentiles.push_back(it->second.Quantile(p));
        }
      }
    }
    if (exact_percentiles) {
      while (e < entries_.size() && entries_[e].period < idx) ++e;
      size_t end = e;
      double total = 0;
      while (end < entries_.size() && entries_[end].period == idx) total += entries_[end++].count;
      dp.percentiles.reserve(query_.percentiles.size());
      for (double p : query_.percentiles) {
        if (acc->has_stats || end == e) {
          dp.percentiles.push_back(std::nullopt);
          continue;
        }
        const double threshold = p / 100 * total;
        double cum = 0;
        double v = entries_[end - 1].value;  // when rounding leaves cum just short of total
        for (size_t i = e; i < end; ++i) {
          cum += entries_[i].count;
          if (cum >= threshold) {
            v = entries_[i].value;
            break;
          }
        }
        dp.percentiles.push_back(v);
      }
      e = end;
    }
    out.push_back(std::move(dp));
  }
  return out;
}

}  // namespace vigil::tsdb
