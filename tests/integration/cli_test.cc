// `vigil metrics list|stats|query` against a real server: tables and JSON, the same numbers
// the aws CLI gets, and errors with their exit codes.
#include <gtest/gtest.h>

#include "tests/integration/assertions.h"
#include "tests/integration/vigil_server.h"

namespace vigil::integration {
namespace {

constexpr char kNs[] = "Vigil/Cli";

class CliTest : public testing::Test {
 protected:
  void SetUp() override {
    if (CliPath(Cli::kV2Query).empty()) GTEST_SKIP() << "aws CLI v2 not found";
    ASSERT_OK(server_.Start());
    // Hosts a and b, Latency 10/20/30 (a) and 40 (b), a few seconds ago.
    t_ = NowSeconds() - 5;
    nlohmann::json datums = nlohmann::json::array();
    for (const auto& [host, values] :
         {std::pair<std::string, std::vector<double>>{"a", {10, 20, 30}}, {"b", {40}}}) {
      datums.push_back({{"MetricName", "Latency"},
                        {"Dimensions", {{{"Name", "Host"}, {"Value", host}}}},
                        {"Timestamp", Iso8601(t_)},
                        {"Values", values},
                        {"Unit", "Milliseconds"}});
    }
    ASSERT_TRUE(AwsOk(server_.RunAws(
        Cli::kV2Query, {"cloudwatch", "put-metric-data", "--namespace", kNs, "--metric-data",
                        "file://" + server_.WriteScratchFile("d.json", datums.dump())})));
  }
  void TearDown() override {
    if (server_.running()) EXPECT_OK(server_.Stop());
  }

  VigilServer server_;
  int64_t t_ = 0;
};

TEST_F(CliTest, ListShowsEveryMetric) {
  AwsResult r = server_.RunVigil({"metrics", "list", "--namespace", kNs});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  EXPECT_NE(r.out.find("NAMESPACE"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Latency  Host=a"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Latency  Host=b"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("2 metrics"), std::string::npos) << r.out;

  r = server_.RunVigil({"metrics", "list", "--dimension", "Host=b", "--output", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  const nlohmann::json doc = r.Json();
  ASSERT_EQ(doc["Metrics"].size(), 1u) << r.out;
  EXPECT_EQ(doc["Metrics"][0]["Dimensions"][0]["Value"], "b");
}

TEST_F(CliTest, StatsTableAndJson) {
  AwsResult r = server_.RunVigil({"metrics", "stats", "--namespace", kNs, "--metric", "Latency",
                                  "--dimension", "Host=a", "--stat", "Average,Maximum,p50",
                                  "--since", "10m"});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  // One period: average 20, maximum 30, median 20.
  EXPECT_NE(r.out.find("TIME"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("  20       30       20   Milliseconds"), std::string::npos) << r.out;

  r = server_.RunVigil({"metrics", "stats", "--namespace", kNs, "--metric", "Latency",
                        "--dimension", "Host=a", "--stat", "Sum", "--start",
                        Iso8601(t_ - 600), "--end", Iso8601(t_ + 60), "--output", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  const nlohmann::json doc = r.Json();
  ASSERT_EQ(doc["Datapoints"].size(), 1u) << r.out;
  EXPECT_EQ(doc["Datapoints"][0]["Sum"].get<double>(), 60.0);
}

TEST_F(CliTest, QueryRunsInsightsQueries) {
  AwsResult r = server_.RunVigil(
      {"metrics", "query",
       std::string("SELECT MAX(Latency) FROM \"") + kNs + "\" GROUP BY Host ORDER BY MAX() DESC",
       "--since", "10m"});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  // Columns in the server's order: b (max 40) before a (max 30).
  EXPECT_NE(r.out.find("TIME                  b   a"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("  40  30"), std::string::npos) << r.out;

  r = server_.RunVigil({"metrics", "query",
                        std::string("SELECT SUM(Latency) FROM \"") + kNs + "\"", "--since", "10m",
                        "--output", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  const nlohmann::json doc = r.Json();
  ASSERT_EQ(doc["Results"].size(), 1u) << r.out;
  EXPECT_EQ(doc["Results"][0]["Values"][0].get<double>(), 100.0);
}

TEST_F(CliTest, ErrorsAndExitCodes) {
  // The server's refusal: exit 1, its code and message.
  AwsResult r = server_.RunVigil({"metrics", "query", "SELECT MEDIAN(x) FROM n"});
  EXPECT_EQ(r.exit_code, 1) << r.Describe();
  EXPECT_NE(r.err.find("InvalidParameterValue"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("position 8"), std::string::npos) << r.err;
  // Bad usage: exit 2 with the usage text.
  r = server_.RunVigil({"metrics", "stats", "--metric", "Latency"});
  EXPECT_EQ(r.exit_code, 2) << r.Describe();
  EXPECT_NE(r.err.find("stats needs --namespace and --metric"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("usage: vigil metrics"), std::string::npos) << r.err;
  r = server_.RunVigil({"metrics", "list", "--output", "yaml"});
  EXPECT_EQ(r.exit_code, 2) << r.Describe();
}

}  // namespace
}  // namespace vigil::integration
