// Table-driven damage tests (Prometheus wlog_test.go style): cut or flip every byte of a
// segment and check that replay delivers exactly a prefix, repairs the WAL, and that the
// repaired WAL accepts and replays new records.
#include <gtest/gtest.h>
#include <stdio.h>

#include "storage/test_util.h"
#include "storage/wal.h"
#include "storage/wal_format.h"

namespace vigil::storage {
namespace {

WalOptions Options(size_t segment_bytes = 1 << 20) {
  WalOptions options;
  options.segment_bytes = segment_bytes;
  options.sync = false;  // durability is not under test; keeps 600+ cases fast
  options.logger = &NullLogger();
  return options;
}

std::string Record(size_t i, size_t size) {
  std::string r(size, '\0');
  for (size_t j = 0; j < size; ++j) r[j] = static_cast<char>('a' + (i * 31 + j) % 26);
  return r;
}

struct Reference {
  std::string segment;  // bytes of segment 00000001
  std::vector<std::string> records;
  std::vector<size_t> ends;  // offset just past each record
};

Reference BuildReference() {
  TempDir tmp;
  Reference ref;
  auto w = WalWriter::Open(tmp.path(), Options());
  EXPECT_TRUE(w.ok());
  size_t end = wal::kSegmentHeaderSize;
  for (size_t size : {5, 0, 40, 1, 90, 13}) {
    ref.records.push_back(Record(ref.records.size(), size));
    EXPECT_TRUE((*w)->Append(ref.records.back()).ok());
    end += wal::kRecordHeaderSize + size;
    ref.ends.push_back(end);
  }
  w->reset();
  ref.segment = *ReadFile(tmp.Sub(wal::SegmentName(1)));
  EXPECT_EQ(ref.segment.size(), end);
  return ref;
}

// Replays a WAL whose only segment holds `damaged`, checks the delivered records against the
// reference, then appends to the repaired WAL and replays again.
void CheckDamagedSegment(const Reference& ref, const std::string& damaged, size_t damage_offset,
                         bool exact) {
  TempDir tmp;
  ASSERT_TRUE(WriteFileAtomic(tmp.Sub(wal::SegmentName(1)), damaged).ok());
  StatusOr<std::vector<ReplayedRecord>> got = ReplayAll(tmp.path());
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  std::vector<std::string> delivered = Payloads(*got);

  size_t complete = 0;  // records that end at or before the damage
  while (complete < ref.ends.size() && ref.ends[complete] <= damage_offset) ++complete;
  ASSERT_LE(delivered.size(), ref.records.size());
  ASSERT_GE(delivered.size(), complete);
  if (exact) {
    ASSERT_EQ(delivered.size(), complete);
  }
  for (size_t i = 0; i < delivered.size(); ++i) ASSERT_EQ(delivered[i], ref.records[i]) << i;

  {
    auto w = WalWriter::Open(tmp.path(), Options());
    ASSERT_TRUE(w.ok()) << w.status().ToString();
    ASSERT_TRUE((*w)->Append("new-1").ok());
    ASSERT_TRUE((*w)->Append("").ok());
  }
  got = ReplayAll(tmp.path());
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  delivered.push_back("new-1");
  delivered.push_back("");
  ASSERT_EQ(Payloads(*got), delivered);
}

TEST(WalCorruptionTest, TruncateAtEveryOffset) {
  const Reference ref = BuildReference();
  for (size_t cut = 0; cut <= ref.segment.size(); ++cut) {
    SCOPED_TRACE("truncated to " + std::to_string(cut) + " bytes");
    CheckDamagedSegment(ref, ref.segment.substr(0, cut), cut, /*exact=*/true);
    if (HasFatalFailure()) return;
  }
}

TEST(WalCorruptionTest, FlipABitAtEveryOffset) {
  const Reference ref = BuildReference();
  for (size_t offset = 0; offset < ref.segment.size(); ++offset) {
    SCOPED_TRACE("bit flipped at offset " + std::to_string(offset));
    std::string damaged = ref.segment;
    damaged[offset] = static_cast<char>(damaged[offset] ^ (1 << (offset % 8)));
    // A record's CRC covers every byte of it, so damage is caught at the record it hits.
    CheckDamagedSegment(ref, damaged, offset, /*exact=*/true);
    if (HasFatalFailure()) return;
  }
}

TEST(WalCorruptionTest, ZeroFilledTailIsCut) {
  const Reference ref = BuildReference();
  CheckDamagedSegment(ref, ref.segment + std::string(4096, '\0'), ref.segment.size(), true);
}

TEST(WalCorruptionTest, DamagedMiddleSegmentDropsLaterSegments) {
  TempDir tmp;
  std::vector<std::string> written;
  {
    auto w = WalWriter::Open(tmp.path(), Options(/*segment_bytes=*/130));
    ASSERT_TRUE(w.ok());
    for (size_t i = 0; i < 9; ++i) {  // 3 records of 40 bytes per segment
      written.push_back(Record(i, 40));
      ASSERT_TRUE((*w)->Append(written.back()).ok());
    }
    ASSERT_EQ((*w)->current_segment(), 3u);  // full, but switched only by the next append
  }
  // Flip a payload byte of the second record of segment 2.
  const std::string seg2 = tmp.Sub(wal::SegmentName(2));
  std::string bytes = *ReadFile(seg2);
  const size_t second_record = wal::kSegmentHeaderSize + wal::kRecordHeaderSize + 40;
  bytes[second_record + wal::kRecordHeaderSize + 3] ^= 0x10;
  ASSERT_TRUE(WriteFileAtomic(seg2, bytes).ok());

  char* log_text = nullptr;
  size_t log_size = 0;
  FILE* log_stream = open_memstream(&log_text, &log_size);
  ASSERT_NE(log_stream, nullptr);
  Logger logger(log_stream);
  StatusOr<std::vector<ReplayedRecord>> got = ReplayAll(tmp.path(), logger);
  fclose(log_stream);
  const std::string log(log_text, log_size);
  free(log_text);
  ASSERT_TRUE(got.ok()) << got.status().ToString();

  // Segment 1 whole, the first record of segment 2; segments 3 and 4 are gone.
  EXPECT_EQ(Payloads(*got), std::vector<std::string>(written.begin(), written.begin() + 4));
  EXPECT_EQ(*ListDir(tmp.path()),
            (std::vector<std::string>{wal::SegmentName(1), wal::SegmentName(2)}));
  EXPECT_EQ(*FileSize(seg2), second_record);
  EXPECT_NE(log.find(seg2), std::string::npos) << log;
  EXPECT_NE(log.find("offset " + std::to_string(second_record)), std::string::npos) << log;

  {
    auto w = WalWriter::Open(tmp.path(), Options());
    ASSERT_TRUE(w.ok());
    EXPECT_EQ((*w)->current_segment(), 3u);
    ASSERT_TRUE((*w)->Append("after repair").ok());
  }
  got = ReplayAll(tmp.path());
  ASSERT_TRUE(got.ok());
  ASSERT_EQ(got->size(), 5u);
  EXPECT_EQ(got->back().data, "after repair");
  EXPECT_EQ(got->back().segment, 3u);
}

}  // namespace
}  // namespace vigil::storage
