// Encrypted blocks (docs/format/block.md) with the real keyring: neither keys nor samples in
// the clear; round trips, merges and a data-key rotation read back; every byte flipped in the
// index or the chunks is DataLoss naming the file (and the chunk's offset), never wrong data.
#include <gtest/gtest.h>

#include "tests/testutil/keyring.h"
#include "storage/file_util.h"
#include "tsdb/block/block.h"
#include "tsdb/block/block_test_util.h"
#include "tsdb/block/index_format.h"

namespace vigil::tsdb::block {
namespace {


std::vector<SeriesData> MakeSeries(const std::string& host_prefix) {
  std::vector<SeriesData> out;
  for (int h = 0; h < 5; ++h) {
    SeriesData s;
    s.key = SeriesKey{"App", "latency", {{"host", host_prefix + std::to_string(10 + h)}}};
    for (int i = 0; i < 50; ++i) {
      s.raw.push_back(RawSample{1'000'000 + i * 1000, static_cast<double>((i * 7919) % 1000)});
    }
    out.push_back(std::move(s));
  }
  return out;
}

class BlockEncryptionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ring_ = testutil::OpenTestKeyring(keys_.path());
    ASSERT_NE(ring_, nullptr);
    cipher_ = ring_->CipherFor("tsdb");
  }
  // Every series of the block at `dir`, or the first error.
  StatusOr<std::vector<SeriesData>> ReadAll(const std::string& dir) {
    ASSIGN_OR_RETURN(std::unique_ptr<BlockReader> reader, BlockReader::Open(dir, cipher_.get()));
    std::vector<SeriesData> out(reader->num_series());
    for (size_t i = 0; i < out.size(); ++i) {
      RETURN_IF_ERROR(reader->ReadSeries(i, INT64_MIN, INT64_MAX, &out[i]));
    }
    return out;
  }

  TempDir keys_, tmp_;
  std::unique_ptr<auth::Keyring> ring_;
  std::unique_ptr<storage::Cipher> cipher_;
};

TEST_F(BlockEncryptionTest, RoundTripWithNothingInTheClear) {
  BlockMeta meta;
  ASSERT_TRUE(WriteBlock(tmp_.path(), "b", MakeSeries("secret-host-"), 0, &meta, cipher_.get())
                  .ok());
  for (const char* file : {"index", "chunks"}) {
    const std::string bytes = *storage::ReadFile(tmp_.path() + "/b/" + file);
    EXPECT_EQ(bytes.find("secret-host"), std::string::npos) << file;
    EXPECT_EQ(bytes.find("latency"), std::string::npos) << file;
  }
  auto got = ReadAll(tmp_.path() + "/b");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  ASSERT_EQ(got->size(), 5u);
  EXPECT_EQ((*got)[0].key.dimensions[0].value, "secret-host-10");
  const std::vector<RawSample> want = MakeSeries("secret-host-")[4].raw;
  ASSERT_EQ((*got)[4].raw.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ((*got)[4].raw[i].timestamp_ms, want[i].timestamp_ms);
    EXPECT_EQ((*got)[4].raw[i].value, want[i].value);
  }
  // Without the keyring the block is refused, not misread.
  EXPECT_EQ(BlockReader::Open(tmp_.path() + "/b").status().code(),
            StatusCode::kFailedPrecondition);
}

TEST_F(BlockEncryptionTest, MergesAcrossFormsAndKeyVersions) {
  BlockMeta meta;
  ASSERT_TRUE(WriteBlock(tmp_.path(), "plain", MakeSeries("a-"), 0, &meta).ok());
  ASSERT_TRUE(WriteBlock(tmp_.path(), "sealed", MakeSeries("b-"), 0, &meta, cipher_.get()).ok());
  ASSERT_TRUE(ring_->RotateDataKey("tsdb").ok());
  auto plain = BlockReader::Open(tmp_.path() + "/plain", cipher_.get());
  auto sealed = BlockReader::Open(tmp_.path() + "/sealed", cipher_.get());
  ASSERT_TRUE(plain.ok() && sealed.ok());
  const BlockReader* inputs[] = {plain->get(), sealed->get()};
  ASSERT_TRUE(MergeBlocks(tmp_.path(), "merged", inputs, &meta, cipher_.get()).ok());
  auto got = ReadAll(tmp_.path() + "/merged");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(got->size(), 10u);
  // A block's files moved under another block's name do not open.
  ASSERT_TRUE(storage::RemoveAll(tmp_.path() + "/plain").ok());
  ASSERT_EQ(std::rename((tmp_.path() + "/sealed").c_str(), (tmp_.path() + "/plain").c_str()), 0);
  EXPECT_EQ(ReadAll(tmp_.path() + "/plain").status().code(), StatusCode::kDataLoss);
}

TEST_F(BlockEncryptionTest, EveryFlippedByteIsDataLossNamingTheFile) {
  BlockMeta meta;
  ASSERT_TRUE(WriteBlock(tmp_.path(), "b", MakeSeries("h-"), 0, &meta, cipher_.get()).ok());
  const std::string dir = tmp_.path() + "/b";
  for (const char* file : {"index", "chunks"}) {
    const std::string path = dir + "/" + file;
    const std::string original = *storage::ReadFile(path);
    for (size_t at = 0; at < original.size(); ++at) {
      SCOPED_TRACE(std::string(file) + " byte " + std::to_string(at));
      std::string damaged = original;
      damaged[at] ^= 0x04;
      ASSERT_TRUE(storage::WriteFileAtomic(path, damaged).ok());
      const Status s = ReadAll(dir).status();
      ASSERT_EQ(s.code(), StatusCode::kDataLoss) << s.ToString();
      EXPECT_NE(s.message().find(path), std::string::npos) << s.ToString();
      if (std::string(file) == "chunks" && at >= kChunksHeaderBytes) {
        EXPECT_NE(s.message().find("does not authenticate"), std::string::npos) << s.ToString();
      }
    }
    ASSERT_TRUE(storage::WriteFileAtomic(path, original).ok());
  }
  EXPECT_TRUE(ReadAll(dir).ok());
}

}  // namespace
}  // namespace vigil::tsdb::block
