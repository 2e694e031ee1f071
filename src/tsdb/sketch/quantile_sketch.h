#pragma once
// QuantileSketch: a mergeable summary of a distribution of weighted values that answers
// percentiles within a relative error, for the rollup tiers (a rollup point keeps one per
// period, and a query merges the points of its period). The DDSketch construction (Masson,
// Rim and Lee, "DDSketch: A Fast and Fully-Mergeable Quantile Sketch with Relative-Error
// Guarantees", VLDB 2019):
//
// Values are mapped to logarithmic buckets: with gamma = (1 + a) / (1 - a), a positive value x
// falls in bucket i = ceil(log_gamma(x)), i.e. gamma^(i-1) < x <= gamma^i, and the bucket
// answers for it with 2 gamma^i / (gamma + 1), within a * x of x. Negative values use a mirrored
// set of buckets; values with |x| below kMinIndexable (1e-9) count as zero. Merging adds counts
// bucket by bucket, so a merged sketch is exactly the sketch of the union: the error bound
// holds after any number of merges.
//
// Guarantee (tested): Quantile(p) is within a relative error `a` of the exact weighted
// nearest-rank percentile (tsdb/query.h's definition) of the values added, and is clamped to
// [Min(), Max()], which are exact. a = 1% by default.
//
// Size: one bucket per occupied factor of gamma: ~log(max/min) / (2a) buckets, e.g. 70 for values
// spanning a factor 4 at 1%. Buckets beyond kMaxBuckets per sign are collapsed into the lowest
// kept one (only the smallest values lose accuracy), which bounds the memory of any input.
//
// Not thread-safe.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace vigil::tsdb::sketch {

class QuantileSketch {
 public:
  static constexpr double kDefaultRelativeAccuracy = 0.01;
  static constexpr double kMinIndexable = 1e-9;
  static constexpr size_t kMaxBuckets = 2048;

  explicit QuantileSketch(double relative_accuracy = kDefaultRelativeAccuracy);

  // Adds `value` with weight `count` (> 0). Values must be finite.
  void Add(double value, double count = 1);
  // Adds every value of `other`. With the same relative accuracy this is exact (bucket for
  // bucket); otherwise each of other's buckets is re-added at its representative value, and
  // the result's error is within the sum of both accuracies.
  void Merge(const QuantileSketch& other);

  // The weighted nearest-rank p-th percentile (p in [0, 100]) within the relative accuracy;
  // 0 when the sketch is empty.
  double Quantile(double p) const;

  double count() const { return count_; }
  bool empty() const { return count_ <= 0; }
  double Min() const { return min_; }
  double Max() const { return max_; }
  double relative_accuracy() const { return relative_accuracy_; }

  // Appends a compact encoding of the buckets (the zero count and each sign's occupied buckets
  // as delta-coded indexes with their counts) to *out. The accuracy, Min() and Max() are not
  // in it: a rollup keeps the accuracy once per block and min/max in columns of their own.
  void EncodeTo(std::string* out) const;
  // Decodes the buckets of one sketch from the front of *in (advancing it) into *out, which
  // gets `relative_accuracy`, `min` and `max`. False on malformed input.
  static bool DecodeFrom(std::string_view* in, double relative_accuracy, double min, double max,
                         QuantileSketch* out);

  bool operator==(const QuantileSketch& other) const = default;

 private:
  // Counts of a contiguous range of bucket indexes [offset, offset + counts.size()).
  struct Store {
    int32_t offset = 0;
    std::vector<double> counts;
    void Add(int32_t index, double count);
    void Collapse();  // keeps the kMaxBuckets highest indexes
    double Total() const;
    bool operator==(const Store&) const = default;
  };

  int32_t Index(double magnitude) const;
  double Value(int32_t index) const;

  double relative_accuracy_;
  double gamma_;
  double log_gamma_;
  double count_ = 0;
  double zero_count_ = 0;
  double min_ = 0;
  double max_ = 0;
  Store positive_;
  Store negative_;  // buckets of -x for negative x
};

}  // namespace vigil::tsdb::sketch
