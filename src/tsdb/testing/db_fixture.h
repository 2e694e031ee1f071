#pragma once
// Shared scaffolding of the Db tests: a temp directory, a fake clock, open/reopen helpers, a
// random workload generator mirrored into the reference model, and result comparison.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <cmath>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "common/logging.h"
#include "storage/file_util.h"
#include "tsdb/db_impl.h"
#include "tsdb/testing/fake_clock.h"
#include "tsdb/testing/reference.h"
#include "tsdb/tsdb.h"

namespace vigil::tsdb::testing {

inline constexpr int64_t kMinute = 60'000;
inline constexpr int64_t kHour = 60 * kMinute;
inline constexpr int64_t kDay = 24 * kHour;

class DbFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string templ = "/tmp/vigil_tsdb_XXXXXX";
    ASSERT_NE(::mkdtemp(templ.data()), nullptr);
    dir_ = templ;
  }
  void TearDown() override {
    db_.reset();
    EXPECT_TRUE(storage::RemoveAll(dir_).ok());
  }

  virtual Options MakeOptions() {
    Options o;
    o.dir = dir_;
    o.clock = &clock_;
    o.logger = &NullLogger();
    o.background = false;
    return o;
  }
  void Open() {
    auto db = DbImpl::OpenImpl(MakeOptions());
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    db_ = std::move(db).value();
  }
  // Destroys the Db without Close (as kill -9 would leave it: every Append was fsynced).
  void Crash() { db_.reset(); }
  void Reopen() {
    Crash();
    Open();
  }

  // Appends `batch` to the Db and, when it succeeds, to the reference.
  void AppendBoth(const std::vector<SeriesSamples>& batch) {
    Status s = db_->Append(batch);
    ASSERT_TRUE(s.ok()) << s.ToString();
    ref_.Append(batch, clock_.NowMillis());
  }

  // A key from a small fixed universe: namespace, metric and dimensions vary.
  static SeriesKey KeyNumber(int i) {
    std::vector<Dimension> dims;
    if (i % 3 != 0) dims.push_back({"Host", "h" + std::to_string(i % 7)});
    if (i % 2 == 0) dims.push_back({"AZ", "az" + std::to_string(i % 3)});
    auto k =
        MakeSeriesKey(i % 4 == 0 ? "App/B" : "App/A", "m" + std::to_string(i % 5), std::move(dims));
    EXPECT_TRUE(k.ok());
    return *k;
  }
  static std::string UnitOf(int i) { return i % 3 == 0 ? "Milliseconds" : "None"; }

  // A random batch over `num_keys` keys: raw values that are multiples of 1/8 with small integer
  // counts (so sums are exact in any order), some statistic sets, timestamps mostly within the
  // last `spread_ms`, a few late ones up to `late_ms` back.
  std::vector<SeriesSamples> RandomBatch(std::mt19937_64& rng, int num_keys, int64_t spread_ms,
                                         int64_t late_ms) {
    std::vector<SeriesSamples> batch;
    const int n = 1 + static_cast<int>(rng() % 6);
    const int64_t now = clock_.NowMillis();
    for (int b = 0; b < n; ++b) {
      const int k = static_cast<int>(rng() % num_keys);
      SeriesSamples s;
      s.key = KeyNumber(k);
      s.unit = UnitOf(k);
      const int nraw = static_cast<int>(rng() % 12);
      for (int j = 0; j < nraw; ++j) {
        const int64_t back = rng() % 20 == 0 ? static_cast<int64_t>(rng() % late_ms)
                                             : static_cast<int64_t>(rng() % spread_ms);
        const double v = static_cast<double>(static_cast<int64_t>(rng() % 16000) - 8000) / 8;
        const double c = rng() % 6 == 0 ? static_cast<double>(2 + rng() % 4) : 1.0;
        s.raw.push_back({now - back, v, c});
      }
      if (rng() % 5 == 0) {
        const double lo = static_cast<double>(rng() % 100);
        s.stats.push_back({now - static_cast<int64_t>(rng() % spread_ms),
                           static_cast<double>(1 + rng() % 9), lo * 3 + 1, lo, lo + 2});
      }
      batch.push_back(std::move(s));
    }
    return batch;
  }

  // Compares a random query per key (plus whole-range ones) between the Db and the reference.
  void CheckQueries(std::mt19937_64& rng, int num_keys, int64_t from_ms, int64_t to_ms,
                    int rounds = 3) {
    for (int k = 0; k < num_keys; ++k) {
      for (int r = 0; r < rounds; ++r) {
        StatisticsQuery q;
        q.key = KeyNumber(k);
        static const int64_t kPeriods[] = {1000,  kMinute,         5 * kMinute,
                                           kHour, 7 * kMinute + 3, kDay};
        q.period_ms = kPeriods[rng() % 6];
        if (r == 0) {
          q.start_ms = from_ms;
          q.end_ms = to_ms;
        } else {
          q.start_ms = from_ms + static_cast<int64_t>(rng() % (to_ms - from_ms));
          q.end_ms = q.start_ms + 1 + static_cast<int64_t>(rng() % (to_ms - q.start_ms));
        }
        if (rng() % 2) q.percentiles = {0, 10, 50, 90, 99, 100};
        if (rng() % 4 == 0) q.unit = rng() % 2 ? "None" : "Milliseconds";
        ExpectSameDatapoints(q);
      }
    }
  }

  void ExpectSameDatapoints(const StatisticsQuery& q) {
    auto got = db_->GetStatistics(q);
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    auto want = ref_.GetStatistics(q);
    const std::string what = FormatQuery(q);
    ASSERT_EQ(got->size(), want.size()) << what;
    for (size_t i = 0; i < want.size(); ++i) {
      const Datapoint& g = (*got)[i];
      const Datapoint& w = want[i];
      EXPECT_EQ(g.timestamp_ms, w.timestamp_ms) << what;
      EXPECT_EQ(g.sample_count, w.sample_count) << what << " at " << w.timestamp_ms;
      EXPECT_EQ(g.sum, w.sum) << what << " at " << w.timestamp_ms;
      EXPECT_EQ(g.minimum, w.minimum) << what << " at " << w.timestamp_ms;
      EXPECT_EQ(g.maximum, w.maximum) << what << " at " << w.timestamp_ms;
      EXPECT_EQ(g.unit, w.unit) << what;
      EXPECT_EQ(g.percentiles, w.percentiles) << what << " at " << w.timestamp_ms;
    }
  }

  static std::string FormatQuery(const StatisticsQuery& q) {
    return CanonicalKeyString(q.key).substr(0, 12) + " [" + std::to_string(q.start_ms) + "," +
           std::to_string(q.end_ms) + ") period " + std::to_string(q.period_ms) +
           (q.unit ? " unit " + *q.unit : "");
  }

  FakeClock clock_;
  std::string dir_;
  std::unique_ptr<DbImpl> db_;
  ReferenceStore ref_;
};

}  // namespace vigil::tsdb::testing
