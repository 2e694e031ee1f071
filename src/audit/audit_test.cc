#include "audit/audit.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "storage/file_util.h"

namespace vigil::audit {
namespace {

class StepClock final : public Clock {
 public:
  int64_t NowMillis() const override { return now_ += 1000; }

 private:
  mutable int64_t now_ = 1'800'000'000'000;
};

class AuditTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = ::testing::TempDir() + "/audit_test_" + std::to_string(::getpid()) + "_" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name();
    ASSERT_TRUE(storage::RemoveAll(dir_).ok());
    Open();
  }
  void TearDown() override {
    trail_.reset();
    storage::RemoveAll(dir_).IgnoreError();
  }
  void Open() {
    trail_.reset();
    auto t = Trail::Open(dir_, &clock_, &NullLogger());
    ASSERT_TRUE(t.ok()) << t.status().message();
    trail_ = std::move(*t);
  }
  void Add(const std::string& name, const std::string& alarm, const std::string& error = "") {
    Record r;
    r.event_source = "monitoring.amazonaws.com";
    r.event_name = name;
    r.access_key_id = "AKIDTEST";
    r.username = "root";
    r.source_address = "127.0.0.1";
    r.resources = {{"AWS::CloudWatch::Alarm", alarm}};
    r.parameters = {{"AlarmName", alarm}};
    r.error_code = error;
    ASSERT_TRUE(trail_->Append(r).ok());
  }
  std::vector<std::string> ReadLines() {
    std::ifstream in(dir_ + "/trail-00000001.jsonl");
    std::vector<std::string> lines;
    for (std::string l; std::getline(in, l);) lines.push_back(l);
    return lines;
  }
  void WriteLines(const std::vector<std::string>& lines) {
    std::ofstream out(dir_ + "/trail-00000001.jsonl", std::ios::trunc);
    for (const std::string& l : lines) out << l << "\n";
  }

  std::string dir_;
  StepClock clock_;
  std::unique_ptr<Trail> trail_;
};

TEST_F(AuditTest, FindsNewestFirstByAttributeTimeAndPage) {
  Add("PutMetricAlarm", "a");
  Add("PutMetricAlarm", "b");
  Add("DeleteAlarms", "a", "ResourceNotFound");
  Add("SetAlarmState", "b");
  auto all = trail_->Find({});
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->records.size(), 4u);
  EXPECT_EQ(all->records[0].event_name, "SetAlarmState");
  EXPECT_EQ(all->records[1].error_code, "ResourceNotFound");
  EXPECT_EQ(all->records[3].seq, 1u);

  Lookup q;
  q.attribute = {"ResourceName", "a"};
  auto a = trail_->Find(q);
  ASSERT_EQ(a->records.size(), 2u);
  EXPECT_EQ(a->records[0].event_name, "DeleteAlarms");

  q = Lookup();
  q.limit = 3;
  auto page = trail_->Find(q);
  ASSERT_EQ(page->records.size(), 3u);
  ASSERT_TRUE(page->next_before_seq.has_value());
  q.before_seq = page->next_before_seq;
  page = trail_->Find(q);
  ASSERT_EQ(page->records.size(), 1u);
  EXPECT_EQ(page->records[0].seq, 1u);
  EXPECT_FALSE(page->next_before_seq.has_value());

  q = Lookup();
  q.start_ms = all->records[2].time_ms;
  q.end_ms = all->records[1].time_ms;
  EXPECT_EQ(trail_->Find(q)->records.size(), 2u);

  Open();  // the chain continues across a restart
  Add("EnableAlarmActions", "a");
  auto v = Verify(dir_);
  ASSERT_TRUE(v.ok());
  EXPECT_TRUE(v->problem.empty()) << v->problem;
  EXPECT_EQ(v->records, 5u);
}

TEST_F(AuditTest, VerifyNamesTheFirstEditedRemovedOrReorderedRecord) {
  for (int i = 0; i < 4; ++i) Add("PutMetricAlarm", "alarm-" + std::to_string(i));
  const std::vector<std::string> good = ReadLines();
  ASSERT_EQ(good.size(), 4u);

  std::vector<std::string> edited = good;
  const size_t at = edited[2].find("alarm-2");
  edited[2].replace(at, 7, "alarm-X");
  WriteLines(edited);
  auto v = Verify(dir_);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->line, 3u);
  EXPECT_EQ(v->seq, 3u);
  EXPECT_NE(v->problem.find("edited"), std::string::npos) << v->problem;
  EXPECT_EQ(v->records, 2u);

  std::vector<std::string> removed = {good[0], good[2], good[3]};
  WriteLines(removed);
  v = Verify(dir_);
  EXPECT_EQ(v->line, 2u);
  EXPECT_NE(v->problem.find("removed or reordered"), std::string::npos) << v->problem;

  std::vector<std::string> swapped = {good[0], good[2], good[1], good[3]};
  WriteLines(swapped);
  EXPECT_EQ(Verify(dir_)->line, 2u);

  WriteLines(good);
  v = Verify(dir_);
  EXPECT_TRUE(v->problem.empty()) << v->problem;
  EXPECT_EQ(v->records, 4u);
}

TEST_F(AuditTest, ATornLastLineIsCutAtOpen) {
  Add("PutMetricAlarm", "a");
  Add("PutMetricAlarm", "b");
  trail_.reset();
  {
    std::ofstream out(dir_ + "/trail-00000001.jsonl", std::ios::app);
    out << R"({"seq":3,"time":)";  // a crash in the middle of a write
  }
  EXPECT_FALSE(Verify(dir_)->problem.empty());
  Open();
  Add("PutMetricAlarm", "c");
  auto v = Verify(dir_);
  EXPECT_TRUE(v->problem.empty()) << v->problem;
  EXPECT_EQ(v->records, 3u);
}

TEST(RedactTest, HidesSecretsAtAnyDepth) {
  const nlohmann::json in = {{"UserName", "ann"},
                             {"Password", "hunter2"},
                             {"nextToken", "page-2"},
                             {"Keys", {{{"SecretAccessKey", "s"}, {"AccessKeyId", "AKID"}}}}};
  const nlohmann::json out = Redact(in);
  EXPECT_EQ(out["UserName"], "ann");
  EXPECT_EQ(out["Password"], "***");
  EXPECT_EQ(out["nextToken"], "page-2");
  EXPECT_EQ(out["Keys"][0]["SecretAccessKey"], "***");
  EXPECT_EQ(out["Keys"][0]["AccessKeyId"], "AKID");
}

}  // namespace
}  // namespace vigil::audit
