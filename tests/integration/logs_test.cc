// CloudWatch Logs end to end: both aws CLIs manage groups and streams, put, get and filter
// events (filter patterns included), set retention, tags and metric filters on a real server;
// the supervised instances' output lands in /vigil/<app>, searchable with
// `aws logs filter-log-events` and `vigil logs tail`, and survives a restart.
#include <gtest/gtest.h>

#include <chrono>
#include <set>
#include <thread>

#include "tests/integration/assertions.h"
#include "tests/integration/vigil_server.h"

namespace vigil::integration {
namespace {

using namespace std::chrono_literals;
using Json = nlohmann::json;

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

class LogsTest : public ServerTest {
 protected:
  AwsResult Logs(std::vector<std::string> args) {
    args.insert(args.begin(), "logs");
    return server_.RunAws(GetParam(), args);
  }
  std::vector<std::string> Messages(const Json& events) {
    std::vector<std::string> out;
    for (const Json& e : events) out.push_back(e.value("message", ""));
    return out;
  }
};

TEST_P(LogsTest, GroupsStreamsEventsAndFilterPatterns) {
  ASSERT_TRUE(
      AwsOk(Logs({"create-log-group", "--log-group-name", "/shop/api", "--tags", "team=sre"})));
  EXPECT_TRUE(AwsError(GetParam(), Logs({"create-log-group", "--log-group-name", "/shop/api"}),
                       "ResourceAlreadyExistsException"));
  ASSERT_TRUE(AwsOk(
      Logs({"create-log-stream", "--log-group-name", "/shop/api", "--log-stream-name", "api-1"})));
  EXPECT_TRUE(
      AwsError(GetParam(),
               Logs({"put-log-events", "--log-group-name", "/shop/api", "--log-stream-name", "nope",
                     "--log-events", "timestamp=" + std::to_string(NowMs()) + ",message=x"}),
               "ResourceNotFoundException"));

  const int64_t t = NowMs() - 10'000;
  const Json events = {
      {{"timestamp", t}, {"message", "INFO started on :8080"}},
      {{"timestamp", t + 1}, {"message", R"({"level":"error","latency":734,"path":"/pay"})"}},
      {{"timestamp", t + 2}, {"message", "ERROR payment declined for caf\u00e9 \u2713"}},
      {{"timestamp", t + 3}, {"message", "10.0.0.7 GET /cart 503 12"}},
  };
  AwsResult put = Logs({"put-log-events", "--log-group-name", "/shop/api", "--log-stream-name",
                        "api-1", "--log-events", events.dump()});
  ASSERT_TRUE(AwsOk(put));
  EXPECT_TRUE(put.Json().contains("nextSequenceToken")) << put.out;

  AwsResult got = Logs({"get-log-events", "--log-group-name", "/shop/api", "--log-stream-name",
                        "api-1", "--start-from-head"});
  ASSERT_TRUE(AwsOk(got));
  ASSERT_EQ(got.Json()["events"].size(), 4u) << got.out;
  EXPECT_EQ(got.Json()["events"][2]["message"], "ERROR payment declined for caf\u00e9 \u2713");
  EXPECT_TRUE(got.Json()["nextForwardToken"].get<std::string>().starts_with("f/"));

  struct FilterCase {
    std::string pattern;
    std::vector<std::string> want;
  } cases[] = {
      {"ERROR", {"ERROR payment declined for caf\u00e9 \u2713"}},
      {"?started ?declined",
       {"INFO started on :8080", "ERROR payment declined for caf\u00e9 \u2713"}},
      {R"({ $.latency > 500 })", {R"({"level":"error","latency":734,"path":"/pay"})"}},
      {"[ip, method, path, status = 5*, ms]", {"10.0.0.7 GET /cart 503 12"}},
  };
  for (const FilterCase& c : cases) {
    AwsResult f =
        Logs({"filter-log-events", "--log-group-name", "/shop/api", "--filter-pattern", c.pattern});
    ASSERT_TRUE(AwsOk(f)) << c.pattern;
    EXPECT_EQ(Messages(f.Json()["events"]), c.want) << c.pattern << "\n" << f.out;
  }
  EXPECT_TRUE(AwsError(GetParam(),
                       Logs({"filter-log-events", "--log-group-name", "/shop/api",
                             "--filter-pattern", "{ $.latency > }"}),
                       "InvalidParameterException"));

  ASSERT_TRUE(AwsOk(Logs(
      {"put-retention-policy", "--log-group-name", "/shop/api", "--retention-in-days", "14"})));
  AwsResult groups = Logs({"describe-log-groups", "--log-group-name-prefix", "/shop"});
  ASSERT_TRUE(AwsOk(groups));
  ASSERT_EQ(groups.Json()["logGroups"].size(), 1u) << groups.out;
  EXPECT_EQ(groups.Json()["logGroups"][0]["retentionInDays"], 14);
  EXPECT_TRUE(
      groups.Json()["logGroups"][0]["arn"].get<std::string>().ends_with(":log-group:/shop/api:*"));
  AwsResult streams = Logs({"describe-log-streams", "--log-group-name", "/shop/api", "--order-by",
                            "LastEventTime", "--descending"});
  ASSERT_TRUE(AwsOk(streams));
  EXPECT_EQ(streams.Json()["logStreams"][0]["lastEventTimestamp"], t + 3) << streams.out;

  AwsResult tags = Logs({"list-tags-log-group", "--log-group-name", "/shop/api"});
  ASSERT_TRUE(AwsOk(tags));
  EXPECT_EQ(tags.Json()["tags"], Json({{"team", "sre"}}));

  // Paging with the tokens get-log-events hands out: two events a page, oldest first.
  AwsResult page = Logs({"get-log-events", "--log-group-name", "/shop/api", "--log-stream-name",
                         "api-1", "--start-from-head", "--limit", "2"});
  ASSERT_TRUE(AwsOk(page));
  ASSERT_EQ(page.Json()["events"].size(), 2u) << page.out;
  AwsResult next =
      Logs({"get-log-events", "--log-group-name", "/shop/api", "--log-stream-name", "api-1",
            "--limit", "2", "--next-token", page.Json()["nextForwardToken"].get<std::string>()});
  ASSERT_TRUE(AwsOk(next));
  EXPECT_EQ(Messages(next.Json()["events"]),
            (std::vector<std::string>{"ERROR payment declined for caf\u00e9 \u2713",
                                      "10.0.0.7 GET /cart 503 12"}));

  ASSERT_TRUE(
      AwsOk(Logs({"tag-log-group", "--log-group-name", "/shop/api", "--tags", "env=prod"})));
  EXPECT_EQ(Logs({"list-tags-log-group", "--log-group-name", "/shop/api"}).Json()["tags"],
            Json({{"env", "prod"}, {"team", "sre"}}));
  ASSERT_TRUE(AwsOk(Logs({"untag-log-group", "--log-group-name", "/shop/api", "--tags", "team"})));
  EXPECT_EQ(Logs({"list-tags-log-group", "--log-group-name", "/shop/api"}).Json()["tags"],
            Json({{"env", "prod"}}));
  ASSERT_TRUE(AwsOk(Logs({"delete-retention-policy", "--log-group-name", "/shop/api"})));
  groups = Logs({"describe-log-groups", "--log-group-name-prefix", "/shop"});
  EXPECT_FALSE(groups.Json()["logGroups"][0].contains("retentionInDays")) << groups.out;
  ASSERT_TRUE(AwsOk(
      Logs({"delete-log-stream", "--log-group-name", "/shop/api", "--log-stream-name", "api-1"})));
  EXPECT_TRUE(AwsError(
      GetParam(),
      Logs({"delete-log-stream", "--log-group-name", "/shop/api", "--log-stream-name", "api-1"}),
      "ResourceNotFoundException"));

  ASSERT_TRUE(AwsOk(Logs({"delete-log-group", "--log-group-name", "/shop/api"})));
  EXPECT_TRUE(AwsError(
      GetParam(),
      Logs({"get-log-events", "--log-group-name", "/shop/api", "--log-stream-name", "api-1"}),
      "ResourceNotFoundException"));
}

TEST_P(LogsTest, MetricFiltersPublishMetricsFromLogEvents) {
  ASSERT_TRUE(AwsOk(Logs({"create-log-group", "--log-group-name", "/shop/web"})));
  ASSERT_TRUE(AwsOk(
      Logs({"create-log-stream", "--log-group-name", "/shop/web", "--log-stream-name", "web-1"})));
  const Json transformation = {{{"metricName", "CheckoutLatency"},
                                {"metricNamespace", "Shop/Logs"},
                                {"metricValue", "$.latency"},
                                {"unit", "Milliseconds"}}};
  ASSERT_TRUE(AwsOk(Logs({"put-metric-filter", "--log-group-name", "/shop/web", "--filter-name",
                          "latency", "--filter-pattern", R"({ $.path = "/checkout" })",
                          "--metric-transformations", transformation.dump()})));
  AwsResult described = Logs({"describe-metric-filters", "--log-group-name", "/shop/web"});
  ASSERT_TRUE(AwsOk(described));
  EXPECT_EQ(described.Json()["metricFilters"][0]["filterName"], "latency") << described.out;
  EXPECT_TRUE(AwsError(
      GetParam(),
      Logs({"delete-metric-filter", "--log-group-name", "/shop/web", "--filter-name", "nope"}),
      "ResourceNotFoundException"));

  const int64_t t = NowMs() - 5'000;
  const Json events = {
      {{"timestamp", t}, {"message", R"({"path":"/checkout","latency":120})"}},
      {{"timestamp", t + 1}, {"message", R"({"path":"/cart","latency":5})"}},
      {{"timestamp", t + 2}, {"message", R"({"path":"/checkout","latency":80})"}},
  };
  ASSERT_TRUE(AwsOk(Logs({"put-log-events", "--log-group-name", "/shop/web", "--log-stream-name",
                          "web-1", "--log-events", events.dump()})));
  StatsQuery q{.ns = "Shop/Logs",
               .metric = "CheckoutLatency",
               .start = t / 60'000 * 60 - 60,
               .end = t / 60'000 * 60 + 120,
               .percentiles = false};
  Json dp;
  for (auto deadline = std::chrono::steady_clock::now() + 10s;
       std::chrono::steady_clock::now() < deadline; std::this_thread::sleep_for(100ms)) {
    AwsResult stats = server_.RunAws(GetParam(), GetStatsArgs(q));
    ASSERT_TRUE(AwsOk(stats));
    dp = stats.Json()["Datapoints"];
    if (!dp.empty() && dp[0].value("SampleCount", 0.0) >= 2) break;
  }
  ASSERT_EQ(dp.size(), 1u) << dp.dump();
  EXPECT_EQ(dp[0]["SampleCount"], 2.0);
  EXPECT_EQ(dp[0]["Sum"], 200.0);
  EXPECT_EQ(dp[0]["Unit"], "Milliseconds");

  ASSERT_TRUE(AwsOk(
      Logs({"delete-metric-filter", "--log-group-name", "/shop/web", "--filter-name", "latency"})));
  described = Logs({"describe-metric-filters", "--log-group-name", "/shop/web"});
  ASSERT_TRUE(AwsOk(described));
  EXPECT_TRUE(described.Json()["metricFilters"].empty()) << described.out;
}

INSTANTIATE_TEST_SUITE_P(BothClis, LogsTest, testing::ValuesIn(kBothClis), CliParamName);

// The instances' stdout and stderr, a line an event, in /vigil/<app> with a stream per
// instance; durable across a restart of the server.
TEST(LogsOutputTest, InstanceOutputIsSearchableAndSurvivesARestart) {
  const Cli cli = CliPath(Cli::kV2Query).empty() ? Cli::kV1Json : Cli::kV2Query;
  if (CliPath(cli).empty()) GTEST_SKIP() << "no aws CLI";
  VigilServer server;
  const std::string config = server.WriteScratchFile(
      "vigil.yaml",
      "apps:\n"
      "  - name: web\n"
      "    command: [\"/bin/sh\", \"-c\", \"echo 'INFO warming cache'; echo 'ERROR cache "
      "unreachable' 1>&2; exec " VIGIL_TEST_APP
      " --port ${PORT}\"]\n"
      "    instances: 2\n"
      "    health_check: { path: /health, interval: 1s }\n");
  ASSERT_OK(server.Start({"--config", config}));

  Json events;
  for (auto deadline = std::chrono::steady_clock::now() + 15s;
       std::chrono::steady_clock::now() < deadline; std::this_thread::sleep_for(200ms)) {
    AwsResult r = server.RunAws(cli, {"logs", "filter-log-events", "--log-group-name", "/vigil/web",
                                      "--filter-pattern", "ERROR"});
    if (r.exit_code == 0 && r.Json()["events"].size() >= 2) {
      events = r.Json()["events"];
      break;
    }
  }
  ASSERT_EQ(events.size(), 2u) << server.Logs();
  std::set<std::string> streams;
  for (const Json& e : events) {
    EXPECT_EQ(e["message"], "ERROR cache unreachable");
    streams.insert(e["logStreamName"].get<std::string>());
  }
  EXPECT_EQ(streams, (std::set<std::string>{"web-1", "web-2"}));

  AwsResult tail = server.RunVigil({"logs", "tail", "web", "--filter", "?INFO ?ERROR"});
  ASSERT_EQ(tail.exit_code, 0) << tail.Describe();
  EXPECT_NE(tail.out.find("web-1 INFO warming cache"), std::string::npos) << tail.out;
  EXPECT_NE(tail.out.find("web-2 ERROR cache unreachable"), std::string::npos) << tail.out;

  ASSERT_OK(server.Restart());
  AwsResult after = server.RunAws(cli, {"logs", "get-log-events", "--log-group-name", "/vigil/web",
                                        "--log-stream-name", "web-1", "--start-from-head"});
  ASSERT_TRUE(AwsOk(after));
  std::vector<std::string> messages;
  const Json stored = after.Json();
  for (const Json& e : stored["events"]) messages.push_back(e["message"]);
  // The first run's two lines, then the second run's (the instance started again).
  ASSERT_GE(messages.size(), 2u) << after.out;
  EXPECT_EQ(messages[0], "INFO warming cache");
  EXPECT_EQ(messages[1], "ERROR cache unreachable");
}

}  // namespace
}  // namespace vigil::integration
