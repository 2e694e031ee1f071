// Rollup points against the raw query path: count/sum/min/max exact, percentiles within the
// sketch's bound, and coarsening a finer tier equal to rolling the samples up directly.
#include "tsdb/rollup.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "storage/test_util.h"
#include "tsdb/query.h"

namespace vigil::tsdb {
namespace {

constexpr int64_t kT0 = 1'764'000'000'000;  // a whole hour



struct Data {
  std::vector<RawSample> raw;
  std::vector<StatSample> stats;
};

// A day of 10 s samples of a noisy latency-like series, with a few weighted values, plus
// statistic sets in some hours.
Data Day(std::mt19937_64& rng) {
  Data d;
  std::lognormal_distribution<double> latency(-2, 0.5);
  for (int64_t t = kT0; t < kT0 + 86'400'000; t += 10'000) {
    d.raw.push_back({t + static_cast<int64_t>(rng() % 10'000), latency(rng),
                     rng() % 20 == 0 ? 3.0 : 1.0});
    if ((t - kT0) % 3'600'000 == 0 && (t - kT0) / 3'600'000 % 5 == 0) {
      d.stats.push_back({t + 1, 10, 2.5, 0.1, 0.4});
    }
  }
  std::shuffle(d.raw.begin(), d.raw.end(), rng);
  return d;
}

TEST(RollupTest, MatchesTheRawQueryWithinTheSketchBound) {
  std::mt19937_64 rng(17);
  const Data d = Day(rng);
  for (const int64_t period : {60'000, 300'000, 3'600'000}) {
    const std::vector<RollupPoint> points = Rollup(d.raw, d.stats, period);
    StatisticsQuery q;
    q.start_ms = kT0;
    q.end_ms = kT0 + 86'400'000 + 3'600'000;
    q.period_ms = period;
    q.percentiles = {0, 50, 90, 99, 100};
    PeriodAggregator agg(q);
    agg.OnRaw(d.raw);
    agg.OnStats(d.stats);
    const std::vector<Datapoint> exact = agg.Finish();
    ASSERT_EQ(points.size(), exact.size()) << period;
    for (size_t i = 0; i < points.size(); ++i) {
      const Datapoint got = ToDatapoint(points[i], q.percentiles);
      const Datapoint& want = exact[i];
      ASSERT_EQ(got.timestamp_ms, want.timestamp_ms);
      EXPECT_EQ(got.sample_count, want.sample_count);
      EXPECT_NEAR(got.sum, want.sum, 1e-9 * std::fabs(want.sum));
      EXPECT_EQ(got.minimum, want.minimum);
      EXPECT_EQ(got.maximum, want.maximum);
      for (size_t k = 0; k < q.percentiles.size(); ++k) {
        ASSERT_EQ(got.percentiles[k].has_value(), want.percentiles[k].has_value())
            << period << " " << i;
        if (!want.percentiles[k]) continue;
        EXPECT_LE(std::fabs(*got.percentiles[k] - *want.percentiles[k]),
                  0.01 * std::fabs(*want.percentiles[k]) + 1e-12)
            << "period " << period << " point " << i << " p" << q.percentiles[k];
      }
    }
  }
}

TEST(RollupTest, CoarseningTheFinerTierEqualsRollingTheSamplesUp) {
  std::mt19937_64 rng(23);
  const Data d = Day(rng);
  const std::vector<RollupPoint> minutes = Rollup(d.raw, d.stats, 60'000);
  const std::vector<RollupPoint> five = Coarsen(minutes, 300'000);
  const std::vector<RollupPoint> hours = Coarsen(five, 3'600'000);
  const std::vector<RollupPoint> direct_five = Rollup(d.raw, d.stats, 300'000);
  const std::vector<RollupPoint> direct_hours = Rollup(d.raw, d.stats, 3'600'000);
  ASSERT_EQ(five.size(), direct_five.size());
  ASSERT_EQ(hours.size(), direct_hours.size());
  for (size_t i = 0; i < hours.size(); ++i) {
    EXPECT_EQ(hours[i].timestamp_ms, direct_hours[i].timestamp_ms);
    EXPECT_EQ(hours[i].sample_count, direct_hours[i].sample_count);
    EXPECT_NEAR(hours[i].sum, direct_hours[i].sum, 1e-9 * std::fabs(direct_hours[i].sum));
    EXPECT_EQ(hours[i].minimum, direct_hours[i].minimum);
    EXPECT_EQ(hours[i].maximum, direct_hours[i].maximum);
    EXPECT_EQ(hours[i].has_stat_sets, direct_hours[i].has_stat_sets);
    // The sketches merge bucket for bucket: the same estimates.
    for (const double p : {1.0, 50.0, 99.0}) {
      EXPECT_EQ(hours[i].values.Quantile(p), direct_hours[i].values.Quantile(p));
    }
  }
}

TEST(RollupTest, EmptyAndNegativeTimes) {
  EXPECT_TRUE(Rollup({}, {}, 60'000).empty());
  const std::vector<RawSample> raw = {{-1, 5, 1}, {-60'000, 7, 1}, {0, 1, 1}};
  const std::vector<RollupPoint> p = Rollup(raw, {}, 60'000);
  ASSERT_EQ(p.size(), 2u);
  EXPECT_EQ(p[0].timestamp_ms, -60'000);
  EXPECT_EQ(p[0].sample_count, 2);
  EXPECT_EQ(p[0].maximum, 7);
  EXPECT_EQ(p[1].timestamp_ms, 0);
}

TEST(RollupBlockTest, ARollupBlockOfADayBlockAnswersLikeRollingItsSamplesUp) {
  storage::TempDir tmp;
  std::mt19937_64 rng(29);
  std::vector<block::SeriesData> series;
  for (int h = 0; h < 5; ++h) {
    const Data d = Day(rng);
    block::SeriesData s;
    s.key = SeriesKey{"App", "Latency", {{"Host", "h" + std::to_string(h)}}};
    s.unit = "Seconds";
    s.raw = d.raw;
    std::sort(s.raw.begin(), s.raw.end(),
              [](const RawSample& a, const RawSample& b) { return a.timestamp_ms < b.timestamp_ms; });
    s.stats = d.stats;
    series.push_back(std::move(s));
  }
  block::BlockMeta raw_meta;
  ASSERT_TRUE(block::WriteBlock(tmp.path(), "day", series, 1, &raw_meta).ok());
  auto day = block::BlockReader::Open(tmp.path() + "/day");
  ASSERT_TRUE(day.ok());
  block::BlockMeta meta;
  ASSERT_TRUE(WriteRollupBlock(**day, 3'600'000, 0.02, tmp.path(), "day-1h", &meta).ok());
  EXPECT_EQ(meta.resolution_ms, 3'600'000);
  auto rollups = block::BlockReader::Open(tmp.path() + "/day-1h");
  ASSERT_TRUE(rollups.ok()) << rollups.status().ToString();
  EXPECT_EQ((*rollups)->meta().sketch_accuracy, 0.02);
  ASSERT_EQ((*rollups)->num_series(), series.size());
  for (size_t i = 0; i < series.size(); ++i) {
    block::SeriesData got;
    ASSERT_TRUE((*rollups)->ReadSeries(i, INT64_MIN, INT64_MAX, &got).ok());
    EXPECT_EQ(got.key, series[i].key);
    EXPECT_EQ(got.unit, "Seconds");
    const std::vector<RollupPoint> want = Rollup(series[i].raw, series[i].stats, 3'600'000, 0.02);
    ASSERT_EQ(got.rollups.size(), want.size());
    for (size_t k = 0; k < want.size(); ++k) {
      RollupPoint p;
      ASSERT_TRUE(FromRollupSample(got.rollups[k], 0.02, &p));
      EXPECT_EQ(p.timestamp_ms, want[k].timestamp_ms);
      EXPECT_EQ(p.sample_count, want[k].sample_count);
      EXPECT_EQ(p.sum, want[k].sum);
      EXPECT_EQ(p.minimum, want[k].minimum);
      EXPECT_EQ(p.maximum, want[k].maximum);
      EXPECT_EQ(p.has_stat_sets, want[k].has_stat_sets);
      if (!want[k].has_stat_sets) {
        for (const double q : {10.0, 50.0, 99.0}) {
          EXPECT_EQ(p.values.Quantile(q), want[k].values.Quantile(q));
        }
      }
    }
  }
  // The block is the sum of its parts: rollups take a fraction of the raw block.
  EXPECT_LT((*rollups)->SizeBytes(), (*day)->SizeBytes() / 4);
}

}  // namespace
}  // namespace vigil::tsdb
