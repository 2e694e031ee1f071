// Rollup tiers in the store: built as raw data ages and expires, queried across tier and raw
// boundaries against the reference (count/sum/min/max exact, percentiles within the sketch
// accuracy), CloudWatch's period rules for old data, tier retention and monthly merging, and
// crashes at every step of a rollup's life.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "storage/file_util.h"
#include "tsdb/testing/db_fixture.h"

namespace vigil::tsdb {
namespace {

using testing::kDay;
using testing::kHour;
using testing::kMinute;

constexpr double kAccuracy = 0.02;

class TiersTest : public testing::DbFixture {
 protected:
  Options MakeOptions() override {
    Options o = DbFixture::MakeOptions();
    o.max_sample_age_ms = 200 * kDay;  // backfill a season of data
    o.rollup_sketch_accuracy = kAccuracy;
    return o;
  }

  // `days` of data ending now, appended in time order three hours at a time, with a flush
  // every day and compaction and retention every other day (as the background would).
  void Backfill(std::mt19937_64& rng, int num_keys, int days) {
    clock_.Advance(-days * kDay);
    for (int round = 0; round < days * 8; ++round) {
      AppendBoth(RandomBatch(rng, num_keys, 3 * kHour, 6 * kHour));
      clock_.Advance(3 * kHour);
      if (round % 8 == 7) {
        ASSERT_TRUE(db_->Flush().ok());
      }
      if (round % 16 == 15) {
        ASSERT_TRUE(db_->Compact().ok());
        ASSERT_TRUE(db_->ApplyRetention().ok());
      }
    }
  }

  // What the background does once a load ends: the head written, blocks merged and rolled up,
  // retention applied.
  void Settle() {
    ASSERT_TRUE(db_->Flush().ok());
    ASSERT_TRUE(db_->Compact().ok());
    ASSERT_TRUE(db_->ApplyRetention().ok());
  }

  // Compares a query answered from rollups with the reference: the statistics exactly, the
  // percentiles within the sketch accuracy.
  void ExpectMatchesWithinSketch(const StatisticsQuery& q) {
    auto got = db_->GetStatistics(q);
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    const std::vector<Datapoint> want = ref_.GetStatistics(q);
    const std::string what = FormatQuery(q);
    ASSERT_EQ(got->size(), want.size()) << what;
    for (size_t i = 0; i < want.size(); ++i) {
      const Datapoint& g = (*got)[i];
      const Datapoint& w = want[i];
      const std::string at = what + " at " + std::to_string(w.timestamp_ms);
      EXPECT_EQ(g.timestamp_ms, w.timestamp_ms) << at;
      EXPECT_EQ(g.sample_count, w.sample_count) << at;
      EXPECT_EQ(g.sum, w.sum) << at;
      EXPECT_EQ(g.minimum, w.minimum) << at;
      EXPECT_EQ(g.maximum, w.maximum) << at;
      EXPECT_EQ(g.unit, w.unit) << at;
      ASSERT_EQ(g.percentiles.size(), w.percentiles.size()) << at;
      for (size_t p = 0; p < w.percentiles.size(); ++p) {
        ASSERT_EQ(g.percentiles[p].has_value(), w.percentiles[p].has_value()) << at;
        if (!w.percentiles[p]) continue;
        EXPECT_LE(std::fabs(*g.percentiles[p] - *w.percentiles[p]),
                  kAccuracy * std::fabs(*w.percentiles[p]) + 1e-9)
            << at << " p" << q.percentiles[p] << ": exact " << *w.percentiles[p] << ", got "
            << *g.percentiles[p];
      }
    }
  }

  // Queries of every tier over [from, now], ends aligned to the hour (a rollup point counts
  // whole in its period), over every key.
  void CheckTierQueries(std::mt19937_64& rng, int num_keys, int64_t from_ms) {
    const int64_t now = AlignDown(clock_.NowMillis(), kHour) + kHour;
    for (int k = 0; k < num_keys; ++k) {
      for (int r = 0; r < 4; ++r) {
        StatisticsQuery q;
        q.key = KeyNumber(k);
        static const int64_t kPeriods[] = {kHour, 3 * kHour, kDay, 7 * kDay};
        q.period_ms = kPeriods[rng() % 4];
        q.start_ms = r == 0 ? from_ms
                            : from_ms + static_cast<int64_t>(rng() % (now - 16 * kDay - from_ms));
        q.end_ms = r == 0 ? now
                          : AlignDown(q.start_ms + 1 + static_cast<int64_t>(rng() % (now - q.start_ms)),
                                      q.period_ms) +
                                q.period_ms;
        if (r % 2 == 0) q.percentiles = {0, 10, 50, 90, 99, 100};  // else sketches not read
        if (rng() % 4 == 0) q.unit = rng() % 2 ? "None" : "Milliseconds";
        ExpectMatchesWithinSketch(q);
        // Between 15 and 63 days back the 5-minute tier answers 5-minute periods.
        if (q.start_ms >= clock_.NowMillis() - 62 * kDay) {
          q.period_ms = 5 * kMinute;
          q.end_ms = std::min(q.end_ms, AlignDown(q.start_ms, kHour) + 2 * kDay);
          ExpectMatchesWithinSketch(q);
        }
      }
    }
  }
};

TEST_F(TiersTest, RollupsAnswerBeyondRawRetentionAcrossTierBoundaries) {
  std::mt19937_64 rng(31);
  constexpr int kKeys = 6;
  Open();
  const int64_t begin = clock_.NowMillis() - 100 * kDay;
  Backfill(rng, kKeys, 100);
  Settle();
  const Db::Stats st = db_->GetStats();
  // Raw data: 15 days (plus the day retention has not reached yet); the hourly tier holds every
  // final day, the 5-minute tier the expired ones of the last 63 days, merged by month.
  EXPECT_LE(st.blocks, 17u);
  EXPECT_GT(st.rollup_blocks, 0u);
  // Complete months merged whole, the filling one in groups of up to eight, plus (hourly) the
  // rollups of the raw days still kept.
  EXPECT_LE(db_->RollupIdsForTest(1).size(), 2u + 8u);
  EXPECT_TRUE(db_->RollupIdsForTest(0).empty());  // 1-minute data: raw covers it
  EXPECT_LE(db_->RollupIdsForTest(2).size(), 3u + 8u + 17u);
  CheckTierQueries(rng, kKeys, begin);
  // Raw queries (within 15 days) are unchanged: exact percentiles.
  CheckQueries(rng, kKeys, clock_.NowMillis() - 14 * kDay, clock_.NowMillis() + 1);

  Reopen();
  CheckTierQueries(rng, kKeys, begin);
  ASSERT_TRUE(db_->Close().ok());
  Reopen();
  CheckTierQueries(rng, kKeys, begin);
}

TEST_F(TiersTest, OldDataNeedsPeriodsOfItsResolution) {
  Open();
  StatisticsQuery q;
  q.key = KeyNumber(1);
  q.end_ms = clock_.NowMillis();
  q.start_ms = clock_.NowMillis() - 20 * kDay;
  // A start `days_back` needs a multiple of `seconds`: `finer` is refused, `ok` is not.
  auto expect_rule = [&](int days_back, int64_t finer, int64_t ok, const std::string& seconds) {
    SCOPED_TRACE(days_back);
    q.start_ms = clock_.NowMillis() - days_back * kDay;
    q.period_ms = finer;
    auto got = db_->GetStatistics(q);
    ASSERT_EQ(got.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(got.status().message().find("multiple of " + seconds + " seconds"),
              std::string::npos)
        << got.status().message();
    q.period_ms = ok;
    EXPECT_TRUE(db_->GetStatistics(q).ok());
  };
  expect_rule(20, kMinute, 10 * kMinute, "300");
  expect_rule(70, 5 * kMinute, 2 * kHour, "3600");
  q.start_ms = clock_.NowMillis() - 20 * kDay;
  q.period_ms = kMinute;
  EXPECT_NE(db_->GetStatistics(q).status().message().find("more than 15 days ago"),
            std::string::npos);
  q.start_ms = clock_.NowMillis() - 70 * kDay;
  EXPECT_NE(db_->GetStatistics(q).status().message().find("more than 63 days ago"),
            std::string::npos);
  // Within raw retention any period goes.
  q.start_ms = clock_.NowMillis() - 14 * kDay;
  q.period_ms = 7;
  EXPECT_TRUE(db_->GetStatistics(q).ok());
}

TEST_F(TiersTest, TiersAreValidated) {
  auto open = [&](std::vector<RollupTier> tiers, double accuracy = kAccuracy) {
    Options o = MakeOptions();
    o.rollups = std::move(tiers);
    o.rollup_sketch_accuracy = accuracy;
    return DbImpl::OpenImpl(o).status();
  };
  EXPECT_TRUE(open({}).ok());
  EXPECT_FALSE(open({{kHour, kDay}, {5 * kMinute, 2 * kDay}}).ok());  // not ascending
  EXPECT_FALSE(open({{5 * kMinute, kDay}, {7 * kMinute, 2 * kDay}}).ok());  // not a multiple
  EXPECT_FALSE(open({{5 * kMinute, 2 * kDay}, {kHour, kDay}}).ok());  // kept shorter
  EXPECT_FALSE(open({{0, kDay}}).ok());
  EXPECT_FALSE(open({{kHour, kDay}}, 0).ok());
  EXPECT_FALSE(open({{kHour, kDay}}, 0.5).ok());
}

TEST_F(TiersTest, RollupRetentionAndNoTiers) {
  std::mt19937_64 rng(5);
  Open();
  Backfill(rng, 3, 30);
  Settle();
  ASSERT_FALSE(db_->RollupIdsForTest(1).empty());
  // 70 days later the 5-minute tier (63 days) is gone; the hourly one remains.
  clock_.Advance(70 * kDay);
  ASSERT_TRUE(db_->ApplyRetention().ok());
  EXPECT_EQ(db_->GetStats().blocks, 0u);
  EXPECT_TRUE(db_->RollupIdsForTest(1).empty());
  EXPECT_FALSE(db_->RollupIdsForTest(2).empty());
  StatisticsQuery q;
  q.key = KeyNumber(1);
  q.start_ms = clock_.NowMillis() - 120 * kDay;
  q.end_ms = clock_.NowMillis();
  q.period_ms = kDay;
  ExpectMatchesWithinSketch(q);
  EXPECT_FALSE(db_->GetStatistics(q)->empty());
  // 455 days on, nothing is left.
  clock_.Advance(400 * kDay);
  ASSERT_TRUE(db_->ApplyRetention().ok());
  EXPECT_EQ(db_->GetStats().rollup_blocks, 0u);
  q.start_ms = clock_.NowMillis() - 500 * kDay;
  q.end_ms = clock_.NowMillis();
  EXPECT_TRUE(db_->GetStatistics(q)->empty());
}

TEST_F(TiersTest, WithoutTiersRetentionDropsRawData) {
  std::mt19937_64 rng(9);
  Options o = MakeOptions();
  o.rollups.clear();
  auto db = DbImpl::OpenImpl(o);
  ASSERT_TRUE(db.ok());
  db_ = std::move(db).value();
  Backfill(rng, 3, 20);
  Settle();
  EXPECT_EQ(db_->GetStats().rollup_blocks, 0u);
  StatisticsQuery q;
  q.key = KeyNumber(1);
  q.start_ms = clock_.NowMillis() - 20 * kDay;
  q.end_ms = clock_.NowMillis() - 16 * kDay;
  q.period_ms = kMinute;  // no tier rules without tiers
  auto got = db_->GetStatistics(q);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_TRUE(got->empty());
}

// A crash at each step of a rollup's life: the reopened store answers exactly as before, with
// every sample counted once.
class TiersCrashTest : public TiersTest,
                       public ::testing::WithParamInterface<DbImpl::CrashPoint> {};

TEST_P(TiersCrashTest, CrashLosesAndDuplicatesNothing) {
  std::mt19937_64 rng(17);
  constexpr int kKeys = 4;
  Open();
  const int64_t begin = clock_.NowMillis() - 40 * kDay;
  Backfill(rng, kKeys, 40);
  // Late samples for a final day (whose hourly rollup exists) arrive: the next compaction
  // merges that day's block again, replacing the rollup.
  std::vector<SeriesSamples> late = RandomBatch(rng, kKeys, kHour, kHour);
  for (auto& s : late) {
    for (auto& r : s.raw) r.timestamp_ms -= 3 * kDay;
    for (auto& st : s.stats) st.timestamp_ms -= 3 * kDay;
  }
  AppendBoth(late);
  ASSERT_TRUE(db_->Flush().ok());
  clock_.Advance(31 * kDay);  // a month of raw days expires into the tiers
  AppendBoth(RandomBatch(rng, kKeys, kHour, kHour));
  ASSERT_TRUE(db_->Flush().ok());

  db_->SetCrashPointForTest(GetParam());
  ASSERT_TRUE(db_->Compact().ok());
  ASSERT_TRUE(db_->ApplyRetention().ok());
  EXPECT_EQ(db_->CrashedForTest(), GetParam() != DbImpl::CrashPoint::kNone);
  // A rollup write that died half way leaves its temporary directory.
  ASSERT_TRUE(storage::CreateDirs(dir_ + "/rollups/3600s/00000000000000ff-w00000001.tmp").ok());
  Reopen();
  EXPECT_FALSE(storage::PathExists(dir_ + "/rollups/3600s/00000000000000ff-w00000001.tmp"));
  CheckTierQueries(rng, kKeys, begin);
  CheckQueries(rng, kKeys, clock_.NowMillis() - 14 * kDay, clock_.NowMillis() + 1);
  // And once the interrupted work is done.
  ASSERT_TRUE(db_->Compact().ok());
  ASSERT_TRUE(db_->ApplyRetention().ok());
  CheckTierQueries(rng, kKeys, begin);
  Reopen();
  CheckTierQueries(rng, kKeys, begin);
}

INSTANTIATE_TEST_SUITE_P(Points, TiersCrashTest,
                         ::testing::Values(DbImpl::CrashPoint::kNone,
                                           DbImpl::CrashPoint::kAfterMerge,
                                           DbImpl::CrashPoint::kAfterRollupWrite,
                                           DbImpl::CrashPoint::kAfterRollupMerge));

}  // namespace
}  // namespace vigil::tsdb
