// Crash safety: everything acknowledged survives a crash at any step of a cut or a compaction,
// and nothing is counted twice after reopening.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <random>
#include <set>
#include <thread>

#include "storage/file_util.h"
#include "tsdb/testing/db_fixture.h"

namespace vigil::tsdb {
namespace {

using testing::kDay;
using testing::kHour;
using testing::kMinute;

class RecoveryTest : public testing::DbFixture {
 protected:
  static constexpr int kKeys = 8;

  void AppendRounds(std::mt19937_64& rng, int rounds) {
    for (int i = 0; i < rounds; ++i) {
      AppendBoth(RandomBatch(rng, kKeys, 20 * kMinute, 6 * kHour));
      clock_.Advance(5 * kMinute);
    }
  }
  void CheckAll(std::mt19937_64& rng) {
    CheckQueries(rng, kKeys, clock_.NowMillis() - 3 * kDay, clock_.NowMillis() + 1, 2);
  }
  uint64_t TotalSamples() {
    const Db::Stats s = db_->GetStats();
    return s.head_samples + s.block_samples;
  }
  std::vector<std::string> WalSegments() {
    auto names = storage::ListDir(dir_ + "/wal");
    EXPECT_TRUE(names.ok());
    return *names;
  }

  uint64_t appended_ = 0;
};

TEST_F(RecoveryTest, CrashWithoutCloseKeepsEverything) {
  std::mt19937_64 rng(1);
  Open();
  AppendRounds(rng, 40);
  const uint64_t samples = TotalSamples();
  Reopen();
  EXPECT_EQ(TotalSamples(), samples);
  CheckAll(rng);
  // Appends after a replay define their series again in the new WAL segment: a second crash
  // replays both generations correctly.
  AppendRounds(rng, 10);
  Reopen();
  CheckAll(rng);
  Reopen();
  CheckAll(rng);
}

TEST_F(RecoveryTest, CrashAfterCutBeforeBlockWrite) {
  std::mt19937_64 rng(2);
  Open();
  AppendRounds(rng, 20);
  db_->SetCrashPointForTest(DbImpl::CrashPoint::kAfterCut);
  ASSERT_TRUE(db_->Flush().ok());
  Reopen();
  EXPECT_EQ(db_->GetStats().blocks, 0u);
  CheckAll(rng);
  ASSERT_TRUE(db_->Flush().ok());
  EXPECT_EQ(db_->GetStats().blocks, 1u);
  CheckAll(rng);
}

TEST_F(RecoveryTest, CrashWithFrozenHeadAndNewAppends) {
  std::mt19937_64 rng(3);
  Open();
  AppendRounds(rng, 20);
  ASSERT_TRUE(db_->CutForTest().ok());  // frozen head not written yet
  AppendRounds(rng, 10);                // new generation in the new head
  CheckAll(rng);                        // queries see frozen + head
  Reopen();                             // both generations replayed into one head
  EXPECT_EQ(db_->GetStats().blocks, 0u);
  CheckAll(rng);
  Reopen();
  CheckAll(rng);
}

TEST_F(RecoveryTest, CrashAfterBlockWriteDoesNotDoubleCount) {
  std::mt19937_64 rng(4);
  Open();
  AppendRounds(rng, 20);
  const uint64_t samples = TotalSamples();
  db_->SetCrashPointForTest(DbImpl::CrashPoint::kAfterBlockWrite);
  ASSERT_TRUE(db_->Flush().ok());
  // The block is on disk, and so are the WAL segments holding the same samples.
  Crash();
  Open();
  const Db::Stats st = db_->GetStats();
  EXPECT_EQ(st.blocks, 1u);
  EXPECT_EQ(st.block_samples, samples);
  EXPECT_EQ(st.head_samples, 0u);
  CheckAll(rng);
  AppendRounds(rng, 5);
  Reopen();
  CheckAll(rng);
}

TEST_F(RecoveryTest, CrashAfterMergeDoesNotDoubleCount) {
  std::mt19937_64 rng(5);
  Open();
  // Three blocks within one day, then one in the next day so that the first is complete.
  clock_.Set(clock_.NowMillis() - clock_.NowMillis() % kDay + kHour);
  for (int b = 0; b < 3; ++b) {
    AppendRounds(rng, 12);  // one hour
    ASSERT_TRUE(db_->Flush().ok());
  }
  clock_.Advance(kDay);
  AppendRounds(rng, 4);
  ASSERT_TRUE(db_->Flush().ok());
  ASSERT_EQ(db_->GetStats().blocks, 4u);
  const uint64_t samples = TotalSamples();
  // A crash after each merge step (the first ones split blocks that late samples stretch
  // across midnight into their days): inputs removed, outputs kept, nothing counted twice.
  for (int step = 0; step < 10; ++step) {
    const std::vector<std::string> before = db_->BlockIdsForTest();
    db_->SetCrashPointForTest(DbImpl::CrashPoint::kAfterMerge);
    ASSERT_TRUE(db_->Compact().ok());
    Crash();
    Open();
    EXPECT_EQ(TotalSamples(), samples);
    CheckAll(rng);
    if (db_->BlockIdsForTest() == before) break;  // nothing was left to merge
  }
  ASSERT_TRUE(db_->Compact().ok());
  // One block per day, none reaching across midnight.
  std::set<int64_t> days;
  for (const auto& [lo, hi] : db_->BlockRangesForTest()) {
    EXPECT_EQ(lo / kDay, hi / kDay);
    days.insert(lo / kDay);
  }
  EXPECT_EQ(days.size(), db_->GetStats().blocks);
  EXPECT_EQ(TotalSamples(), samples);
}

TEST_F(RecoveryTest, UnfinishedSplitIsUndone) {
  std::mt19937_64 rng(15);
  Open();
  // A backfill of three days in one head block, split by compaction into three day blocks.
  clock_.Set(clock_.NowMillis() - clock_.NowMillis() % kDay + 3 * kDay);
  for (int i = 0; i < 3; ++i) {
    SeriesSamples s;
    s.key = KeyNumber(i);
    for (int64_t t = clock_.NowMillis() - 3 * kDay + kHour; t < clock_.NowMillis(); t += kHour) {
      s.raw.push_back({t, static_cast<double>(t % 1000), 1});
    }
    AppendBoth({s});
  }
  ASSERT_TRUE(db_->Flush().ok());
  ASSERT_EQ(db_->GetStats().blocks, 1u);
  const uint64_t samples = TotalSamples();
  const std::vector<std::string> input = db_->BlockIdsForTest();
  db_->SetCrashPointForTest(DbImpl::CrashPoint::kAfterMerge);
  ASSERT_TRUE(db_->Compact().ok());
  Crash();
  // The crash came before the last output was published: its directory is missing.
  auto names = storage::ListDir(dir_ + "/blocks");
  ASSERT_TRUE(names.ok());
  std::vector<std::string> outputs;
  for (const std::string& name : *names) {
    if (name != input[0]) outputs.push_back(name);
  }
  ASSERT_EQ(outputs.size(), 3u);
  std::sort(outputs.begin(), outputs.end());
  ASSERT_TRUE(storage::RemoveAll(dir_ + "/blocks/" + outputs.back()).ok());
  Open();
  EXPECT_EQ(db_->BlockIdsForTest(), input);  // the published outputs went, the input stayed
  EXPECT_EQ(TotalSamples(), samples);
  CheckAll(rng);
  ASSERT_TRUE(db_->Compact().ok());
  EXPECT_EQ(db_->GetStats().blocks, 3u);
  EXPECT_EQ(TotalSamples(), samples);
  Reopen();
  CheckAll(rng);
}

TEST_F(RecoveryTest, CompactionKeepsWalMarkerAfterRetention) {
  std::mt19937_64 rng(6);
  Open();
  AppendRounds(rng, 10);
  ASSERT_TRUE(db_->Flush().ok());
  AppendRounds(rng, 10);
  // The newest block carries the WAL marker; expire every block, then crash: the checkpoint
  // file still keeps replay from resurrecting flushed segments (there are none left here, but
  // the head's samples must come back exactly once).
  const uint64_t head = db_->GetStats().head_samples;
  clock_.Advance(20 * kDay);
  ASSERT_TRUE(db_->ApplyRetention().ok());
  EXPECT_EQ(db_->GetStats().blocks, 0u);
  Reopen();
  EXPECT_EQ(db_->GetStats().head_samples, head);
}

TEST_F(RecoveryTest, TornWalTailIsCut) {
  std::mt19937_64 rng(7);
  Open();
  AppendRounds(rng, 15);
  Crash();
  auto segs = WalSegments();
  ASSERT_FALSE(segs.empty());
  const std::string last = dir_ + "/wal/" + segs.back();
  const int fd = ::open(last.c_str(), O_WRONLY | O_APPEND);
  ASSERT_GE(fd, 0);
  const char junk[] = "\x13\x00\x00\x00garbage that is not a record";
  ASSERT_GT(::write(fd, junk, sizeof(junk)), 0);
  ::close(fd);
  Open();
  CheckAll(rng);
  AppendRounds(rng, 3);
  Reopen();
  CheckAll(rng);
}

TEST_F(RecoveryTest, FlushDeletesObsoleteWalSegments) {
  std::mt19937_64 rng(8);
  Open();
  AppendRounds(rng, 10);
  const size_t before = WalSegments().size();
  ASSERT_TRUE(db_->Flush().ok());
  // Only the segment started by the cut remains.
  EXPECT_EQ(WalSegments().size(), 1u);
  EXPECT_GE(before, 1u);
  Reopen();
  CheckAll(rng);
  EXPECT_EQ(db_->GetStats().head_samples, 0u);
}

// Concurrent appenders and readers while the background thread cuts the head by its size;
// at the end every sample is stored exactly once.
class BackgroundTest : public RecoveryTest {
 protected:
  Options MakeOptions() override {
    Options o = RecoveryTest::MakeOptions();
    o.background = true;
    o.head_chunk_bytes = 8 << 10;
    return o;
  }
};

TEST_F(BackgroundTest, ConcurrentAppendsAcrossCuts) {
  Open();
  constexpr int kThreads = 4, kBatches = 60, kSeries = 20, kPerSeries = 5;
  std::atomic<bool> stop{false};
  std::thread reader([&] {
    StatisticsQuery q;
    q.key = KeyNumber(1);
    q.start_ms = 0;
    q.end_ms = clock_.NowMillis() + kHour;
    q.period_ms = kDay;
    while (!stop.load()) {
      auto r = db_->GetStatistics(q);
      EXPECT_TRUE(r.ok());
      ListQuery lq;
      EXPECT_TRUE(db_->ListSeries(lq).ok());
    }
  });
  std::vector<std::thread> writers;
  for (int t = 0; t < kThreads; ++t) {
    writers.emplace_back([&, t] {
      for (int b = 0; b < kBatches; ++b) {
        std::vector<SeriesSamples> batch;
        for (int s = 0; s < kSeries; ++s) {
          SeriesSamples ss;
          ss.key = KeyNumber(s + 100 * t);
          for (int j = 0; j < kPerSeries; ++j) {
            ss.raw.push_back({clock_.NowMillis() - j * 1000 - b, 1.0, 1});
          }
          batch.push_back(std::move(ss));
        }
        ASSERT_TRUE(db_->Append(batch).ok());
      }
    });
  }
  for (auto& w : writers) w.join();
  stop = true;
  reader.join();
  const uint64_t total = uint64_t{kThreads} * kBatches * kSeries * kPerSeries;
  EXPECT_EQ(TotalSamples(), total);
  ASSERT_TRUE(db_->Close().ok());
  EXPECT_GE(db_->GetStats().blocks, 2u);
  EXPECT_EQ(TotalSamples(), total);
  Reopen();
  EXPECT_EQ(TotalSamples(), total);
}

}  // namespace
}  // namespace vigil::tsdb
