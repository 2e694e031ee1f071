#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <mutex>

#include "logs/logs.h"
#include "storage/file_util.h"
#include "tests/testutil/manual_clock.h"

namespace vigil::logs {
namespace {

constexpr int64_t kT0 = 1'800'000'000'000;

using testutil::ManualClock;

GetQuery Query(const std::string& group, const std::string& stream, bool from_head = false) {
  GetQuery q;
  q.group = group;
  q.stream = stream;
  q.start_from_head = from_head;
  return q;
}

class LogStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = ::testing::TempDir() + "/logs_test_" + std::to_string(::getpid()) + "_" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name();
    ASSERT_TRUE(storage::RemoveAll(dir_).ok());
    ASSERT_TRUE(storage::CreateDirs(dir_).ok());
    Open(dir_);
  }
  void TearDown() override {
    store_.reset();
    state_.reset();
    storage::RemoveAll(dir_).IgnoreError();
  }

  void Open(const std::string& dir) {
    store_.reset();
    state_.reset();
    auto state = state::OpenSqliteStore(dir + "/state.db");
    ASSERT_TRUE(state.ok()) << state.status().message();
    state_ = std::move(*state);
    Options o;
    o.dir = dir + "/logs";
    o.state = state_.get();
    o.clock = &clock_;
    o.logger = &NullLogger();
    o.background = false;
    o.on_sample = [this](const FilterSample& s) { samples_.push_back(s); };
    auto store = Store::Open(std::move(o));
    ASSERT_TRUE(store.ok()) << store.status().message();
    store_ = std::move(*store);
  }

  // A copy of the data directory as it is on disk now: what a machine crash would leave.
  std::string Snapshot() {
    const std::string copy = dir_ + "_crash";
    storage::RemoveAll(copy).IgnoreError();
    std::filesystem::copy(dir_, copy, std::filesystem::copy_options::recursive);
    return copy;
  }

  std::vector<std::string> Messages(const std::vector<Event>& events) {
    std::vector<std::string> out;
    for (const Event& e : events) out.push_back(e.message);
    return out;
  }

  std::vector<InputEvent> Batch(int64_t t, std::initializer_list<const char*> messages) {
    std::vector<InputEvent> out;
    for (const char* m : messages) out.push_back({t++, m});
    return out;
  }

  std::string dir_;
  ManualClock clock_{kT0};
  std::unique_ptr<state::Store> state_;
  std::unique_ptr<Store> store_;
  std::vector<FilterSample> samples_;
};

TEST_F(LogStoreTest, GroupsAndStreamsFollowCloudWatchRules) {
  ASSERT_TRUE(store_->CreateGroup("/vigil/web", {{"team", "sre"}}).ok());
  EXPECT_EQ(store_->CreateGroup("/vigil/web", {}).code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(store_->CreateGroup("bad name!", {}).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->CreateStream("/nope", "s").code(), StatusCode::kNotFound);
  ASSERT_TRUE(store_->CreateStream("/vigil/web", "web-1").ok());
  ASSERT_TRUE(store_->CreateStream("/vigil/web", "web-2").ok());
  EXPECT_EQ(store_->CreateStream("/vigil/web", "web-1").code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(store_->CreateStream("/vigil/web", "a:b").code(), StatusCode::kInvalidArgument);
  ASSERT_TRUE(store_->CreateGroup("/vigil/api", {}).ok());

  auto groups = store_->DescribeGroups("/vigil/", "", 0);
  ASSERT_TRUE(groups.ok());
  ASSERT_EQ(groups->size(), 2u);
  EXPECT_EQ((*groups)[0].name, "/vigil/api");
  EXPECT_EQ((*groups)[1].tags.at("team"), "sre");
  groups = store_->DescribeGroups("", "/vigil/api", 1);
  ASSERT_EQ(groups->size(), 1u);
  EXPECT_EQ((*groups)[0].name, "/vigil/web");

  EXPECT_EQ(store_->SetRetention("/vigil/web", 2).code(), StatusCode::kInvalidArgument);
  ASSERT_TRUE(store_->SetRetention("/vigil/web", 7).ok());
  ASSERT_TRUE(store_->TagGroup("/vigil/web", {{"env", "prod"}}, {"team"}).ok());

  Open(dir_);  // all of it is durable
  groups = store_->DescribeGroups("/vigil/web", "", 0);
  ASSERT_EQ(groups->size(), 1u);
  EXPECT_EQ((*groups)[0].retention_days, 7);
  EXPECT_EQ((*groups)[0].tags, (std::map<std::string, std::string>{{"env", "prod"}}));
  auto streams = store_->DescribeStreams("/vigil/web", "web-", false, false);
  ASSERT_TRUE(streams.ok());
  ASSERT_EQ(streams->size(), 2u);
  EXPECT_EQ((*streams)[1].name, "web-2");

  ASSERT_TRUE(store_->DeleteStream("/vigil/web", "web-2").ok());
  EXPECT_EQ(store_->DeleteStream("/vigil/web", "web-2").code(), StatusCode::kNotFound);
  ASSERT_TRUE(store_->DeleteGroup("/vigil/web").ok());
  EXPECT_EQ(store_->DeleteGroup("/vigil/web").code(), StatusCode::kNotFound);
  ASSERT_TRUE(store_->CreateGroup("/vigil/web", {}).ok());  // a new group under the old name
  streams = store_->DescribeStreams("/vigil/web", "", false, false);
  EXPECT_TRUE(streams->empty());
}

TEST_F(LogStoreTest, PutLogEventsBatchRules) {
  ASSERT_TRUE(store_->CreateGroup("g", {}).ok());
  ASSERT_TRUE(store_->CreateStream("g", "s").ok());
  EXPECT_EQ(store_->PutEvents("g", "s", {}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->PutEvents("g", "s", {{kT0, "b"}, {kT0 - 1, "a"}}).status().code(),
            StatusCode::kInvalidArgument);  // not in chronological order
  EXPECT_EQ(store_->PutEvents("g", "s", {{kT0 - 25 * 3'600'000, "a"}, {kT0, "b"}}).status().code(),
            StatusCode::kInvalidArgument);  // spans more than 24 h
  EXPECT_EQ(store_->PutEvents("g", "s", {{kT0, ""}}).status().code(), StatusCode::kInvalidArgument);
  std::vector<InputEvent> many(10'001, InputEvent{kT0, "x"});
  EXPECT_EQ(store_->PutEvents("g", "s", many).status().code(), StatusCode::kInvalidArgument);
  std::vector<InputEvent> big(5, InputEvent{kT0, std::string(250'000, 'x')});
  EXPECT_EQ(store_->PutEvents("g", "s", big).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->PutEvents("g", "nope", {{kT0, "x"}}).status().code(), StatusCode::kNotFound);

  // Older than 14 days, or more than 2 h ahead: refused, the rest stored.
  const int64_t day = 86'400'000;
  const int64_t now = kT0 + 15 * day;
  clock_.Set(now);
  auto r = store_->PutEvents("g", "s",
                             {{now - 14 * day - 1000, "old"}, {now - 13 * day - 2000, "fine"}});
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->too_old_end_index, 0);
  EXPECT_FALSE(r->too_new_start_index.has_value());
  EXPECT_EQ(r->accepted, 1);
  r = store_->PutEvents("g", "s", {{now, "now"}, {now + 3 * 3'600'000, "future"}});
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->too_new_start_index, 1);
  EXPECT_EQ(r->accepted, 1);
  GetQuery q = Query("g", "s");
  auto got = store_->GetEvents(q);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(Messages(got->events), (std::vector<std::string>{"fine", "now"}));

  // With a retention of 1 day, an older event is expired (and "fine" is hidden).
  ASSERT_TRUE(store_->SetRetention("g", 1).ok());
  r = store_->PutEvents("g", "s", {{now - day - 1000, "expired"}, {now - day + 1000, "kept"}});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->expired_end_index, 0);
  EXPECT_EQ(r->accepted, 1);
}

TEST_F(LogStoreTest, GetEventsPagesBothWaysAcrossSegmentsAndTheHead) {
  ASSERT_TRUE(store_->CreateGroup("g", {}).ok());
  ASSERT_TRUE(store_->CreateStream("g", "s").ok());
  ASSERT_TRUE(store_->CreateStream("g", "other").ok());
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(store_->PutEvents("g", "s", {{kT0 + i, "e" + std::to_string(i)}}).ok());
    ASSERT_TRUE(store_->PutEvents("g", "other", {{kT0 + i, "o" + std::to_string(i)}}).ok());
    if (i == 3 || i == 6) {
      ASSERT_TRUE(store_->Flush().ok());  // segments, then the head
    }
  }
  GetQuery q = Query("g", "s");
  q.limit = 4;
  auto page = store_->GetEvents(q);  // the newest first page
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(Messages(page->events), (std::vector<std::string>{"e6", "e7", "e8", "e9"}));
  q.before = page->first;
  page = store_->GetEvents(q);
  EXPECT_EQ(Messages(page->events), (std::vector<std::string>{"e2", "e3", "e4", "e5"}));
  q.before.reset();
  q.start_from_head = true;
  page = store_->GetEvents(q);
  EXPECT_EQ(Messages(page->events), (std::vector<std::string>{"e0", "e1", "e2", "e3"}));
  q.after = page->last;
  page = store_->GetEvents(q);
  EXPECT_EQ(Messages(page->events), (std::vector<std::string>{"e4", "e5", "e6", "e7"}));
  q.after = page->last;
  page = store_->GetEvents(q);
  EXPECT_EQ(Messages(page->events), (std::vector<std::string>{"e8", "e9"}));
  q.after = page->last;
  page = store_->GetEvents(q);
  EXPECT_TRUE(page->events.empty());
  EXPECT_EQ(page->last.id, q.after->id) << "at the end the token stays";

  GetQuery range = Query("g", "s", /*from_head=*/true);
  range.start_ms = kT0 + 2;
  range.end_ms = kT0 + 5;
  EXPECT_EQ(Messages(store_->GetEvents(range)->events),
            (std::vector<std::string>{"e2", "e3", "e4"}));

  auto streams = store_->DescribeStreams("g", "", /*by_last_event=*/true, /*descending=*/true);
  ASSERT_TRUE(streams.ok());
  ASSERT_EQ(streams->size(), 2u);
  EXPECT_EQ((*streams)[0].first_event_ms, kT0);
  EXPECT_EQ((*streams)[0].last_event_ms, kT0 + 9);
}

TEST_F(LogStoreTest, FilterEventsAcrossStreamsWithPatternsAndTokens) {
  ASSERT_TRUE(store_->CreateGroup("/vigil/web", {}).ok());
  ASSERT_TRUE(store_->CreateStream("/vigil/web", "web-1").ok());
  ASSERT_TRUE(store_->CreateStream("/vigil/web", "web-2").ok());
  ASSERT_TRUE(store_
                  ->PutEvents("/vigil/web", "web-1",
                              Batch(kT0, {"INFO up", "ERROR disk", "INFO ok", "ERROR net"}))
                  .ok());
  ASSERT_TRUE(store_->Flush().ok());
  ASSERT_TRUE(
      store_->PutEvents("/vigil/web", "web-2", Batch(kT0 + 1, {"ERROR db", "WARN slow"})).ok());

  FilterQuery q;
  q.group = "/vigil/web";
  q.pattern = *FilterPattern::Parse("ERROR");
  auto r = store_->FilterEvents(q);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(Messages(r->events), (std::vector<std::string>{"ERROR disk", "ERROR db", "ERROR net"}));
  EXPECT_EQ(r->events[1].stream, "web-2");
  EXPECT_FALSE(r->next.has_value());
  EXPECT_EQ(r->searched_streams, (std::vector<std::string>{"web-1", "web-2"}));

  q.limit = 2;
  r = store_->FilterEvents(q);
  EXPECT_EQ(Messages(r->events), (std::vector<std::string>{"ERROR disk", "ERROR db"}));
  ASSERT_TRUE(r->next.has_value());
  q.after = r->next;
  r = store_->FilterEvents(q);
  EXPECT_EQ(Messages(r->events), (std::vector<std::string>{"ERROR net"}));

  FilterQuery one;
  one.group = "/vigil/web";
  one.streams = {"web-2"};
  one.pattern = *FilterPattern::Parse("?WARN ?INFO");
  EXPECT_EQ(Messages(store_->FilterEvents(one)->events), std::vector<std::string>{"WARN slow"});
  one.streams.clear();
  one.start_ms = kT0 + 2;
  one.end_ms = kT0 + 2;
  EXPECT_EQ(Messages(store_->FilterEvents(one)->events),
            (std::vector<std::string>{"INFO ok", "WARN slow"}));
}

TEST_F(LogStoreTest, AcknowledgedEventsSurviveACrashAndATornTail) {
  ASSERT_TRUE(store_->CreateGroup("g", {}).ok());
  ASSERT_TRUE(store_->CreateStream("g", "s").ok());
  ASSERT_TRUE(store_->PutEvents("g", "s", Batch(kT0, {"a", "b"})).ok());
  ASSERT_TRUE(store_->Flush().ok());
  ASSERT_TRUE(store_->PutEvents("g", "s", Batch(kT0 + 2, {"c", "d"})).ok());
  const std::string crashed = Snapshot();  // no Close: events c and d only in the log

  // A torn record after the last whole one.
  std::string last;
  for (const auto& entry : std::filesystem::directory_iterator(crashed + "/logs/wal")) {
    last = std::max(last, entry.path().string());
  }
  ASSERT_FALSE(last.empty());
  std::ofstream(last, std::ios::app | std::ios::binary)
      << std::string("\x42\x13\x00\x07garbage", 11);

  Open(crashed);
  GetQuery q = Query("g", "s", /*from_head=*/true);
  auto got = store_->GetEvents(q);
  ASSERT_TRUE(got.ok()) << got.status().message();
  EXPECT_EQ(Messages(got->events), (std::vector<std::string>{"a", "b", "c", "d"}));
  // Ids stay unique after the restart.
  ASSERT_TRUE(store_->PutEvents("g", "s", Batch(kT0 + 4, {"e"})).ok());
  got = store_->GetEvents(q);
  ASSERT_EQ(got->events.size(), 5u);
  EXPECT_GT(got->events[4].id, got->events[3].id);
  // A cut after the restart, then another restart: nothing twice.
  ASSERT_TRUE(store_->Flush().ok());
  Open(crashed);
  EXPECT_EQ(store_->GetEvents(q)->events.size(), 5u);
  storage::RemoveAll(crashed).IgnoreError();
}

TEST_F(LogStoreTest, ADamagedSegmentIsSetAsideNotFatal) {
  ASSERT_TRUE(store_->CreateGroup("g", {}).ok());
  ASSERT_TRUE(store_->CreateStream("g", "s").ok());
  ASSERT_TRUE(store_->PutEvents("g", "s", Batch(kT0, {"a"})).ok());
  ASSERT_TRUE(store_->Flush().ok());
  ASSERT_TRUE(store_->PutEvents("g", "s", Batch(kT0 + 1, {"b"})).ok());
  ASSERT_TRUE(store_->Flush().ok());
  store_.reset();
  std::vector<std::string> segments;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir_ + "/logs/groups")) {
    if (e.path().extension() == ".seg") segments.push_back(e.path().string());
  }
  ASSERT_EQ(segments.size(), 2u);
  std::sort(segments.begin(), segments.end());
  std::filesystem::resize_file(segments[0], std::filesystem::file_size(segments[0]) - 3);
  Open(dir_);
  GetQuery q = Query("g", "s", /*from_head=*/true);
  EXPECT_EQ(Messages(store_->GetEvents(q)->events), std::vector<std::string>{"b"});
  EXPECT_TRUE(std::filesystem::exists(segments[0] + ".damaged"));
}

TEST_F(LogStoreTest, RetentionDropsOldSegments) {
  ASSERT_TRUE(store_->CreateGroup("g", {}).ok());
  ASSERT_TRUE(store_->CreateStream("g", "s").ok());
  ASSERT_TRUE(store_->PutEvents("g", "s", Batch(kT0, {"old"})).ok());
  ASSERT_TRUE(store_->Flush().ok());
  clock_.Set(kT0 + 3 * 86'400'000);
  ASSERT_TRUE(store_->PutEvents("g", "s", Batch(kT0 + 3 * 86'400'000, {"new"})).ok());
  ASSERT_TRUE(store_->Flush().ok());
  const uint64_t before = (*store_->DescribeGroups("g", "", 0))[0].stored_bytes;
  ASSERT_TRUE(store_->SetRetention("g", 1).ok());
  GetQuery q = Query("g", "s", /*from_head=*/true);
  EXPECT_EQ(Messages(store_->GetEvents(q)->events), std::vector<std::string>{"new"});
  EXPECT_LT((*store_->DescribeGroups("g", "", 0))[0].stored_bytes, before);
}

TEST_F(LogStoreTest, MetricFiltersTurnMatchingEventsIntoSamples) {
  ASSERT_TRUE(store_->CreateGroup("/vigil/web", {}).ok());
  ASSERT_TRUE(store_->CreateStream("/vigil/web", "web-1").ok());
  MetricFilter f;
  f.group = "/vigil/web";
  f.name = "latency";
  f.pattern = "{ $.latency > 0 }";
  MetricTransformation t;
  t.metric_name = "Latency";
  t.metric_namespace = "Shop";
  t.metric_value = "$.latency";
  t.dimensions = {{"Path", "$.path"}};
  t.unit = "Milliseconds";
  f.transformations.push_back(t);
  ASSERT_TRUE(store_->PutMetricFilter(f).ok());
  f.name = "bad";
  f.pattern = "{ $.latency > }";
  EXPECT_EQ(store_->PutMetricFilter(f).code(), StatusCode::kInvalidArgument);
  ASSERT_TRUE(store_
                  ->PutEvents("/vigil/web", "web-1",
                              Batch(kT0, {R"({"latency": 12, "path": "/cart"})", "plain text",
                                          R"({"latency": 30, "path": "/pay"})"}))
                  .ok());
  ASSERT_EQ(samples_.size(), 2u);
  EXPECT_EQ(samples_[0].value, 12);
  EXPECT_EQ(samples_[0].dimensions.at("Path"), "/cart");
  EXPECT_EQ(samples_[1].metric_namespace, "Shop");
  EXPECT_EQ(samples_[1].timestamp_ms, kT0 + 2);
  Open(dir_);
  auto filters = store_->DescribeMetricFilters("/vigil/web", "");
  ASSERT_TRUE(filters.ok());
  ASSERT_EQ(filters->size(), 1u);
  EXPECT_EQ((*filters)[0].transformations[0].unit, "Milliseconds");
  EXPECT_EQ((*store_->DescribeGroups("/vigil/web", "", 0))[0].metric_filter_count, 1);
  ASSERT_TRUE(store_->DeleteMetricFilter("/vigil/web", "latency").ok());
  EXPECT_EQ(store_->DeleteMetricFilter("/vigil/web", "latency").code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace vigil::logs
