// Canaries end to end: a real server supervising vigil_test_app behind its load balancer, with
// a scheduled canary and an on-demand one; `vigil canaries run` and `list` with their exit
// codes, GET /v1/canaries[/{name}], and the runs' Vigil/Canaries metrics through ListMetrics and
// GetMetricStatistics (the aws CLI).
#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <set>

#include "tests/integration/assertions.h"
#include "tests/integration/vigil_server.h"
#include "tests/testutil/await.h"

namespace vigil::integration {
namespace {

using namespace std::chrono_literals;
using Json = nlohmann::json;

// Polls every 100 ms for up to 20 s (a run of the aws CLI takes most of a second).
bool Await(const std::function<bool()>& pred) { return testutil::Await(pred, 20s, 100ms); }

class CanariesTest : public testing::Test {
 protected:
  void SetUp() override {
    const std::string config = server_.WriteScratchFile(
        "vigil.yaml",
        "apps:\n"
        "  - name: web\n"
        "    command: [\"" VIGIL_TEST_APP
        "\", \"--port\", \"${PORT}\"]\n"
        "    instances: 2\n"
        "    listen: 127.0.0.1:0\n"
        "    health_check: { path: /health, interval: 200ms }\n"
        "canaries:\n"
        "  - name: web-home\n"
        "    app: web\n"
        "    interval: 1s\n"
        "    timeout: 2s\n"
        "    steps:\n"
        "      - { path: /, status: 200, body_contains: 'ok ', max_latency: 1s }\n"
        "      - { name: health, path: /health, status: 200 }\n"
        "  - name: web-broken\n"
        "    app: web\n"
        "    interval: 0\n"
        "    steps:\n"
        "      - { path: /status/503 }\n");
    ASSERT_OK(server_.Start({"--config", config}));
  }
  void TearDown() override {
    if (server_.running()) EXPECT_OK(server_.Stop());
  }

  Json Canary(const std::string& name) {
    auto r = server_.GetJson("/v1/canaries/" + name);
    return r.ok() && r->first == 200 ? r->second : Json();
  }

  VigilServer server_;
};

TEST_F(CanariesTest, RunListAndScheduledRunsThroughTheCliAndRestApi) {
  // The instances start with the server: the first runs may find none healthy yet.
  AwsResult run;
  ASSERT_TRUE(Await([&] {
    run = server_.RunVigil({"canaries", "run", "web-home"});
    return run.exit_code == 0;
  })) << run.Describe()
      << server_.Logs();
  EXPECT_NE(run.out.find("canary web-home passed against http://127.0.0.1:"), std::string::npos)
      << run.out;
  EXPECT_NE(run.out.find("health"), std::string::npos) << run.out;

  AwsResult broken = server_.RunVigil({"canaries", "run", "web-broken", "--output", "json"});
  EXPECT_EQ(broken.exit_code, 1) << broken.Describe();
  const Json failed = broken.Json();
  EXPECT_EQ(failed["ok"], false) << broken.out;
  EXPECT_EQ(failed["trigger"], "manual");
  EXPECT_EQ(failed["failure"], "step 'GET /status/503': status 503, expected 2xx");
  ASSERT_EQ(failed["steps"].size(), 1u);
  EXPECT_EQ(failed["steps"][0]["status"], 503);

  AwsResult unknown = server_.RunVigil({"canaries", "run", "nope"});
  EXPECT_EQ(unknown.exit_code, 2) << unknown.Describe();
  EXPECT_NE(unknown.err.find("no canary named 'nope'"), std::string::npos) << unknown.err;
  EXPECT_EQ(server_.RunVigil({"canaries", "run"}).exit_code, 2);

  AwsResult list = server_.RunVigil({"canaries", "list"});
  ASSERT_EQ(list.exit_code, 0) << list.Describe();
  EXPECT_NE(list.out.find("web-broken"), std::string::npos) << list.out;
  EXPECT_NE(list.out.find("on demand"), std::string::npos) << list.out;

  auto all = server_.GetJson("/v1/canaries");
  ASSERT_OK(all);
  ASSERT_EQ(all->first, 200) << all->second.dump();
  ASSERT_EQ(all->second["canaries"].size(), 2u) << all->second.dump();
  const Json& web_broken = all->second["canaries"][0];
  EXPECT_EQ(web_broken["name"], "web-broken");
  EXPECT_EQ(web_broken["app"], "web");
  EXPECT_EQ(web_broken["url"], nullptr);
  EXPECT_EQ(web_broken["ca_bundle"], nullptr);  // an app canary trusts its listener's certificate
  EXPECT_EQ(web_broken["interval_ms"], 0);
  EXPECT_EQ(web_broken["runs"], 1);
  EXPECT_EQ(web_broken["failures"], 1);
  EXPECT_EQ(web_broken["last"]["ok"], false);

  // Scheduled runs, once a second.
  ASSERT_TRUE(Await([&] {
    const Json c = Canary("web-home");
    return c.is_object() && c["recent"].size() >= 3 && c["recent"][0]["trigger"] == "schedule" &&
           c["recent"][0]["ok"] == true;
  })) << Canary("web-home").dump(2);
  const Json home = Canary("web-home");
  EXPECT_EQ(home["timeout_ms"], 2000);
  ASSERT_EQ(home["steps"].size(), 2u);
  EXPECT_EQ(home["steps"][0]["name"], "GET /");
  EXPECT_EQ(home["steps"][0]["max_latency_ms"], 1000);
  EXPECT_EQ(home["steps"][1]["name"], "health");
  EXPECT_EQ(home["last"], home["recent"][0]);
  auto missing = server_.GetJson("/v1/canaries/nope");
  ASSERT_OK(missing);
  EXPECT_EQ(missing->first, 404);
}

TEST_F(CanariesTest, RunsArePublishedAsVigilCanariesMetrics) {
  const Cli cli = CliPath(Cli::kV2Query).empty() ? Cli::kV1Json : Cli::kV2Query;
  if (CliPath(cli).empty()) GTEST_SKIP() << "no aws CLI";
  AwsResult run = server_.RunVigil({"canaries", "run", "web-broken"});
  ASSERT_EQ(run.exit_code, 1) << run.Describe();

  std::set<std::string> metrics;
  ASSERT_TRUE(Await([&] {
    AwsResult listed =
        server_.RunAws(cli, {"cloudwatch", "list-metrics", "--namespace", "Vigil/Canaries",
                             "--dimensions", "Name=CanaryName,Value=web-broken"});
    metrics.clear();
    for (const Json& m : listed.Json().value("Metrics", Json::array())) {
      metrics.insert(m.value("MetricName", ""));
    }
    return metrics.size() == 3;
  })) << server_.Logs();
  EXPECT_EQ(metrics, (std::set<std::string>{"Duration", "Failed", "SuccessPercent"}));

  const int64_t now = NowSeconds();
  AwsResult stats = server_.RunAws(
      cli, {"cloudwatch", "get-metric-statistics", "--namespace", "Vigil/Canaries", "--metric-name",
            "SuccessPercent", "--dimensions", "Name=CanaryName,Value=web-broken", "--start-time",
            Iso8601(now - 600), "--end-time", Iso8601(now + 60), "--period", "60", "--statistics",
            "Average", "SampleCount"});
  ASSERT_TRUE(AwsOk(stats));
  const std::vector<Stats> points = ParseDatapoints(stats.Json());
  double samples = 0;
  for (const Stats& p : points) {
    samples += p.sample_count.value_or(0);
    EXPECT_EQ(p.average, 0.0) << stats.out;
    EXPECT_EQ(p.unit, "Percent") << stats.out;
  }
  EXPECT_EQ(samples, 1) << stats.out;
}

}  // namespace
}  // namespace vigil::integration
