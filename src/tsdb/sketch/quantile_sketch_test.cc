// QuantileSketch: the relative-error guarantee against exact weighted nearest-rank percentiles
// over many distributions, exact merging, the encoding, and bounded size.
#include "tsdb/sketch/quantile_sketch.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>

namespace vigil::tsdb::sketch {
namespace {

struct Weighted {
  double value, count;
};

// tsdb/query.h's definition: the smallest v whose cumulative count reaches p/100 of the total.
double ExactPercentile(std::vector<Weighted> v, double p) {
  std::sort(v.begin(), v.end(), [](const Weighted& a, const Weighted& b) { return a.value < b.value; });
  if (p <= 0) return v.front().value;
  double total = 0;
  for (const auto& w : v) total += w.count;
  const double target = p / 100 * total;
  double cumulative = 0;
  for (const auto& w : v) {
    cumulative += w.count;
    if (cumulative >= target) return w.value;
  }
  return v.back().value;
}

std::vector<Weighted> Sample(int kind, std::mt19937_64& rng, int n) {
  std::lognormal_distribution<double> lognormal(-2, 0.7);  // latencies in seconds
  std::uniform_real_distribution<double> uniform(-50, 150);
  std::exponential_distribution<double> exponential(0.01);
  std::uniform_int_distribution<int> counts(1, 5);
  std::vector<Weighted> out;
  for (int i = 0; i < n; ++i) {
    double v = 0;
    switch (kind) {
      case 0: v = lognormal(rng); break;
      case 1: v = uniform(rng); break;                               // negatives too
      case 2: v = std::round(exponential(rng));                      // zeros and integers
        break;
      case 3: v = std::pow(10, std::uniform_real_distribution<double>(-6, 9)(rng)); break;
      default: v = 42; break;                                        // one value
    }
    out.push_back({v, kind == 1 ? static_cast<double>(counts(rng)) : 1.0});
  }
  return out;
}

TEST(QuantileSketchTest, EveryPercentileWithinTheRelativeAccuracy) {
  std::mt19937_64 rng(7);
  for (const double accuracy : {0.01, 0.02, 0.05}) {
    for (int kind = 0; kind < 5; ++kind) {
      for (const int n : {1, 2, 10, 360, 5000}) {
        const std::vector<Weighted> values = Sample(kind, rng, n);
        QuantileSketch s(accuracy);
        for (const auto& w : values) s.Add(w.value, w.count);
        for (const double p : {0.0, 0.1, 1.0, 10.0, 25.0, 50.0, 75.0, 90.0, 99.0, 99.9, 100.0}) {
          const double exact = ExactPercentile(values, p);
          const double got = s.Quantile(p);
          EXPECT_LE(std::fabs(got - exact), accuracy * std::fabs(exact) + 1e-9)
              << "accuracy " << accuracy << " kind " << kind << " n " << n << " p" << p
              << ": exact " << exact << ", sketch " << got;
        }
        EXPECT_EQ(s.Min(), ExactPercentile(values, 0));
        EXPECT_EQ(s.Max(), ExactPercentile(values, 100));
      }
    }
  }
}

TEST(QuantileSketchTest, MergingIsExactlyTheSketchOfTheUnion) {
  std::mt19937_64 rng(11);
  QuantileSketch whole;
  std::vector<QuantileSketch> parts(12);
  for (int i = 0; i < 12; ++i) {
    for (const auto& w : Sample(i % 4, rng, 200)) {
      whole.Add(w.value, w.count);
      parts[static_cast<size_t>(i)].Add(w.value, w.count);
    }
  }
  QuantileSketch merged;
  for (const auto& p : parts) merged.Merge(p);
  EXPECT_EQ(merged.count(), whole.count());
  for (const double p : {0.0, 5.0, 50.0, 95.0, 99.9, 100.0}) {
    EXPECT_EQ(merged.Quantile(p), whole.Quantile(p)) << p;
  }
  QuantileSketch empty;
  merged.Merge(empty);
  EXPECT_EQ(merged.Quantile(50), whole.Quantile(50));
  empty.Merge(whole);
  EXPECT_EQ(empty.Quantile(99), whole.Quantile(99));
  EXPECT_EQ(QuantileSketch().Quantile(50), 0);
}

TEST(QuantileSketchTest, MergingAcrossAccuraciesStaysWithinBothErrors) {
  // Rollups written before the configured accuracy changed meet newer ones in one query.
  std::mt19937_64 rng(13);
  for (int kind = 0; kind < 5; ++kind) {
    const std::vector<Weighted> a = Sample(kind, rng, 2000), b = Sample(kind, rng, 3000);
    QuantileSketch fine(0.01), coarse(0.05);
    for (const auto& w : a) fine.Add(w.value, w.count);
    for (const auto& w : b) coarse.Add(w.value, w.count);
    fine.Merge(coarse);
    std::vector<Weighted> all = a;
    all.insert(all.end(), b.begin(), b.end());
    double total = 0;
    for (const auto& w : all) total += w.count;
    EXPECT_DOUBLE_EQ(fine.count(), total);
    const double bound = 0.01 + 0.05 + 0.01 * 0.05;
    for (const double p : {0.0, 1.0, 25.0, 50.0, 90.0, 99.0, 100.0}) {
      const double exact = ExactPercentile(all, p);
      EXPECT_LE(std::fabs(fine.Quantile(p) - exact), bound * std::fabs(exact) + 1e-9)
          << "kind " << kind << " p" << p;
    }
    EXPECT_EQ(fine.Min(), ExactPercentile(all, 0));
    EXPECT_EQ(fine.Max(), ExactPercentile(all, 100));
  }
}

TEST(QuantileSketchTest, EncodingRoundTripsAndRejectsDamage) {
  std::mt19937_64 rng(3);
  for (int kind = 0; kind < 5; ++kind) {
    QuantileSketch s;
    for (const auto& w : Sample(kind, rng, 300)) s.Add(w.value, kind == 2 ? 0.5 : w.count);
    std::string bytes;
    s.EncodeTo(&bytes);
    bytes += "tail";
    std::string_view in = bytes;
    QuantileSketch back;
    ASSERT_TRUE(QuantileSketch::DecodeFrom(&in, s.relative_accuracy(), s.Min(), s.Max(), &back));
    EXPECT_EQ(in, "tail");
    for (const double p : {0.0, 1.0, 50.0, 99.0, 100.0}) EXPECT_EQ(back.Quantile(p), s.Quantile(p));
    EXPECT_EQ(back.count(), s.count());
    // Every truncation and random damage is refused or decodes to something, never crashes.
    for (size_t cut = 0; cut + 4 < bytes.size(); ++cut) {
      std::string_view t = std::string_view(bytes).substr(0, cut);
      QuantileSketch x;
      (void)QuantileSketch::DecodeFrom(&t, 0.01, 0, 1, &x);
    }
    for (int i = 0; i < 500; ++i) {
      std::string junk = bytes;
      junk[rng() % junk.size()] = static_cast<char>(rng());
      std::string_view j = junk;
      QuantileSketch x;
      (void)QuantileSketch::DecodeFrom(&j, 0.01, 0, 1, &x);
    }
  }
}

TEST(QuantileSketchTest, SizeIsBoundedAndSmallForTypicalPeriods) {
  QuantileSketch wide;
  for (int e = -300; e <= 300; ++e) {
    for (int k = 1; k < 10; ++k) wide.Add(k * std::pow(10.0, e));
  }
  std::string bytes;
  wide.EncodeTo(&bytes);
  EXPECT_LT(bytes.size(), 3 * QuantileSketch::kMaxBuckets);
  // The top of the range keeps its accuracy after collapsing.
  EXPECT_NEAR(wide.Quantile(100), 9e300, 9e300 * 0.01);
  EXPECT_NEAR(wide.Quantile(99), 9e294, 9e294 * 0.2);

  // An hour of 10 s latencies (lognormal around 135 ms): about a hundred bytes.
  std::mt19937_64 rng(5);
  QuantileSketch hour;
  for (const auto& w : Sample(0, rng, 360)) hour.Add(w.value, w.count);
  std::string h;
  hour.EncodeTo(&h);
  EXPECT_LT(h.size(), 400u);
  RecordProperty("hour_of_latencies_bytes", static_cast<int>(h.size()));
}

}  // namespace
}  // namespace vigil::tsdb::sketch
