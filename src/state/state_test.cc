#include "state/state.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <string>

namespace vigil::state {
namespace {

class StateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = ::testing::TempDir() + "/state_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".db";
    Remove();
  }
  void TearDown() override { Remove(); }
  void Remove() {
    for (const char* suffix : {"", "-wal", "-shm"}) ::unlink((path_ + suffix).c_str());
  }
  std::unique_ptr<Store> Open() {
    auto store = OpenSqliteStore(path_);
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    return store.ok() ? std::move(*store) : nullptr;
  }
  static std::vector<std::string> Keys(const std::vector<Record>& records) {
    std::vector<std::string> keys;
    for (const Record& r : records) keys.push_back(r.key);
    return keys;
  }

  std::string path_;
};

TEST_F(StateTest, PutGetDeleteAndTablesApart) {
  auto store = Open();
  ASSERT_TRUE(store->Put("alarms", "cpu", "{\"a\":1}").ok());
  ASSERT_TRUE(store->Put("history", "cpu", "other").ok());
  EXPECT_EQ(store->Get("alarms", "cpu")->value_or("?"), "{\"a\":1}");
  EXPECT_EQ(store->Get("history", "cpu")->value_or("?"), "other");
  EXPECT_FALSE(store->Get("alarms", "mem")->has_value());
  ASSERT_TRUE(store->Put("alarms", "cpu", "v2").ok());  // replaces
  EXPECT_EQ(store->Get("alarms", "cpu")->value_or("?"), "v2");
  ASSERT_TRUE(store->Delete("alarms", "cpu").ok());
  EXPECT_FALSE(store->Get("alarms", "cpu")->has_value());
  EXPECT_TRUE(store->Get("history", "cpu")->has_value());
}

TEST_F(StateTest, ScansAPrefixInByteOrderFromACursorWithALimit) {
  auto store = Open();
  Batch b;
  for (const char* k : {"b/2", "a/1", "b/1", "b/10", "c", "b\xff", "b/\xff\xff"}) b.Put("t", k, k);
  ASSERT_TRUE(store->Apply(b).ok());
  EXPECT_EQ(Keys(*store->Scan("t", "b/")),
            (std::vector<std::string>{"b/1", "b/10", "b/2", "b/\xff\xff"}));
  EXPECT_EQ(Keys(*store->Scan("t", "b/", "b/10")), (std::vector<std::string>{"b/2", "b/\xff\xff"}));
  EXPECT_EQ(Keys(*store->Scan("t", "b/", "", 2)), (std::vector<std::string>{"b/1", "b/10"}));
  EXPECT_EQ(Keys(*store->Scan("t", "b/\xff")), (std::vector<std::string>{"b/\xff\xff"}));
  EXPECT_EQ(store->Scan("t", "")->size(), 7u);
  EXPECT_TRUE(store->Scan("other", "")->empty());
  // Binary keys and values survive whole.
  const std::string key("k\0ey", 4), value("v\0\xffz", 4);
  ASSERT_TRUE(store->Put("bin", key, value).ok());
  EXPECT_EQ(store->Get("bin", key)->value_or("?"), value);
}

TEST_F(StateTest, BatchesApplyInOrderAndDeletePrefixes) {
  auto store = Open();
  Batch b;
  b.Put("h", "x/1", "1");
  b.Put("h", "x/2", "2");
  b.Put("h", "y/1", "3");
  b.Delete("h", "x/1");
  b.Put("h", "x/1", "again");
  ASSERT_TRUE(store->Apply(b).ok());
  EXPECT_EQ(store->Get("h", "x/1")->value_or("?"), "again");
  Batch d;
  d.DeletePrefix("h", "x/");
  ASSERT_TRUE(store->Apply(d).ok());
  EXPECT_EQ(Keys(*store->Scan("h", "")), (std::vector<std::string>{"y/1"}));
  Batch all;
  all.DeletePrefix("h", "");
  ASSERT_TRUE(store->Apply(all).ok());
  EXPECT_TRUE(store->Scan("h", "")->empty());
}

TEST_F(StateTest, RecordsSurviveReopening) {
  {
    auto store = Open();
    ASSERT_TRUE(store->Put("alarms", "cpu", "kept").ok());
  }
  auto store = Open();
  EXPECT_EQ(store->Get("alarms", "cpu")->value_or("?"), "kept");
}

TEST_F(StateTest, RefusesAFileThatIsNotAStore) {
  std::ofstream(path_) << "this is not a database, only some text that is long enough\n";
  auto store = OpenSqliteStore(path_);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(store.status().message().find(path_), std::string::npos) << store.status().ToString();
  EXPECT_FALSE(OpenSqliteStore("/nonexistent-dir/state.db").ok());
}

}  // namespace
}  // namespace vigil::state
