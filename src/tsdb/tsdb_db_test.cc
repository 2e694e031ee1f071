// Db behaviour: queries against the reference model through flushes, compaction and reopens;
// validation; ListSeries; retention; stats and self-metrics.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <map>
#include <random>

#include "common/metrics.h"
#include "tsdb/series_key.h"
#include "tsdb/testing/db_fixture.h"

namespace vigil::tsdb {
namespace {

using testing::kDay;
using testing::kHour;
using testing::kMinute;

class DbTest : public testing::DbFixture {};

TEST_F(DbTest, RandomQueriesMatchReferenceThroughFlushCompactReopen) {
  std::mt19937_64 rng(2024);
  constexpr int kKeys = 12;
  Open();
  const int64_t begin = clock_.NowMillis() - 3 * kDay;
  // Two and a half days of data, a flush every 4 hours of clock time.
  for (int round = 0; round < 120; ++round) {
    AppendBoth(RandomBatch(rng, kKeys, 30 * kMinute, 2 * kDay));
    if (round % 8 == 7) {
      ASSERT_TRUE(db_->Flush().ok());
      if (round == 47) CheckQueries(rng, kKeys, begin, clock_.NowMillis() + 1);
    }
    clock_.Advance(30 * kMinute);
  }
  // Head only + blocks.
  CheckQueries(rng, kKeys, begin, clock_.NowMillis() + 1);
  ASSERT_TRUE(db_->Flush().ok());
  CheckQueries(rng, kKeys, begin, clock_.NowMillis() + 1);
  const size_t before = db_->GetStats().blocks;
  ASSERT_TRUE(db_->Compact().ok());
  const Db::Stats after = db_->GetStats();
  EXPECT_LT(after.blocks, before);
  EXPECT_EQ(after.head_samples, 0u);
  CheckQueries(rng, kKeys, begin, clock_.NowMillis() + 1);
  // More data in the head, then a crash-style reopen (WAL replay) and a clean one.
  for (int round = 0; round < 10; ++round) {
    AppendBoth(RandomBatch(rng, kKeys, 30 * kMinute, kDay));
    clock_.Advance(10 * kMinute);
  }
  Reopen();
  CheckQueries(rng, kKeys, begin, clock_.NowMillis() + 1);
  ASSERT_TRUE(db_->Close().ok());
  Reopen();
  EXPECT_EQ(db_->GetStats().head_samples, 0u);
  CheckQueries(rng, kKeys, begin, clock_.NowMillis() + 1);
  EXPECT_EQ(db_->GetStats().series, ref_.num_series());
}

// Within the open day blocks merge in tiers of eight: 64 head flushes leave one level-2 block,
// seven more flushes sit beside it until an eighth joins them; every query still matches.
TEST_F(DbTest, OpenDayCompactsInTiers) {
  std::mt19937_64 rng(77);
  constexpr int kKeys = 8;
  Open();
  clock_.Set(clock_.NowMillis() - clock_.NowMillis() % kDay + kHour);
  const int64_t begin = clock_.NowMillis() - kHour;
  auto flush_round = [&] {
    AppendBoth(RandomBatch(rng, kKeys, 2 * kMinute, 10 * kMinute));
    ASSERT_TRUE(db_->Flush().ok());
    clock_.Advance(3 * kMinute);
  };
  for (int i = 0; i < 64; ++i) flush_round();
  ASSERT_EQ(db_->GetStats().blocks, 64u);
  ASSERT_TRUE(db_->Compact().ok());
  EXPECT_EQ(db_->GetStats().blocks, 1u);
  CheckQueries(rng, kKeys, begin, clock_.NowMillis() + 1);
  for (int i = 0; i < 7; ++i) flush_round();
  ASSERT_TRUE(db_->Compact().ok());
  EXPECT_EQ(db_->GetStats().blocks, 8u);
  flush_round();
  ASSERT_TRUE(db_->Compact().ok());
  EXPECT_EQ(db_->GetStats().blocks, 2u);  // the level-2 block and a new level-1 one
  CheckQueries(rng, kKeys, begin, clock_.NowMillis() + 1);
  Reopen();
  CheckQueries(rng, kKeys, begin, clock_.NowMillis() + 1);
}

TEST_F(DbTest, ValidationRejectsWholeBatch) {
  Open();
  const int64_t now = clock_.NowMillis();
  auto good = [&] {
    SeriesSamples s;
    s.key = KeyNumber(1);
    s.raw = {{now, 1, 1}};
    return s;
  };
  auto expect_invalid = [&](SeriesSamples bad, const std::string& needle) {
    std::vector<SeriesSamples> batch = {good(), std::move(bad)};
    Status s = db_->Append(batch);
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << needle;
    EXPECT_NE(s.message().find(needle), std::string::npos) << s.message();
  };
  SeriesSamples s = good();
  s.raw[0].value = std::nan("");
  expect_invalid(s, "not finite");
  s = good();
  s.raw[0].value = std::numeric_limits<double>::infinity();
  expect_invalid(s, "value 1 is inf");
  s = good();
  s.raw.push_back({now, 2, 0});
  expect_invalid(s, "value 2 has count 0");
  s = good();
  s.raw[0].count = -1;
  expect_invalid(s, "count -1");
  s = good();
  s.raw[0].timestamp_ms = now - 15 * kDay;
  expect_invalid(s, "outside the accepted window");
  s = good();
  s.raw[0].timestamp_ms = now + 3 * kHour;
  expect_invalid(s, "outside the accepted window");
  s = good();
  s.stats = {{now, 2, 10, 6, 4}};
  expect_invalid(s, "Minimum 6 > Maximum 4");
  s = good();
  s.stats = {{now, 0, 10, 1, 4}};
  expect_invalid(s, "SampleCount 0");
  s = good();
  s.stats = {{now, 1, std::nan(""), 1, 4}};
  expect_invalid(s, "non-finite");
  s = good();
  s.key.dimensions = {{"b", "1"}, {"a", "2"}};
  expect_invalid(s, "not sorted");
  s = good();
  s.key.ns = "";
  expect_invalid(s, "namespace is empty");
  s = good();
  s.key.dimensions = {{"a", "1"}, {"a", "2"}};
  expect_invalid(s, "appears twice");
  // The series name is in the message.
  s = good();
  s.raw[0].value = std::nan("");
  Status st = db_->Append(std::vector<SeriesSamples>{s});
  EXPECT_NE(st.message().find(FormatSeriesKey(s.key)), std::string::npos) << st.message();
  // Nothing of the rejected batches was stored; the edges of the window are accepted.
  EXPECT_EQ(db_->GetStats().head_samples, 0u);
  s = good();
  s.raw = {{now - 14 * kDay, 1, 1}, {now + 2 * kHour, 2, 1}};
  EXPECT_TRUE(db_->Append(std::vector<SeriesSamples>{s}).ok());
  EXPECT_EQ(db_->GetStats().head_samples, 2u);
  // Bad queries.
  StatisticsQuery q;
  q.key = s.key;
  q.start_ms = 0;
  q.end_ms = 10;
  q.period_ms = 0;
  EXPECT_EQ(db_->GetStatistics(q).status().code(), StatusCode::kInvalidArgument);
}

TEST_F(DbTest, ListSeriesFiltersAndPagination) {
  std::mt19937_64 rng(9);
  Open();
  // 200 series; half of them flushed into a block, then some appended again to the head.
  std::vector<SeriesKey> keys;
  for (int i = 0; i < 200; ++i) {
    std::vector<Dimension> dims = {{"Host", "h" + std::to_string(i % 13)}};
    if (i % 3 == 0) dims.push_back({"AZ", "az" + std::to_string(i % 2)});
    // Names that prefix others ("NS/A" of "NS/AB", "m1" of "m10") must not leak into a seek.
    const std::string ns = i % 5 == 0 ? "NS/B" : i % 11 == 0 ? "NS/AB" : "NS/A";
    const std::string metric = i % 7 == 0 ? "m10" : "m" + std::to_string(i % 4);
    keys.push_back(*MakeSeriesKey(ns, metric, dims));
  }
  auto append = [&](int i) {
    SeriesSamples s;
    s.key = keys[i];
    s.raw = {{clock_.NowMillis(), 1, 1}};
    AppendBoth({s});
  };
  for (int i = 0; i < 100; ++i) append(i);
  ASSERT_TRUE(db_->Flush().ok());
  clock_.Advance(kHour);
  const int64_t active_since = clock_.NowMillis();
  for (int i = 80; i < 200; ++i) append(i);

  for (int trial = 0; trial < 150; ++trial) {
    ListQuery q;
    if (rng() % 2) q.ns = rng() % 3 == 0 ? "NS/AB" : rng() % 2 ? "NS/A" : "NS/B";
    if (rng() % 3 == 0) q.metric = rng() % 5 == 0 ? "m10" : "m" + std::to_string(rng() % 4);
    if (rng() % 3 == 0) q.dimensions.push_back({"AZ", std::nullopt});
    if (rng() % 3 == 0) q.dimensions.push_back({"Host", "h" + std::to_string(rng() % 13)});
    if (rng() % 3 == 0) q.active_since_ms = active_since;
    q.limit = 1 + rng() % 40;
    // Page through everything and compare each page.
    for (int page = 0; page < 100; ++page) {
      auto got = db_->ListSeries(q);
      ASSERT_TRUE(got.ok());
      auto want = ref_.ListSeries(q);
      ASSERT_EQ(got->series, want.series) << "trial " << trial << " page " << page;
      ASSERT_EQ(got->more, want.more) << "trial " << trial << " page " << page;
      if (!got->more) break;
      q.after = got->series.back();
    }
  }
  ListQuery all;
  all.limit = 1000;
  EXPECT_GT(ref_.num_series(), 100u);
  EXPECT_EQ(db_->ListSeries(all)->series.size(), ref_.num_series());
  EXPECT_EQ(db_->GetStats().series, ref_.num_series());
}

TEST_F(DbTest, RetentionDropsOldBlocks) {
  Open();
  SeriesSamples s;
  s.key = KeyNumber(1);
  const int64_t now = clock_.NowMillis();
  s.raw = {{now - 10 * kDay, 1, 1}};
  ASSERT_TRUE(db_->Append(std::vector<SeriesSamples>{s}).ok());
  ASSERT_TRUE(db_->Flush().ok());
  s.raw = {{now - kHour, 2, 1}};
  ASSERT_TRUE(db_->Append(std::vector<SeriesSamples>{s}).ok());
  ASSERT_TRUE(db_->Flush().ok());
  EXPECT_EQ(db_->GetStats().blocks, 2u);
  ASSERT_TRUE(db_->ApplyRetention().ok());
  EXPECT_EQ(db_->GetStats().blocks, 2u);  // default retention: 15 days
  clock_.Advance(6 * kDay);               // the first block is now 16 days old
  ASSERT_TRUE(db_->ApplyRetention().ok());
  EXPECT_EQ(db_->GetStats().blocks, 1u);
  // Raw data of the last 15 days only; the 5-minute and hourly tiers keep the rest.
  EXPECT_EQ(db_->GetStats().rollup_blocks, 2u);
  StatisticsQuery q;
  q.key = s.key;
  q.start_ms = clock_.NowMillis() - 15 * kDay;
  q.end_ms = clock_.NowMillis();
  q.period_ms = kDay;
  auto dps = db_->GetStatistics(q);
  ASSERT_TRUE(dps.ok());
  ASSERT_EQ(dps->size(), 1u);
  EXPECT_EQ((*dps)[0].sum, 2);
  q.start_ms = now - 20 * kDay;
  dps = db_->GetStatistics(q);
  ASSERT_TRUE(dps.ok());
  ASSERT_EQ(dps->size(), 2u);
  EXPECT_EQ((*dps)[0].sum, 1);
  Reopen();
  EXPECT_EQ(db_->GetStats().blocks, 1u);
  EXPECT_EQ(db_->GetStatistics(q)->size(), 2u);
}

TEST_F(DbTest, CloseFlushesAndRefusesAppends) {
  Registry registry;
  Open();
  SeriesSamples s;
  s.key = KeyNumber(2);
  s.unit = "Bytes";
  s.raw = {{clock_.NowMillis(), 5, 1}, {clock_.NowMillis(), 6, 2}};
  ASSERT_TRUE(db_->Append(std::vector<SeriesSamples>{s}).ok());
  ASSERT_TRUE(db_->Close().ok());
  EXPECT_EQ(db_->Append(std::vector<SeriesSamples>{s}).code(), StatusCode::kFailedPrecondition);
  const Db::Stats st = db_->GetStats();
  EXPECT_EQ(st.blocks, 1u);
  EXPECT_EQ(st.block_samples, 2u);
  EXPECT_EQ(st.head_samples, 0u);
  EXPECT_GT(st.block_bytes, 0u);
  // Closed data reads back with its unit.
  StatisticsQuery q;
  q.key = s.key;
  q.start_ms = clock_.NowMillis() - kHour;
  q.end_ms = clock_.NowMillis() + 1;
  q.unit = "Bytes";
  auto dps = db_->GetStatistics(q);
  ASSERT_TRUE(dps.ok());
  ASSERT_EQ(dps->size(), 1u);
  EXPECT_EQ((*dps)[0].sample_count, 3);
  EXPECT_EQ((*dps)[0].sum, 17);
  EXPECT_EQ((*dps)[0].unit, "Bytes");
  q.unit = "Seconds";
  EXPECT_TRUE(db_->GetStatistics(q)->empty());
}

TEST_F(DbTest, SelfMetrics) {
  Registry registry;
  Options o = MakeOptions();
  o.metrics = &registry;
  auto db = DbImpl::OpenImpl(o);
  ASSERT_TRUE(db.ok());
  db_ = std::move(db).value();
  SeriesSamples s;
  s.key = KeyNumber(3);
  s.raw = {{clock_.NowMillis(), 1, 1}, {clock_.NowMillis(), 2, 1}};
  ASSERT_TRUE(db_->Append(std::vector<SeriesSamples>{s}).ok());
  ASSERT_TRUE(db_->Flush().ok());
  std::map<std::string, double> m;
  for (const MetricSample& ms : registry.Collect()) m[ms.name] = ms.value;
  EXPECT_EQ(m["vigil_tsdb_samples_appended_total"], 2);
  EXPECT_EQ(m["vigil_tsdb_append_latency_seconds_count"], 1);
  EXPECT_GT(m["vigil_tsdb_append_latency_seconds_sum"], 0);
  EXPECT_EQ(m["vigil_tsdb_series"], 1);
  EXPECT_EQ(m["vigil_tsdb_blocks"], 1);
  EXPECT_GT(m["vigil_tsdb_block_bytes"], 0);
  EXPECT_EQ(m["vigil_tsdb_head_samples"], 0);
  EXPECT_EQ(m["vigil_tsdb_wal_records_total"], 1);
  EXPECT_EQ(m["vigil_tsdb_wal_fsyncs_total"], 1);
}

TEST_F(DbTest, UnknownSeriesAndEmptyBatches) {
  Open();
  EXPECT_TRUE(db_->Append(std::vector<SeriesSamples>{}).ok());
  SeriesSamples empty;
  empty.key = KeyNumber(4);
  EXPECT_TRUE(db_->Append(std::vector<SeriesSamples>{empty}).ok());
  StatisticsQuery q;
  q.key = KeyNumber(4);
  q.start_ms = 0;
  q.end_ms = clock_.NowMillis();
  q.period_ms = kDay;
  auto dps = db_->GetStatistics(q);
  ASSERT_TRUE(dps.ok());
  EXPECT_TRUE(dps->empty());
  EXPECT_EQ(db_->GetStats().series, 0u);
  EXPECT_TRUE(db_->Flush().ok());  // empty head: no block
  EXPECT_EQ(db_->GetStats().blocks, 0u);
}

}  // namespace
}  // namespace vigil::tsdb
