// put-metric-data in every shape the captured CLI fixtures use, read back with
// get-metric-statistics (and get-metric-data for the 150-datum batch), with both clients.
#include <gtest/gtest.h>

#include "tests/integration/assertions.h"
#include "tests/integration/vigil_server.h"

namespace vigil::integration {
namespace {

constexpr char kNs[] = "Vigil/PutGet";

class PutGetTest : public ServerTest {
 protected:
  AwsResult Put(std::vector<std::string> args) {
    args.insert(args.begin(), {"cloudwatch", "put-metric-data", "--namespace", kNs});
    return Aws(args);
  }
  // The single datapoint of a query (fails when there is not exactly one).
  std::vector<Stats> Query(const StatsQuery& q) {
    AwsResult r = Aws(GetStatsArgs(q));
    EXPECT_TRUE(AwsOk(r));
    return ParseDatapoints(r.Json());
  }

};

TEST_P(PutGetTest, PutsEveryFixtureShapeAndReadsExactStatistics) {
  const int64_t now = NowSeconds();
  const int64_t t = FloorMinute(now) - 600;  // explicit timestamps: ten minutes ago
  const int64_t start = FloorMinute(now) - 1800, end = FloorMinute(now) + 600;

  // The shapes of compat/awscli/requests/cloudwatch.PutMetricData.{1..8}.http.
  ASSERT_TRUE(AwsOk(Put({"--metric-name", "Single", "--value", "12.5"})));
  ASSERT_TRUE(AwsOk(
      Put({"--metric-name", "Latency", "--value", "3", "--dimensions", "Host=web-1,Env=prod"})));
  ASSERT_TRUE(AwsOk(Put({"--metric-name", "StatSet", "--statistic-values",
                         "Sum=100,Minimum=1,Maximum=50,SampleCount=10"})));
  ASSERT_TRUE(AwsOk(Put({"--metric-data", R"([{"MetricName": "Dist", "Values": [12.5, 30, 7], )"
                                          R"("Counts": [2, 1, 5], "Unit": "Milliseconds"}])"})));
  ASSERT_TRUE(
      AwsOk(Put({"--metric-name", "HighRes", "--value", "1", "--storage-resolution", "1"})));
  ASSERT_TRUE(AwsOk(Put({"--metric-name", "WithUnit", "--value", "250", "--unit", "Milliseconds",
                         "--timestamp", Iso8601(t)})));
  nlohmann::json two = nlohmann::json::array(
      {{{"MetricName", "RequestCount"},
        {"Timestamp", Iso8601(t + 30)},
        {"Value", 42},
        {"Unit", "Count"},
        {"Dimensions",
         {{{"Name", "Service"}, {"Value", "api"}},
          {{"Name", "Path"}, {"Value", "/v1/items list&x=1"}}}}},
       {{"MetricName", "PairLatency"},
        {"Timestamp", Iso8601(t + 30, 250)},
        {"StatisticValues", {{"SampleCount", 4}, {"Sum", 40}, {"Minimum", 2}, {"Maximum", 20}}},
        {"Unit", "Milliseconds"},
        {"StorageResolution", 1}}});
  ASSERT_TRUE(
      AwsOk(Put({"--metric-data", "file://" + server_.WriteScratchFile("two.json", two.dump())})));
  nlohmann::json big = nlohmann::json::array();
  for (int i = 0; i < 150; ++i) {
    char n[8];
    std::snprintf(n, sizeof n, "%03d", i);
    big.push_back({{"MetricName", std::string("Metric") + n},
                   {"Value", i},
                   {"Dimensions",
                    {{{"Name", "Host"}, {"Value", std::string("web-") + n}},
                     {{"Name", "Env"}, {"Value", "production"}}}}});
  }
  ASSERT_TRUE(
      AwsOk(Put({"--metric-data", "file://" + server_.WriteScratchFile("big.json", big.dump())})));

  {
    SCOPED_TRACE("one value");
    auto d = Query({.ns = kNs, .metric = "Single", .start = start, .end = end});
    ASSERT_EQ(d.size(), 1u);
    ExpectStats(d[0], {1, 12.5, 12.5, 12.5, "None"});
    EXPECT_TRUE(PercentileIn(d[0], "p50", 12.5, 12.5));
    EXPECT_TRUE(PercentileIn(d[0], "p99", 12.5, 12.5));
    EXPECT_LE(std::abs(d[0].timestamp - FloorMinute(now)), 120);
  }
  {
    SCOPED_TRACE("dimensions: exact match only");
    auto d = Query({.ns = kNs,
                    .metric = "Latency",
                    .dims = {{"Host", "web-1"}, {"Env", "prod"}},
                    .start = start,
                    .end = end});
    ASSERT_EQ(d.size(), 1u);
    ExpectStats(d[0], {1, 3, 3, 3, "None"});
    // Dimension order does not matter; a subset of the dimensions is another series.
    d = Query({.ns = kNs,
               .metric = "Latency",
               .dims = {{"Env", "prod"}, {"Host", "web-1"}},
               .start = start,
               .end = end});
    EXPECT_EQ(d.size(), 1u);
    d = Query(
        {.ns = kNs, .metric = "Latency", .dims = {{"Host", "web-1"}}, .start = start, .end = end});
    EXPECT_EQ(d.size(), 0u);
  }
  {
    SCOPED_TRACE("statistic set");
    auto d = Query({.ns = kNs, .metric = "StatSet", .start = start, .end = end});
    ASSERT_EQ(d.size(), 1u);
    ExpectStats(d[0], {10, 100, 1, 50, "None"});
    EXPECT_TRUE(std::isnan(Percentile(d[0], "p50")))
        << "a statistic set has no distribution: " << d[0].extended.dump();
  }
  {
    SCOPED_TRACE("values and counts");
    // 7 x5, 12.5 x2, 30 x1: n 8, sum 90, p50 7 (both middle samples are 7), p99 between the
    // interpolated 28.775 and the top sample 30.
    auto d =
        Query({.ns = kNs, .metric = "Dist", .start = start, .end = end, .unit = "Milliseconds"});
    ASSERT_EQ(d.size(), 1u);
    ExpectStats(d[0], {8, 90, 7, 30, "Milliseconds"});
    EXPECT_TRUE(PercentileIn(d[0], "p50", 7, 7));
    EXPECT_TRUE(PercentileIn(d[0], "p99", 28.775, 30));
  }
  {
    SCOPED_TRACE("storage resolution 1");
    auto d = Query({.ns = kNs, .metric = "HighRes", .start = start, .end = end});
    ASSERT_EQ(d.size(), 1u);
    ExpectStats(d[0], {1, 1, 1, 1, "None"});
  }
  {
    SCOPED_TRACE("unit and timestamp");
    auto d = Query(
        {.ns = kNs, .metric = "WithUnit", .start = start, .end = end, .unit = "Milliseconds"});
    ASSERT_EQ(d.size(), 1u);
    ExpectStats(d[0], {1, 250, 250, 250, "Milliseconds"});
    EXPECT_EQ(d[0].timestamp, t);
    EXPECT_TRUE(PercentileIn(d[0], "p99", 250, 250));
    // Another unit selects nothing.
    d = Query({.ns = kNs, .metric = "WithUnit", .start = start, .end = end, .unit = "Seconds"});
    EXPECT_EQ(d.size(), 0u);
  }
  {
    SCOPED_TRACE("awkward dimension value");
    auto d = Query({.ns = kNs,
                    .metric = "RequestCount",
                    .dims = {{"Service", "api"}, {"Path", "/v1/items list&x=1"}},
                    .start = start,
                    .end = end});
    ASSERT_EQ(d.size(), 1u);
    ExpectStats(d[0], {1, 42, 42, 42, "Count"});
    EXPECT_EQ(d[0].timestamp, t);
  }
  {
    SCOPED_TRACE("statistic set with a sub-second timestamp, at 1 s resolution");
    auto d = Query(
        {.ns = kNs, .metric = "PairLatency", .start = start, .end = end, .percentiles = false});
    ASSERT_EQ(d.size(), 1u);
    ExpectStats(d[0], {4, 40, 2, 20, "Milliseconds"});
    EXPECT_EQ(d[0].timestamp, t);
    d = Query({.ns = kNs,
               .metric = "PairLatency",
               .start = t + 25,
               .end = t + 35,
               .period = 1,
               .percentiles = false});
    ASSERT_EQ(d.size(), 1u);
    EXPECT_EQ(d[0].timestamp, t + 30);
    EXPECT_DOUBLE_EQ(d[0].sum.value_or(-1), 40);
  }
  {
    SCOPED_TRACE("150 datums, read back in one get-metric-data of 150 queries");
    nlohmann::json queries = nlohmann::json::array();
    for (int i = 0; i < 150; ++i) {
      char n[8];
      std::snprintf(n, sizeof n, "%03d", i);
      queries.push_back({{"Id", std::string("m") + n},
                         {"MetricStat",
                          {{"Metric",
                            {{"Namespace", kNs},
                             {"MetricName", std::string("Metric") + n},
                             {"Dimensions",
                              {{{"Name", "Host"}, {"Value", std::string("web-") + n}},
                               {{"Name", "Env"}, {"Value", "production"}}}}}},
                           {"Period", 60},
                           {"Stat", "Sum"}}}});
    }
    AwsResult r = Aws({"cloudwatch", "get-metric-data", "--metric-data-queries",
                       "file://" + server_.WriteScratchFile("q.json", queries.dump()),
                       "--start-time", Iso8601(start), "--end-time", Iso8601(end)});
    ASSERT_TRUE(AwsOk(r));
    nlohmann::json out = r.Json();
    ASSERT_TRUE(out.contains("MetricDataResults")) << r.Describe();
    std::map<std::string, std::vector<double>> values;
    for (const auto& res : out["MetricDataResults"]) {
      for (const auto& v : res["Values"]) values[res["Id"].get<std::string>()].push_back(v);
    }
    ASSERT_EQ(values.size(), 150u) << r.Describe();
    for (int i = 0; i < 150; ++i) {
      char id[8];
      std::snprintf(id, sizeof id, "m%03d", i);
      EXPECT_EQ(values[id], std::vector<double>{static_cast<double>(i)}) << id;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Clis, PutGetTest, testing::ValuesIn(kBothClis), CliParamName);

// What one protocol writes the other reads: non-ASCII (the JSON client sends \u escapes with
// surrogate pairs, the query client %-encoded UTF-8), XML-special characters (the query client
// reads XML), and number spellings Python produces (1e+21, 1e-07).
TEST(CrossProtocolTest, UnicodeAndExtremeValuesRoundTripBetweenClients) {
  for (Cli cli : kBothClis) {
    if (CliPath(cli).empty()) GTEST_SKIP() << CliName(cli) << " aws CLI not found";
  }
  VigilServer server;
  ASSERT_OK(server.Start());
  const std::string value = "chart \xF0\x9F\x93\x88 h\xC3\xA9llo \xE2\x9C\x93 \"q\" <x>&amp; 1+1";
  const int64_t now = NowSeconds();
  struct Writer {
    Cli cli;
    const char* metric;
  };
  for (const Writer w : {Writer{Cli::kV1Json, "FromJson"}, Writer{Cli::kV2Query, "FromQuery"}}) {
    nlohmann::json datum = {{"MetricName", w.metric},
                            {"Values", {1e21, 1e-07, -5}},
                            {"Dimensions", {{{"Name", "Path"}, {"Value", value}}}}};
    ASSERT_TRUE(AwsOk(server.RunAws(
        w.cli, {"cloudwatch", "put-metric-data", "--namespace", kNs, "--metric-data",
                "file://" + server.WriteScratchFile(std::string(w.metric) + ".json",
                                                    nlohmann::json::array({datum}).dump())})));
  }
  for (const Writer r : {Writer{Cli::kV2Query, "FromJson"}, Writer{Cli::kV1Json, "FromQuery"}}) {
    SCOPED_TRACE(std::string(r.metric) + " read by " + CliName(r.cli));
    AwsResult out = server.RunAws(r.cli, GetStatsArgs({.ns = kNs,
                                                       .metric = r.metric,
                                                       .dims = {{"Path", value}},
                                                       .start = FloorMinute(now) - 600,
                                                       .end = FloorMinute(now) + 600,
                                                       .period = 1200,
                                                       .percentiles = false}));
    ASSERT_TRUE(AwsOk(out));
    auto d = ParseDatapoints(out.Json());
    ASSERT_EQ(d.size(), 1u) << out.Describe();
    ExpectStats(d[0], {3, 1e21, -5, 1e21, "None"});
  }
  for (Cli cli : kBothClis) {
    SCOPED_TRACE("list-metrics by " + CliName(cli));
    AwsResult out = server.RunAws(cli, {"cloudwatch", "list-metrics", "--namespace", kNs});
    ASSERT_TRUE(AwsOk(out));
    nlohmann::json metrics = out.Json().value("Metrics", nlohmann::json::array());
    ASSERT_EQ(metrics.size(), 2u) << out.Describe();
    for (const auto& m : metrics) {
      ASSERT_EQ(m["Dimensions"].size(), 1u) << out.Describe();
      EXPECT_EQ(m["Dimensions"][0]["Value"].get<std::string>(), value);
    }
  }
  EXPECT_OK(server.Stop());
}

}  // namespace
}  // namespace vigil::integration
