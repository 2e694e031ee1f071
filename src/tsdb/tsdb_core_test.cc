// Unit tests of the store's parts below the Db: series keys, WAL records, the head and the
// period aggregator (against the reference model).
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>

#include "tsdb/head.h"
#include "tsdb/query.h"
#include "tsdb/series_key.h"
#include "tsdb/testing/reference.h"
#include "tsdb/tsdb.h"
#include "tsdb/wal_records.h"

namespace vigil::tsdb {
namespace {

SeriesKey Key(std::string ns, std::string metric, std::vector<Dimension> dims = {}) {
  auto k = MakeSeriesKey(std::move(ns), std::move(metric), std::move(dims));
  EXPECT_TRUE(k.ok()) << k.status().ToString();
  return *k;
}

TEST(SeriesKeyTest, MakeSortsAndValidates) {
  SeriesKey k = Key("AWS/EC2", "CPU", {{"b", "2"}, {"a", "1"}});
  ASSERT_EQ(k.dimensions.size(), 2u);
  EXPECT_EQ(k.dimensions[0].name, "a");
  EXPECT_EQ(MakeSeriesKey("", "m", {}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(MakeSeriesKey("n", "", {}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(MakeSeriesKey("n", "m", {{"", "v"}}).status().code(), StatusCode::kInvalidArgument);
  auto dup = MakeSeriesKey("n", "m", {{"a", "1"}, {"a", "2"}});
  EXPECT_EQ(dup.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(dup.status().message().find("appears twice"), std::string::npos);
  EXPECT_FALSE(MakeSeriesKey(std::string("n\0x", 3), "m", {}).ok());
  EXPECT_FALSE(MakeSeriesKey("n", "m", {{"a\x01", "v"}}).ok());
  EXPECT_TRUE(MakeSeriesKey("n", "m", {{"a", "v\x01w"}, {"b", ""}}).ok());
}

TEST(SeriesKeyTest, CanonicalRoundTripAndOrder) {
  SeriesKey k = Key("ns", "m", {{"x", "1"}, {"y", ""}, {"z", "v\x01w"}});
  const std::string c = CanonicalKeyString(k);
  EXPECT_EQ(c, std::string("ns\0m\0x\x01"
                           "1\0y\x01\0z\x01v\x01w\0",
                           18));
  SeriesKey back;
  ASSERT_TRUE(ParseCanonicalKey(c, &back));
  EXPECT_EQ(back, k);
  EXPECT_FALSE(ParseCanonicalKey(std::string("ns\0m", 4), &back));
  EXPECT_FALSE(ParseCanonicalKey(std::string("ns\0m\0novalue\0", 14), &back));
  // Namespace "a" sorts before "a-b" (the NUL separator), as the order of (ns, metric) does.
  EXPECT_LT(CanonicalKeyString(Key("a", "z")), CanonicalKeyString(Key("a-b", "a")));
  EXPECT_EQ(FormatSeriesKey(k), "ns/m{x=1,y=,z=v\x01w}");
}

TEST(SeriesKeyTest, ListFilters) {
  const std::string c = CanonicalKeyString(Key("ns", "m", {{"a", "1"}, {"b", "2"}}));
  ListQuery q;
  EXPECT_TRUE(MatchesListFilters(c, q));
  q.ns = "ns";
  q.metric = "m";
  q.dimensions = {{"b", std::nullopt}, {"a", "1"}};
  EXPECT_TRUE(MatchesListFilters(c, q));
  q.dimensions = {{"a", "2"}};
  EXPECT_FALSE(MatchesListFilters(c, q));
  q.dimensions = {{"c", std::nullopt}};
  EXPECT_FALSE(MatchesListFilters(c, q));
  q.dimensions.clear();
  q.ns = "n";
  EXPECT_FALSE(MatchesListFilters(c, q));
}

TEST(WalRecordsTest, RoundTrip) {
  std::vector<RawSample> raw = {{1000, 1.5, 1}, {900, -2, 3}, {2000, 0, 1}};
  std::vector<StatSample> stats = {{1500, 4, 10, 1, 4}};
  const std::string key = CanonicalKeyString(Key("ns", "m", {{"a", "1"}}));
  std::vector<WalSeriesDef> defs = {{7, key, "Seconds"}};
  std::vector<WalSeriesSamples> groups = {{7, raw, stats}, {9, raw, {}}};
  std::string rec;
  EncodeWalBatch(1234, defs, groups, &rec);
  WalBatch b;
  ASSERT_TRUE(DecodeWalBatch(rec, &b).ok());
  EXPECT_EQ(b.append_ms, 1234);
  ASSERT_EQ(b.defs.size(), 1u);
  EXPECT_EQ(b.defs[0].id, 7u);
  EXPECT_EQ(b.defs[0].key, key);
  EXPECT_EQ(b.defs[0].unit, "Seconds");
  ASSERT_EQ(b.groups.size(), 2u);
  auto r0 = b.RawOf(b.groups[0]);
  ASSERT_EQ(r0.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(r0[i].timestamp_ms, raw[i].timestamp_ms);
    EXPECT_EQ(r0[i].value, raw[i].value);
    EXPECT_EQ(r0[i].count, raw[i].count);
  }
  ASSERT_EQ(b.StatsOf(b.groups[0]).size(), 1u);
  EXPECT_EQ(b.StatsOf(b.groups[0])[0].sum, 10);
  EXPECT_EQ(b.groups[1].id, 9u);
  EXPECT_TRUE(b.StatsOf(b.groups[1]).empty());
}

TEST(WalRecordsTest, CorruptionIsDataLossNeverACrash) {
  std::vector<RawSample> raw = {{1000, 1.5, 2}, {1001, 2.5, 1}};
  std::vector<StatSample> stats = {{1500, 4, 10, 1, 4}};
  std::vector<WalSeriesDef> defs = {{1, "ns\0m\0", "None"}};
  std::vector<WalSeriesSamples> groups = {{1, raw, stats}};
  std::string rec;
  EncodeWalBatch(1000, defs, groups, &rec);
  WalBatch b;
  for (size_t len = 0; len < rec.size(); ++len) {
    Status s = DecodeWalBatch(std::string_view(rec.data(), len), &b);
    EXPECT_EQ(s.code(), StatusCode::kDataLoss) << "len " << len;
  }
  EXPECT_EQ(DecodeWalBatch(rec + "x", &b).code(), StatusCode::kDataLoss);
  std::string bad_type = rec;
  bad_type[0] = 9;
  EXPECT_EQ(DecodeWalBatch(bad_type, &b).code(), StatusCode::kDataLoss);
  std::mt19937 rng(3);
  for (int i = 0; i < 2000; ++i) {
    std::string m = rec;
    m[rng() % m.size()] ^= static_cast<char>(1 << (rng() % 8));
    (void)DecodeWalBatch(m, &b);  // any result, but no crash or overread (ASan)
  }
  SUCCEED();
}

// Feeds a head and the reference the same random data, then compares queries.
TEST(HeadTest, QueriesMatchReference) {
  std::mt19937_64 rng(42);
  UnitTable units;
  Head head(&units, 0);
  std::atomic<uint64_t> next_id{1};
  testing::ReferenceStore ref;
  std::vector<SeriesKey> keys;
  for (int i = 0; i < 5; ++i) keys.push_back(Key("ns", "m" + std::to_string(i), {{"i", "x"}}));
  const int64_t t0 = 1'700'000'000'000;
  for (int round = 0; round < 200; ++round) {
    SeriesSamples s;
    s.key = keys[rng() % keys.size()];
    for (int j = 0; j < 30; ++j) {
      const int64_t t = t0 + static_cast<int64_t>(rng() % 3'600'000);
      const double v = static_cast<double>(rng() % 1000) / 8 - 40;
      s.raw.push_back({t, v, rng() % 5 == 0 ? static_cast<double>(rng() % 4 + 2) : 1.0});
    }
    if (rng() % 4 == 0)
      s.stats.push_back({t0 + static_cast<int64_t>(rng() % 3'600'000), 3, 9, 1, 5});
    const std::string c = CanonicalKeyString(s.key);
    bool created;
    MemSeries* ms = head.GetOrCreate(c, HashCanonicalKey(c), &next_id, &created);
    {
      auto lock = head.Lock(*ms);
      head.AppendLocked(ms, s.raw, s.stats, 0, 1, true);
    }
    ref.Append(std::span<const SeriesSamples>(&s, 1), 1);
  }
  EXPECT_EQ(head.num_series(), 5u);
  for (int qi = 0; qi < 200; ++qi) {
    StatisticsQuery q;
    q.key = keys[rng() % keys.size()];
    q.period_ms = std::vector<int64_t>{1000, 60'000, 300'000, 3'600'000, 7}[rng() % 5];
    q.start_ms = t0 + static_cast<int64_t>(rng() % 3'600'000) - 600'000;
    q.end_ms = q.start_ms + 1 + static_cast<int64_t>(rng() % 3'600'000);
    if (rng() % 2) q.percentiles = {0, 50, 90, 99.9, 100};
    ASSERT_TRUE(ValidateStatisticsQuery(q).ok());
    PeriodAggregator agg(q);
    const std::string c = CanonicalKeyString(q.key);
    const MemSeries* ms = head.Find(c, HashCanonicalKey(c));
    ASSERT_NE(ms, nullptr);
    {
      auto lock = head.Lock(*ms);
      head.ScanLocked(*ms, agg.min_time(), agg.max_time(), &agg);
    }
    auto got = agg.Finish();
    auto want = ref.GetStatistics(q);
    ASSERT_EQ(got.size(), want.size()) << "query " << qi;
    for (size_t i = 0; i < got.size(); ++i) {
      EXPECT_EQ(got[i].timestamp_ms, want[i].timestamp_ms);
      EXPECT_EQ(got[i].sample_count, want[i].sample_count);
      EXPECT_NEAR(got[i].sum, want[i].sum, 1e-9 * (1 + std::abs(want[i].sum)));
      EXPECT_EQ(got[i].minimum, want[i].minimum);
      EXPECT_EQ(got[i].maximum, want[i].maximum);
      EXPECT_EQ(got[i].percentiles, want[i].percentiles);
    }
  }
  // Export: sorted keys, samples sorted by time, counts preserved.
  std::vector<std::string> order;
  uint64_t total = 0;
  ASSERT_TRUE(head.ExportSorted([&](const block::SeriesData& d) {
                    order.push_back(CanonicalKeyString(d.key));
                    EXPECT_TRUE(std::is_sorted(d.raw.begin(), d.raw.end(), [](auto& a, auto& b) {
                      return a.timestamp_ms < b.timestamp_ms;
                    }));
                    total += d.raw.size() + d.stats.size();
                    return OkStatus();
                  })
                  .ok());
  EXPECT_TRUE(std::is_sorted(order.begin(), order.end()));
  EXPECT_EQ(total, head.num_samples());
}

// memory_bytes(), kept up to date by each append, is what Memory() finds by walking the
// series: the cut decision rests on it.
TEST(HeadTest, RunningMemoryMatchesWalk) {
  std::mt19937_64 rng(7);
  UnitTable units;
  Head head(&units, 0);
  std::atomic<uint64_t> next_id{1};
  EXPECT_EQ(head.memory_bytes(), 0u);
  for (int round = 0; round < 3000; ++round) {
    const std::string c =
        CanonicalKeyString(Key("ns", "m", {{"i", std::to_string(rng() % 50)}}));
    std::vector<RawSample> raw(1 + rng() % 200);
    for (RawSample& r : raw) {
      r.timestamp_ms = static_cast<int64_t>(rng() % 1'000'000);
      r.value = static_cast<double>(rng() % 100'000) / 100;
      r.count = 1;
    }
    bool created;
    MemSeries* ms = head.GetOrCreate(c, HashCanonicalKey(c), &next_id, &created);
    auto lock = head.Lock(*ms);
    head.AppendLocked(ms, raw, {}, 0, 1, true);
  }
  const Head::MemoryUse walk = head.Memory();
  EXPECT_EQ(head.memory_bytes(), walk.series_and_chunks);
  EXPECT_GT(head.memory_bytes(), walk.chunk_data);
  // Chunk buffers sized from the series' previous chunk waste little of the arena.
  EXPECT_GT(static_cast<double>(walk.chunk_data), 0.6 * static_cast<double>(head.memory_bytes()));
}

TEST(QueryTest, PercentilesAndStatSets) {
  StatisticsQuery q;
  q.start_ms = 0;
  q.end_ms = 120;
  q.period_ms = 60;
  q.percentiles = {0, 25, 50, 75, 100};
  PeriodAggregator agg(q);
  std::vector<RawSample> raw = {{1, 4, 1}, {2, 1, 1}, {3, 3, 2}, {4, 2, 1}, {70, 10, 1}};
  agg.SetUnit("Bytes");
  agg.OnRaw(raw);
  std::vector<StatSample> st = {{80, 2, 30, 5, 25}};
  agg.OnStats(st);
  auto dps = agg.Finish();
  ASSERT_EQ(dps.size(), 2u);
  // Values 1,2,3,3,4 (count 5): p25 -> 1.25 -> 2; p50 -> 2.5 -> 3; p75 -> 3.75 -> 3.
  EXPECT_EQ(dps[0].sample_count, 5);
  EXPECT_EQ(dps[0].sum, 13);
  EXPECT_EQ(dps[0].unit, "Bytes");
  EXPECT_EQ(dps[0].percentiles, (std::vector<std::optional<double>>{1.0, 2.0, 3.0, 3.0, 4.0}));
  EXPECT_EQ(dps[1].timestamp_ms, 60);
  EXPECT_EQ(dps[1].sample_count, 3);
  EXPECT_EQ(dps[1].sum, 40);
  EXPECT_EQ(dps[1].minimum, 5);
  EXPECT_EQ(dps[1].maximum, 25);
  EXPECT_EQ(dps[1].percentiles.size(), 5u);
  EXPECT_FALSE(dps[1].percentiles[0].has_value());
}

TEST(QueryTest, AlignmentAndValidation) {
  EXPECT_EQ(AlignDown(-1, 60), -60);
  EXPECT_EQ(AlignDown(-60, 60), -60);
  EXPECT_EQ(AlignDown(59, 60), 0);
  StatisticsQuery q;
  q.period_ms = 0;
  q.end_ms = 1;
  EXPECT_EQ(ValidateStatisticsQuery(q).code(), StatusCode::kInvalidArgument);
  q.period_ms = 60;
  q.percentiles = {101};
  EXPECT_EQ(ValidateStatisticsQuery(q).code(), StatusCode::kInvalidArgument);
  q.percentiles = {std::nan("")};
  EXPECT_EQ(ValidateStatisticsQuery(q).code(), StatusCode::kInvalidArgument);
  // Sparse mode: a 1 ms period over a year touches only the periods with samples.
  q.percentiles = {};
  q.start_ms = 0;
  q.end_ms = 365LL * 86400 * 1000;
  q.period_ms = 1;
  PeriodAggregator agg(q);
  std::vector<RawSample> raw = {{5, 1, 1}, {q.end_ms - 1, 2, 1}, {q.end_ms, 3, 1}};
  agg.OnRaw(raw);
  auto dps = agg.Finish();
  ASSERT_EQ(dps.size(), 2u);
  EXPECT_EQ(dps[1].timestamp_ms, q.end_ms - 1);
}

}  // namespace
}  // namespace vigil::tsdb
