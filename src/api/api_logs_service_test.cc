// The captured awscli Logs requests (compat/awscli/requests/logs.*) replayed, in the order they
// were made, against a real log store: each is answered as the CLI expects, and what they
// stored reads back (Unicode escapes and astral characters included).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "api/api.h"
#include "api/testing/fixtures.h"
#include "api/testing/service_harness.h"
#include "logs/logs.h"
#include "state/state.h"

namespace vigil::api {
namespace {

using Json = nlohmann::json;

class LogsServiceTest : public testing::ServiceHarness {
 protected:
  void SetUp() override {
    ServiceHarness::SetUp();
    auto state = state::OpenSqliteStore(dir_ + "/state.db");
    ASSERT_TRUE(state.ok()) << state.status().ToString();
    state_ = std::move(*state);
    logs::Options o;
    o.dir = dir_ + "/logs";
    o.state = state_.get();
    o.clock = &clock_;
    o.logger = &NullLogger();
    o.background = false;
    auto store = logs::Store::Open(std::move(o));
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(*store);
    // The captures were signed on 2026-11-25: replay without the skew check.
    lenient_ = std::make_unique<auth::SigV4Verifier>(&keys_, &clock_,
                                                     auth::VerifierOptions{.max_skew_ms = 0});
    logs_ = std::make_unique<LogsService>(store_.get(), lenient_.get(), &NullLogger(),
                                          LogsOptions{});
  }
  void TearDown() override {
    logs_.reset();
    store_.reset();
    state_.reset();
    ServiceHarness::TearDown();
  }
  http::Response Replay(const std::string& name) {
    auto f = testing::LoadHttpFixture(testing::CompatDir() + "/requests/" + name);
    EXPECT_TRUE(f.ok()) << f.status().ToString();
    if (!f.ok()) return {};
    EXPECT_TRUE(LogsService::Handles(testing::ToServerRequest({f->method, f->target, f->headers,
                                                                f->body})));
    return logs_->Handle(testing::ToServerRequest({f->method, f->target, f->headers, f->body}));
  }

  std::unique_ptr<state::Store> state_;
  std::unique_ptr<logs::Store> store_;
  std::unique_ptr<auth::SigV4Verifier> lenient_;
  std::unique_ptr<LogsService> logs_;
};

TEST_F(LogsServiceTest, CapturedCliRequestsReplay) {
  if (testing::CompatDir().empty()) GTEST_SKIP() << "compat/awscli fixtures not found";
  for (const char* name :
       {"logs.CreateLogGroup.1.http", "logs.CreateLogGroup.2.http", "logs.CreateLogStream.1.http",
        "logs.PutLogEvents.1.http", "logs.PutLogEvents.2.http", "logs.PutLogEvents.3.http"}) {
    const http::Response r = Replay(name);
    EXPECT_EQ(r.status, 200) << name << ": " << r.body;
    EXPECT_EQ(testing::HeaderOf(r, "Content-Type"), "application/x-amz-json-1.1");
  }
  http::Response again = Replay("logs.CreateLogGroup.1.http");
  EXPECT_EQ(again.status, 400);
  EXPECT_EQ(Json::parse(again.body)["__type"], "ResourceAlreadyExistsException");

  http::Response got = Replay("logs.GetLogEvents.1.http");
  ASSERT_EQ(got.status, 200) << got.body;
  const Json events = Json::parse(got.body)["events"];
  ASSERT_EQ(events.size(), 4u) << got.body;
  EXPECT_EQ(events[1]["message"], "ERROR h\u00e9llo \u2713 \"q\"\n");
  EXPECT_EQ(events[3]["message"], "chart \U0001F4C8 ok");

  http::Response filtered = Replay("logs.FilterLogEvents.1.http");
  ASSERT_EQ(filtered.status, 200) << filtered.body;
  const Json f = Json::parse(filtered.body);
  ASSERT_EQ(f["events"].size(), 1u) << filtered.body;
  EXPECT_EQ(f["events"][0]["logStreamName"], "web-1");

  http::Response groups = Replay("logs.DescribeLogGroups.1.http");
  ASSERT_EQ(groups.status, 200) << groups.body;
  const Json g = Json::parse(groups.body)["logGroups"];
  ASSERT_EQ(g.size(), 2u) << groups.body;
  EXPECT_EQ(g[0]["arn"], "arn:aws:logs:us-east-1:000000000000:log-group:/my/app:*");

  http::Response streams = Replay("logs.DescribeLogStreams.1.http");
  ASSERT_EQ(streams.status, 200) << streams.body;
  EXPECT_EQ(Json::parse(streams.body)["logStreams"][0]["lastEventTimestamp"], 1736899203000);

  EXPECT_EQ(Replay("logs.DeleteLogGroup.1.http").status, 200);
  http::Response gone = Replay("logs.GetLogEvents.1.http");
  EXPECT_EQ(gone.status, 400);
  EXPECT_EQ(Json::parse(gone.body)["__type"], "ResourceNotFoundException");
}

TEST_F(LogsServiceTest, UnknownOperationsAndBadBodiesAreLogsErrors) {
  testutil::HttpRequest r{"POST", "/", {{"X-Amz-Target", "Logs_20140328.StartQuery"},
                                        {"Content-Type", "application/x-amz-json-1.1"}}, "{}"};
  http::Response resp = Send([&](const http::Request& q) { return logs_->Handle(q); }, r, true,
                             testing::kSecretKey, "logs");
  EXPECT_EQ(resp.status, 400);
  EXPECT_EQ(Json::parse(resp.body)["__type"], "UnknownOperationException");
  r.headers[0].second = "Logs_20140328.CreateLogGroup";
  r.body = "[1, 2]";
  resp = Send([&](const http::Request& q) { return logs_->Handle(q); }, r, true,
              testing::kSecretKey, "logs");
  EXPECT_EQ(Json::parse(resp.body)["__type"], "SerializationException");
  r.body = "{}";
  resp = Send([&](const http::Request& q) { return logs_->Handle(q); }, r, true,
              testing::kSecretKey, "logs");
  EXPECT_EQ(Json::parse(resp.body)["__type"], "InvalidParameterException");
  EXPECT_NE(Json::parse(resp.body)["message"].get<std::string>().find("logGroupName"),
            std::string::npos);
}

}  // namespace
}  // namespace vigil::api
