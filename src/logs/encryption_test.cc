// The log store encrypted at rest (docs/format/logs.md) with the real keyring: no message on
// disk in the clear, the switch turned on and off over one store, and every byte of an
// encrypted segment flipped is DataLoss naming the file, never an event.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "tests/testutil/keyring.h"
#include "logs/logs.h"
#include "logs/segment.h"
#include "storage/file_util.h"
#include "tests/testutil/manual_clock.h"

namespace vigil::logs {
namespace {

constexpr int64_t kT0 = 1'800'000'000'000;

class LogEncryptionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = ::testing::TempDir() + "/logs_enc_test_" + std::to_string(::getpid()) + "_" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name();
    ASSERT_TRUE(storage::RemoveAll(dir_).ok());
    ASSERT_TRUE(storage::CreateDirs(dir_).ok());
    ring_ = testutil::OpenTestKeyring(dir_ + "/keys", &clock_);
    ASSERT_NE(ring_, nullptr);
    cipher_ = ring_->CipherFor("logs");
    auto state = state::OpenSqliteStore(dir_ + "/state.db");
    ASSERT_TRUE(state.ok());
    state_ = std::move(*state);
  }
  void TearDown() override {
    store_.reset();
    state_.reset();
    storage::RemoveAll(dir_).IgnoreError();
  }
  void Open(bool encrypt) {
    if (store_) {
      ASSERT_TRUE(store_->Close().ok());
    }
    store_.reset();
    Options o;
    o.dir = dir_ + "/logs";
    o.state = state_.get();
    o.clock = &clock_;
    o.logger = &NullLogger();
    o.background = false;
    o.cipher = cipher_.get();
    o.encrypt = encrypt;
    auto store = Store::Open(std::move(o));
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(*store);
  }
  std::vector<std::string> Messages() {
    GetQuery q;
    q.group = "g";
    q.stream = "s";
    q.start_from_head = true;
    auto got = store_->GetEvents(q);
    EXPECT_TRUE(got.ok()) << got.status().ToString();
    std::vector<std::string> out;
    if (got.ok()) {
      for (const Event& e : got->events) out.push_back(e.message);
    }
    return out;
  }
  // Files under logs/ holding `needle`.
  std::vector<std::string> FilesHolding(const std::string& needle) {
    std::vector<std::string> out;
    for (const auto& f : std::filesystem::recursive_directory_iterator(dir_ + "/logs")) {
      if (!f.is_regular_file()) continue;
      StatusOr<std::string> bytes = storage::ReadFile(f.path());
      if (bytes.ok() && bytes->find(needle) != std::string::npos) {
        out.push_back(f.path());
      }
    }
    return out;
  }

  std::string dir_;
  testutil::ManualClock clock_{kT0};
  std::unique_ptr<auth::Keyring> ring_;
  std::unique_ptr<storage::Cipher> cipher_;
  std::unique_ptr<state::Store> state_;
  std::unique_ptr<Store> store_;
};

TEST_F(LogEncryptionTest, MessagesAreNotOnDiskInTheClear) {
  Open(true);
  ASSERT_TRUE(store_->PutEvents("g", "s", {{kT0, "zebra-payload-one"}}, true).ok());
  EXPECT_TRUE(FilesHolding("zebra-payload").empty());  // the log
  Open(true);                                            // cut at Close: a segment file
  ASSERT_TRUE(store_->PutEvents("g", "s", {{kT0 + 1, "zebra-payload-two"}}).ok());
  EXPECT_TRUE(FilesHolding("zebra-payload").empty());
  Open(true);
  EXPECT_EQ(Messages(), (std::vector<std::string>{"zebra-payload-one", "zebra-payload-two"}));
}

TEST_F(LogEncryptionTest, SwitchingOnAndOffKeepsEverythingReadable) {
  Open(false);
  ASSERT_TRUE(store_->PutEvents("g", "s", {{kT0, "plain-1"}}, true).ok());
  Open(true);
  ASSERT_TRUE(store_->PutEvents("g", "s", {{kT0 + 1, "sealed-2"}}).ok());
  ASSERT_TRUE(ring_->RotateDataKey("logs").ok());
  Open(true);
  ASSERT_TRUE(store_->PutEvents("g", "s", {{kT0 + 2, "sealed-3"}}).ok());
  Open(false);
  ASSERT_TRUE(store_->PutEvents("g", "s", {{kT0 + 3, "plain-4"}}).ok());
  EXPECT_FALSE(FilesHolding("plain-4").empty());  // the log, written plain
  EXPECT_TRUE(FilesHolding("sealed-").empty());
  Open(false);
  EXPECT_EQ(Messages(), (std::vector<std::string>{"plain-1", "sealed-2", "sealed-3", "plain-4"}));
}

TEST_F(LogEncryptionTest, EveryFlippedByteOfASegmentIsDataLoss) {
  const std::string path = dir_ + "/000000000000002a/0000000000000005.seg";
  ASSERT_TRUE(storage::CreateDirs(dir_ + "/000000000000002a").ok());
  std::vector<StoredEvent> events;
  for (int i = 0; i < 3; ++i) events.push_back({7, kT0 + i, kT0 + i, 100u + i, "event-" + std::to_string(i)});
  std::vector<const StoredEvent*> sorted;
  for (const StoredEvent& e : events) sorted.push_back(&e);
  ASSERT_TRUE(Segment::Write(path, 5, sorted, cipher_.get()).ok());
  const std::string original = *storage::ReadFile(path);
  EXPECT_EQ(original.find("event-"), std::string::npos);
  for (size_t at = 0; at < original.size(); ++at) {
    SCOPED_TRACE("byte " + std::to_string(at));
    std::string damaged = original;
    damaged[at] ^= 0x20;
    ASSERT_TRUE(storage::WriteFileAtomic(path, damaged).ok());
    Status s;
    auto seg = Segment::Open(path, cipher_.get());
    if (!seg.ok()) {
      s = seg.status();
    } else {
      for (size_t b = 0; s.ok() && b < (*seg)->blocks().size(); ++b) {
        s = (*seg)->ForEachInBlock(b, [](const EventView&) {});
      }
    }
    ASSERT_EQ(s.code(), StatusCode::kDataLoss) << s.ToString();
    EXPECT_NE(s.message().find(path), std::string::npos) << s.ToString();
  }
}

}  // namespace
}  // namespace vigil::logs
