// The encrypted WAL (format version 2, docs/format/wal.md) with the real keyring: records are
// not on disk in the clear; plaintext and encrypted segments replay side by side; a changed
// byte is never delivered as data — a torn-looking one is cut as before, one whose checksum was
// fixed up (tampering) is DataLoss naming the file and offset, with nothing repaired.
#include <gtest/gtest.h>

#include "tests/testutil/keyring.h"
#include "storage/coding.h"
#include "storage/test_util.h"
#include "storage/wal.h"
#include "storage/wal_format.h"

namespace vigil::storage {
namespace {


class WalEncryptionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ring_ = testutil::OpenTestKeyring(keys_.path());
    ASSERT_NE(ring_, nullptr);
    cipher_ = ring_->CipherFor("tsdb");
  }

  WalOptions Options(bool encrypt) {
    WalOptions o;
    o.sync = false;
    o.logger = &NullLogger();
    o.cipher = encrypt ? cipher_.get() : nullptr;
    o.cipher_context = "test-wal";
    return o;
  }
  void Write(const std::string& dir, bool encrypt, const std::vector<std::string>& records) {
    auto w = WalWriter::Open(dir, Options(encrypt));
    ASSERT_TRUE(w.ok()) << w.status().ToString();
    for (const std::string& r : records) ASSERT_TRUE((*w)->Append(r).ok());
  }
  StatusOr<std::vector<std::string>> Replay(const std::string& dir) {
    ASSIGN_OR_RETURN(std::vector<ReplayedRecord> got,
                     ReplayAll(dir, NullLogger(), cipher_.get(), "test-wal"));
    return Payloads(got);
  }

  TempDir keys_, dir_;
  std::unique_ptr<auth::Keyring> ring_;
  std::unique_ptr<Cipher> cipher_;
};

TEST_F(WalEncryptionTest, RecordsAreNotStoredInTheClear) {
  Write(dir_.path(), true, {"distinctive-sample-value-4711", "", "second"});
  const std::string segment = *ReadFile(dir_.Sub(wal::SegmentName(1)));
  EXPECT_EQ(segment.find("distinctive-sample"), std::string::npos);
  EXPECT_EQ(segment.find("second"), std::string::npos);
  EXPECT_EQ(DecodeFixed32(segment.data() + 4), wal::kVersionEncrypted);
  auto got = Replay(dir_.path());
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(*got, (std::vector<std::string>{"distinctive-sample-value-4711", "", "second"}));
}

TEST_F(WalEncryptionTest, SwitchingOnAndOffKeepsEverySegmentReadable) {
  Write(dir_.path(), false, {"plain-1"});
  Write(dir_.path(), true, {"sealed-2", "sealed-3"});
  ASSERT_TRUE(ring_->RotateDataKey("tsdb").ok());  // later segments use the new key version
  Write(dir_.path(), true, {"sealed-4"});
  Write(dir_.path(), false, {"plain-5"});
  auto got = Replay(dir_.path());
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(*got, (std::vector<std::string>{"plain-1", "sealed-2", "sealed-3", "sealed-4",
                                            "plain-5"}));
}

TEST_F(WalEncryptionTest, EncryptedSegmentWithoutCipherIsRefusedUntouched) {
  Write(dir_.path(), true, {"sealed"});
  const std::string before = *ReadFile(dir_.Sub(wal::SegmentName(1)));
  auto got = ReplayAll(dir_.path());
  EXPECT_EQ(got.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(got.status().message().find(wal::SegmentName(1)), std::string::npos);
  EXPECT_EQ(*ReadFile(dir_.Sub(wal::SegmentName(1))), before);
}

TEST_F(WalEncryptionTest, OtherContextDoesNotOpen) {
  Write(dir_.path(), true, {"sealed"});
  auto got = ReplayAll(dir_.path(), NullLogger(), cipher_.get(), "another-wal");
  EXPECT_EQ(got.status().code(), StatusCode::kDataLoss);
}

// Every byte of an encrypted segment flipped: replay either refuses (DataLoss naming the file)
// or delivers a prefix of the records, unchanged; never a changed record.
TEST_F(WalEncryptionTest, FlippedBytesAreNeverDelivered) {
  const std::vector<std::string> records = {"alpha-record", "b", "gamma-record-longer"};
  Write(dir_.path(), true, records);
  const std::string segment = *ReadFile(dir_.Sub(wal::SegmentName(1)));
  for (size_t at = 0; at < segment.size(); ++at) {
    SCOPED_TRACE("byte " + std::to_string(at));
    TempDir tmp;
    std::string damaged = segment;
    damaged[at] ^= 0x01;
    ASSERT_TRUE(WriteFileAtomic(tmp.Sub(wal::SegmentName(1)), damaged).ok());
    auto got = Replay(tmp.path());
    if (!got.ok()) {
      EXPECT_EQ(got.status().code(), StatusCode::kDataLoss) << got.status().ToString();
      continue;
    }
    ASSERT_LE(got->size(), records.size());
    for (size_t i = 0; i < got->size(); ++i) EXPECT_EQ((*got)[i], records[i]);
    EXPECT_LT(got->size(), records.size()) << "a flipped byte went unnoticed";
  }
}

// Tampering: a payload byte changed and its record's checksum recomputed, so that only the
// authentication can tell. DataLoss naming the file and the record's offset; nothing cut.
TEST_F(WalEncryptionTest, TamperedRecordWithFixedChecksumIsDataLoss) {
  Write(dir_.path(), true, {"first-record", "second-record"});
  const std::string path = dir_.Sub(wal::SegmentName(1));
  const std::string segment = *ReadFile(path);
  const size_t first = wal::kEncryptedHeaderSize;
  const size_t second = first + wal::kRecordHeaderSize + wal::kSealedRecordOverhead + 12;
  const size_t len = wal::kSealedRecordOverhead + 13;
  for (size_t at = second + wal::kRecordHeaderSize; at < second + wal::kRecordHeaderSize + len;
       ++at) {
    SCOPED_TRACE("byte " + std::to_string(at));
    std::string damaged = segment;
    damaged[at] ^= 0x80;
    wal::EncodeRecordHeader(damaged.data() + second,
                            std::string_view(damaged).substr(second + wal::kRecordHeaderSize, len));
    ASSERT_TRUE(WriteFileAtomic(path, damaged).ok());
    auto got = Replay(dir_.path());
    ASSERT_EQ(got.status().code(), StatusCode::kDataLoss) << got.status().ToString();
    EXPECT_NE(got.status().message().find(path), std::string::npos);
    EXPECT_NE(got.status().message().find("offset " + std::to_string(second)), std::string::npos)
        << got.status().message();
    EXPECT_EQ(*ReadFile(path), damaged);  // not "repaired"
  }
}

}  // namespace
}  // namespace vigil::storage
