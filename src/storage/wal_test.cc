#include "storage/wal.h"

#include <gtest/gtest.h>
#include <sys/resource.h>

#include <csignal>
#include <map>
#include <thread>

#include "storage/coding.h"
#include "storage/crc32c.h"
#include "storage/test_util.h"
#include "storage/wal_format.h"

namespace vigil::storage {
namespace {

// A record whose bytes depend on `id`, so misplaced or mixed-up records are caught.
std::string MakeRecord(uint64_t id, size_t size) {
  std::string r;
  PutFixed64(&r, id);
  r.resize(std::max<size_t>(size, 8));
  for (size_t i = 8; i < r.size(); ++i) r[i] = static_cast<char>(id * 131 + i * 7);
  r.resize(size);
  return r;
}

std::vector<uint64_t> Segments(const std::string& dir) {
  StatusOr<std::vector<uint64_t>> seqs = wal::ListSegments(dir);
  EXPECT_TRUE(seqs.ok()) << seqs.status().ToString();
  return seqs.ok() ? *seqs : std::vector<uint64_t>{};
}

std::unique_ptr<WalWriter> OpenWriter(const std::string& dir, size_t segment_bytes, bool sync) {
  WalOptions options;
  options.segment_bytes = segment_bytes;
  options.sync = sync;
  options.logger = &NullLogger();
  StatusOr<std::unique_ptr<WalWriter>> w = WalWriter::Open(dir, options);
  EXPECT_TRUE(w.ok()) << w.status().ToString();
  return w.ok() ? std::move(*w) : nullptr;
}

TEST(WalTest, RoundTripAcrossSegments) {
  TempDir tmp;
  const std::string dir = tmp.Sub("wal");
  std::vector<std::string> written;
  {
    auto w = OpenWriter(dir, 1000, /*sync=*/true);
    ASSERT_NE(w, nullptr);
    EXPECT_EQ(w->current_segment(), 1u);
    const size_t sizes[] = {0, 1, 8, 100, 999, 1000, 3000, 17, 0, 250};
    for (int round = 0; round < 3; ++round) {
      for (size_t size : sizes) {
        written.push_back(MakeRecord(written.size(), size));
        ASSERT_TRUE(w->Append(written.back()).ok());
      }
    }
    EXPECT_GT(w->current_segment(), 5u);
    EXPECT_EQ(w->SizeBytes(), DiskUsage(dir));
  }
  StatusOr<std::vector<ReplayedRecord>> got = ReplayAll(dir);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(Payloads(*got), written);
  for (size_t i = 1; i < got->size(); ++i) EXPECT_LE((*got)[i - 1].segment, (*got)[i].segment);
  EXPECT_GT(got->back().segment, got->front().segment);
  // A record larger than a segment makes that segment larger; it is never split.
  EXPECT_GT(Segments(dir).size(), 5u);
}

TEST(WalTest, ReopenAppendsToAFreshSegment) {
  TempDir tmp;
  {
    auto w = OpenWriter(tmp.path(), 1 << 20, false);
    ASSERT_TRUE(w->Append("one").ok());
  }
  ASSERT_TRUE(ReplayAll(tmp.path()).ok());
  {
    auto w = OpenWriter(tmp.path(), 1 << 20, false);
    EXPECT_EQ(w->current_segment(), 2u);
    ASSERT_TRUE(w->Append("two").ok());
  }
  StatusOr<std::vector<ReplayedRecord>> got = ReplayAll(tmp.path());
  ASSERT_TRUE(got.ok());
  ASSERT_EQ(got->size(), 2u);
  EXPECT_EQ((*got)[0].segment, 1u);
  EXPECT_EQ((*got)[0].data, "one");
  EXPECT_EQ((*got)[1].segment, 2u);
  EXPECT_EQ((*got)[1].data, "two");
}

TEST(WalTest, EmptyAndHeaderOnlySegmentsAreFine) {
  TempDir tmp;
  {
    auto w = OpenWriter(tmp.path(), 1 << 20, true);  // leaves segment 1 header-only
  }
  ASSERT_TRUE(WriteFileAtomic(tmp.Sub(wal::SegmentName(2)), "").ok());  // zero-length
  ASSERT_TRUE(WriteFileAtomic(tmp.Sub("not-a-segment"), "junk").ok());  // ignored
  StatusOr<std::vector<ReplayedRecord>> got = ReplayAll(tmp.path());
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_TRUE(got->empty());
  EXPECT_EQ(Segments(tmp.path()), (std::vector<uint64_t>{1, 2}));
  {
    auto w = OpenWriter(tmp.path(), 1 << 20, true);
    EXPECT_EQ(w->current_segment(), 3u);
    ASSERT_TRUE(w->Append("x").ok());
  }
  got = ReplayAll(tmp.path());
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(Payloads(*got), std::vector<std::string>{"x"});
}

TEST(WalTest, RotateAndRemoveSegmentsBefore) {
  TempDir tmp;
  auto w = OpenWriter(tmp.path(), 1 << 20, true);
  ASSERT_TRUE(w->Append("a").ok());
  StatusOr<uint64_t> second = w->Rotate();
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(*second, 2u);
  EXPECT_EQ(w->current_segment(), 2u);
  ASSERT_TRUE(w->Append("b").ok());
  StatusOr<uint64_t> third = w->Rotate();
  ASSERT_TRUE(third.ok());
  EXPECT_EQ(*third, 3u);
  ASSERT_TRUE(w->Append("c").ok());
  EXPECT_EQ(w->SizeBytes(), DiskUsage(tmp.path()));

  ASSERT_TRUE(w->RemoveSegmentsBefore(*third).ok());
  EXPECT_EQ(Segments(tmp.path()), std::vector<uint64_t>{3});
  EXPECT_EQ(w->SizeBytes(), DiskUsage(tmp.path()));
  // Never removes the current segment, whatever the argument.
  ASSERT_TRUE(w->RemoveSegmentsBefore(1000).ok());
  EXPECT_EQ(Segments(tmp.path()), std::vector<uint64_t>{3});
  ASSERT_TRUE(w->Append("d").ok());
  EXPECT_EQ(w->SizeBytes(), DiskUsage(tmp.path()));
  w.reset();

  StatusOr<std::vector<ReplayedRecord>> got = ReplayAll(tmp.path());
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(Payloads(*got), (std::vector<std::string>{"c", "d"}));
}

TEST(WalTest, ConcurrentAppendsAreReplayedExactlyOnce) {
  TempDir tmp;
  constexpr int kThreads = 8;
  constexpr int kPerThread = 150;
  {
    auto w = OpenWriter(tmp.path(), 64 << 10, /*sync=*/true);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&w, t] {
        for (int i = 0; i < kPerThread; ++i) {
          const uint64_t id = static_cast<uint64_t>(t) << 32 | static_cast<uint64_t>(i);
          EXPECT_TRUE(w->Append(MakeRecord(id, 8 + (id * 7919) % 20000)).ok());
        }
      });
    }
    // Rotations interleaved with the appends must not lose or duplicate anything.
    for (int r = 0; r < 5; ++r) EXPECT_TRUE(w->Rotate().ok());
    for (std::thread& th : threads) th.join();
    EXPECT_EQ(w->SizeBytes(), DiskUsage(tmp.path()));
    // Every append waited for an fsync; concurrent ones may have shared one.
    EXPECT_GT(w->syncs(), 0u);
    EXPECT_LE(w->syncs(), static_cast<uint64_t>(kThreads * kPerThread));
  }
  StatusOr<std::vector<ReplayedRecord>> got = ReplayAll(tmp.path());
  ASSERT_TRUE(got.ok());
  ASSERT_EQ(got->size(), static_cast<size_t>(kThreads * kPerThread));
  std::map<int, int> next;  // thread -> next expected i: each thread's order is kept
  for (const ReplayedRecord& r : *got) {
    std::string_view in = r.data;
    uint64_t id;
    ASSERT_TRUE(GetFixed64(&in, &id));
    const int t = static_cast<int>(id >> 32), i = static_cast<int>(id & 0xffffffff);
    ASSERT_EQ(r.data, MakeRecord(id, 8 + (id * 7919) % 20000));
    ASSERT_EQ(next[t], i) << "thread " << t;
    next[t] = i + 1;
  }
  for (int t = 0; t < kThreads; ++t) EXPECT_EQ(next[t], kPerThread);
}

// A write that fails (here: beyond RLIMIT_FSIZE) makes every later Append fail too; replay then
// cuts the torn record and keeps what was acknowledged.
TEST(WalTest, FailedWriteIsSticky) {
  TempDir tmp;
  auto w = OpenWriter(tmp.path(), 1 << 20, true);
  ASSERT_TRUE(w->Append(MakeRecord(1, 1000)).ok());
  struct rlimit old_limit;
  ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &old_limit), 0);
  auto old_handler = std::signal(SIGXFSZ, SIG_IGN);
  struct rlimit small = old_limit;
  small.rlim_cur = 4096;
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &small), 0);
  Status failed = w->Append(MakeRecord(2, 10000));
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &old_limit), 0);
  std::signal(SIGXFSZ, old_handler);

  EXPECT_EQ(failed.code(), StatusCode::kUnavailable) << failed.ToString();
  Status again = w->Append("small");
  EXPECT_EQ(again.code(), StatusCode::kUnavailable);
  EXPECT_EQ(again.message(), failed.message());
  EXPECT_FALSE(w->Rotate().ok());
  w.reset();

  StatusOr<std::vector<ReplayedRecord>> got = ReplayAll(tmp.path());
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(Payloads(*got), std::vector<std::string>{MakeRecord(1, 1000)});
}

TEST(WalTest, ReplayOfMissingDirectoryIsEmpty) {
  TempDir tmp;
  StatusOr<std::vector<ReplayedRecord>> got = ReplayAll(tmp.Sub("never-created"));
  ASSERT_TRUE(got.ok());
  EXPECT_TRUE(got->empty());
}

TEST(WalTest, CallbackErrorStopsReplayWithoutRepair) {
  TempDir tmp;
  {
    auto w = OpenWriter(tmp.path(), 1 << 20, false);
    ASSERT_TRUE(w->Append("a").ok());
    ASSERT_TRUE(w->Append("b").ok());
  }
  const uint64_t size_before = DiskUsage(tmp.path());
  int calls = 0;
  Status s = WalReplay(tmp.path(), NullLogger(), [&](uint64_t, std::string_view) {
    ++calls;
    return InternalError("consumer is full");
  });
  EXPECT_EQ(s.code(), StatusCode::kInternal);
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(DiskUsage(tmp.path()), size_before);
}

TEST(WalTest, IntactHeaderOfUnknownVersionIsRefused) {
  TempDir tmp;
  std::string header(wal::kMagic, 4);
  PutFixed32(&header, 99);
  PutFixed32(&header, wal::MaskCrc(crc32c::Value(header)));
  const std::string path = tmp.Sub(wal::SegmentName(1));
  ASSERT_TRUE(WriteFileAtomic(path, header + "payload").ok());
  StatusOr<std::vector<ReplayedRecord>> got = ReplayAll(tmp.path());
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(got.status().message().find(path), std::string::npos);
  EXPECT_EQ(*FileSize(path), header.size() + 7) << "left untouched";
}

TEST(WalTest, OpenRequiresALogger) {
  TempDir tmp;
  WalOptions options;
  StatusOr<std::unique_ptr<WalWriter>> w = WalWriter::Open(tmp.path(), options);
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace vigil::storage
