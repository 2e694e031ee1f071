// get-metric-data: several MetricStat queries (Average, Sum, p90, SampleCount) in both scan
// orders, whole and paginated (--page-size sets MaxDatapoints; the CLI follows NextToken and
// concatenates the pages' MetricDataResults), metric math expressions (an error rate, an
// array from METRICS(), a syntax error) and Metrics Insights queries, with both clients.
#include <gtest/gtest.h>

#include "tests/integration/assertions.h"
#include "tests/integration/vigil_server.h"

namespace vigil::integration {
namespace {

constexpr char kNs[] = "Vigil/MetricData";
constexpr int kMinutes = 10;

class MetricDataTest : public ServerTest {};

struct Series {
  std::vector<int64_t> timestamps;
  std::vector<double> values;
  std::vector<std::string> status_codes;
};

// The CLI's merged output grouped by query id, pages concatenated in order.
std::map<std::string, Series> ById(const nlohmann::json& out) {
  std::map<std::string, Series> by_id;
  for (const auto& r : out["MetricDataResults"]) {
    Series& s = by_id[r["Id"].get<std::string>()];
    for (const auto& t : r["Timestamps"]) s.timestamps.push_back(CliTimestamp(t));
    for (const auto& v : r["Values"]) s.values.push_back(v.get<double>());
    s.status_codes.push_back(r.value("StatusCode", ""));
  }
  return by_id;
}

TEST_P(MetricDataTest, MetricStatQueriesInBothOrdersWholeAndPaged) {
  // Minute k holds value a = k+1 five times and 10a five times: n 10, sum 55a, average 5.5a,
  // p90 10a under every percentile definition (the top two samples are both 10a).
  const int64_t t0 = FloorMinute(NowSeconds()) - 20 * 60;
  nlohmann::json datums = nlohmann::json::array();
  for (int k = 0; k < kMinutes; ++k) {
    const double a = k + 1;
    datums.push_back({{"MetricName", "Req"},
                      {"Dimensions", {{{"Name", "Host"}, {"Value", "a"}}}},
                      {"Timestamp", Iso8601(t0 + 60 * k + 5)},
                      {"Values", {a, 10 * a}},
                      {"Counts", {5, 5}},
                      {"Unit", "Count"}});
  }
  ASSERT_TRUE(AwsOk(server_.RunAws(
      GetParam(), {"cloudwatch", "put-metric-data", "--namespace", kNs, "--metric-data",
                   "file://" + server_.WriteScratchFile("d.json", datums.dump())})));

  nlohmann::json queries = nlohmann::json::array();
  const nlohmann::json metric = {{"Namespace", kNs},
                                 {"MetricName", "Req"},
                                 {"Dimensions", {{{"Name", "Host"}, {"Value", "a"}}}}};
  for (const char* stat : {"Average", "Sum", "p90", "SampleCount"}) {
    std::string id = std::string("q") + stat;
    std::transform(id.begin(), id.end(), id.begin(), ::tolower);
    queries.push_back(
        {{"Id", id}, {"MetricStat", {{"Metric", metric}, {"Period", 60}, {"Stat", stat}}}});
  }
  const std::string qfile = "file://" + server_.WriteScratchFile("q.json", queries.dump());
  auto want = [](const std::string& id, int k) {
    const double a = k + 1;
    if (id == "qaverage") return 5.5 * a;
    if (id == "qsum") return 55 * a;
    if (id == "qp90") return 10 * a;
    return 10.0;  // qsamplecount
  };

  struct Case {
    const char* scan_by;  // nullptr: the default (TimestampDescending)
    int page_size;        // 0: no --page-size
  };
  for (const Case c : {Case{"TimestampAscending", 0}, Case{nullptr, 0},
                       Case{"TimestampAscending", 7}, Case{"TimestampDescending", 7}}) {
    const bool ascending = c.scan_by && std::string(c.scan_by) == "TimestampAscending";
    SCOPED_TRACE(std::string(c.scan_by ? c.scan_by : "default scan") + ", page size " +
                 std::to_string(c.page_size));
    std::vector<std::string> args = {
        "cloudwatch", "get-metric-data", "--metric-data-queries",    qfile, "--start-time",
        Iso8601(t0),  "--end-time",      Iso8601(t0 + 60 * kMinutes)};
    if (c.scan_by) {
      args.push_back("--scan-by");
      args.push_back(c.scan_by);
    }
    if (c.page_size) {
      args.push_back("--page-size");
      args.push_back(std::to_string(c.page_size));
    }
    AwsResult r = server_.RunAws(GetParam(), args);
    ASSERT_TRUE(AwsOk(r));
    nlohmann::json out = r.Json();
    ASSERT_TRUE(out.contains("MetricDataResults")) << r.Describe();
    if (c.page_size) {
      // 40 datapoints at 7 a page: the CLI had to follow NextToken; each page lists a query.
      EXPECT_GT(out["MetricDataResults"].size(), 4u) << "no pagination happened";
    }
    EXPECT_FALSE(out.contains("NextToken")) << "the CLI stops only at the last page";
    auto by_id = ById(out);
    ASSERT_EQ(by_id.size(), 4u) << r.Describe();
    for (const auto& [id, s] : by_id) {
      SCOPED_TRACE(id);
      ASSERT_EQ(s.timestamps.size(), static_cast<size_t>(kMinutes)) << r.Describe();
      ASSERT_EQ(s.values.size(), static_cast<size_t>(kMinutes));
      for (int i = 0; i < kMinutes; ++i) {
        const int k = ascending ? i : kMinutes - 1 - i;
        EXPECT_EQ(s.timestamps[i], t0 + 60 * k) << "position " << i;
        if (id == "qp90") {
          EXPECT_NEAR(s.values[i], want(id, k), 0.01 * want(id, k)) << "position " << i;
        } else {
          EXPECT_DOUBLE_EQ(s.values[i], want(id, k)) << "position " << i;
        }
      }
      EXPECT_EQ(s.status_codes.back(), "Complete");
      for (const auto& code : s.status_codes) {
        EXPECT_TRUE(code == "Complete" || code == "PartialData") << code;
      }
    }
  }
}

TEST_P(MetricDataTest, MetricMathExpressions) {
  // Minute k: Errors k, Requests 10 (k = 0..9).
  const int64_t t0 = FloorMinute(NowSeconds()) - 20 * 60;
  nlohmann::json datums = nlohmann::json::array();
  for (int k = 0; k < kMinutes; ++k) {
    for (const auto& [name, value] : {std::pair<const char*, double>{"Errors", k}, {"Requests", 10}}) {
      datums.push_back({{"MetricName", name},
                        {"Timestamp", Iso8601(t0 + 60 * k + 5)},
                        {"Value", value},
                        {"Unit", "Count"}});
    }
  }
  ASSERT_TRUE(AwsOk(server_.RunAws(
      GetParam(), {"cloudwatch", "put-metric-data", "--namespace", kNs, "--metric-data",
                   "file://" + server_.WriteScratchFile("d.json", datums.dump())})));
  auto stat = [](const char* id, const char* metric) {
    return nlohmann::json{{"Id", id},
                          {"MetricStat",
                           {{"Metric", {{"Namespace", kNs}, {"MetricName", metric}}},
                            {"Period", 60},
                            {"Stat", "Sum"}}},
                          {"ReturnData", false}};
  };
  nlohmann::json queries = {
      stat("errors", "Errors"), stat("requests", "Requests"),
      {{"Id", "rate"}, {"Expression", "100 * errors / requests"}, {"Label", "Error rate"}},
      {{"Id", "both"}, {"Expression", "SORT(METRICS(), MAX, DESC)"}},
  };
  const std::vector<std::string> range = {"--start-time", Iso8601(t0), "--end-time",
                                          Iso8601(t0 + 60 * kMinutes), "--scan-by",
                                          "TimestampAscending"};
  std::vector<std::string> args = {
      "cloudwatch", "get-metric-data", "--metric-data-queries",
      "file://" + server_.WriteScratchFile("q.json", queries.dump())};
  args.insert(args.end(), range.begin(), range.end());
  AwsResult r = server_.RunAws(GetParam(), args);
  ASSERT_TRUE(AwsOk(r));
  const nlohmann::json out = r.Json();
  ASSERT_EQ(out["MetricDataResults"].size(), 3u) << r.Describe();
  const auto& rate = out["MetricDataResults"][0];
  EXPECT_EQ(rate["Id"], "rate");
  EXPECT_EQ(rate["Label"], "Error rate");
  ASSERT_EQ(rate["Values"].size(), static_cast<size_t>(kMinutes)) << r.Describe();
  for (int k = 0; k < kMinutes; ++k) {
    EXPECT_DOUBLE_EQ(rate["Values"][k].get<double>(), 10.0 * k);
    EXPECT_EQ(CliTimestamp(rate["Timestamps"][k]), t0 + 60 * k);
  }
  // SORT by MAX, descending: Requests (max 10) before Errors (max 9), one result each.
  EXPECT_EQ(out["MetricDataResults"][1]["Id"], "both");
  EXPECT_EQ(out["MetricDataResults"][1]["Values"][0].get<double>(), 10.0);
  EXPECT_EQ(out["MetricDataResults"][2]["Values"][9].get<double>(), 9.0);

  // A syntax error is the protocol's error, naming the query and the position.
  queries[2]["Expression"] = "100 * (errors / ";
  args[3] = "file://" + server_.WriteScratchFile("bad.json", queries.dump());
  r = server_.RunAws(GetParam(), args);
  EXPECT_FALSE(AwsOk(r));
  EXPECT_NE(r.err.find("InvalidParameterValue"), std::string::npos) << r.Describe();
  EXPECT_NE(r.err.find("MetricDataQueries.member.3.Expression"), std::string::npos)
      << r.Describe();
  EXPECT_NE(r.err.find("position"), std::string::npos) << r.Describe();
}

TEST_P(MetricDataTest, MetricsInsightsQueries) {
  // Host h (1..4) in zone a (h <= 2) or b sends Latency 10h + k in minute k; host 4 also sends
  // under another schema (an extra Version dimension).
  const int64_t t0 = FloorMinute(NowSeconds()) - 20 * 60;
  nlohmann::json datums = nlohmann::json::array();
  for (int h = 1; h <= 4; ++h) {
    for (int k = 0; k < 3; ++k) {
      nlohmann::json dims = {{{"Name", "Host"}, {"Value", "h" + std::to_string(h)}},
                             {{"Name", "Zone"}, {"Value", h <= 2 ? "a" : "b"}}};
      datums.push_back({{"MetricName", "Latency"},
                        {"Dimensions", dims},
                        {"Timestamp", Iso8601(t0 + 60 * k + 5)},
                        {"Value", 10.0 * h + k}});
    }
  }
  datums.push_back({{"MetricName", "Latency"},
                    {"Dimensions",
                     {{{"Name", "Host"}, {"Value", "h4"}},
                      {{"Name", "Version"}, {"Value", "2"}},
                      {{"Name", "Zone"}, {"Value", "b"}}}},
                    {"Timestamp", Iso8601(t0 + 5)},
                    {"Value", 1000}});
  ASSERT_TRUE(AwsOk(server_.RunAws(
      GetParam(), {"cloudwatch", "put-metric-data", "--namespace", kNs, "--metric-data",
                   "file://" + server_.WriteScratchFile("d.json", datums.dump())})));
  const std::string from = std::string("\"") + kNs + "\"";
  nlohmann::json queries = {
      {{"Id", "byzone"},
       {"Expression", "SELECT AVG(Latency) FROM SCHEMA(" + from +
                          ", Host, Zone) WHERE Host != 'h1' GROUP BY Zone ORDER BY MAX() DESC"},
       {"Period", 60}},
      {{"Id", "all"}, {"Expression", "select max(Latency) from " + from}, {"Period", 60}},
  };
  std::vector<std::string> args = {
      "cloudwatch", "get-metric-data", "--metric-data-queries",
      "file://" + server_.WriteScratchFile("q.json", queries.dump()), "--start-time",
      Iso8601(t0), "--end-time", Iso8601(t0 + 180), "--scan-by", "TimestampAscending"};
  AwsResult r = server_.RunAws(GetParam(), args);
  ASSERT_TRUE(AwsOk(r));
  const nlohmann::json out = r.Json();
  ASSERT_EQ(out["MetricDataResults"].size(), 3u) << r.Describe();
  // Zone b (hosts 3, 4: max 41 + k) first, then a (host 2 alone).
  const auto& b = out["MetricDataResults"][0];
  EXPECT_EQ(b["Id"], "byzone");
  EXPECT_EQ(b["Label"], "b");
  ASSERT_EQ(b["Values"].size(), 3u) << r.Describe();
  for (int k = 0; k < 3; ++k) {
    EXPECT_DOUBLE_EQ(b["Values"][k].get<double>(), 35.0 + k);
    EXPECT_EQ(CliTimestamp(b["Timestamps"][k]), t0 + 60 * k);
  }
  const auto& a = out["MetricDataResults"][1];
  EXPECT_EQ(a["Label"], "a");
  EXPECT_DOUBLE_EQ(a["Values"][2].get<double>(), 22.0);
  // FROM the namespace: every schema, so the 1000 of the extra series counts.
  const auto& all = out["MetricDataResults"][2];
  EXPECT_EQ(all["Id"], "all");
  EXPECT_DOUBLE_EQ(all["Values"][0].get<double>(), 1000.0);
  EXPECT_DOUBLE_EQ(all["Values"][1].get<double>(), 41.0);

  // A grammar error names the query, the position and what was expected.
  queries[1]["Expression"] = "SELECT MEDIAN(Latency) FROM " + from;
  args[3] = "file://" + server_.WriteScratchFile("bad.json", queries.dump());
  r = server_.RunAws(GetParam(), args);
  EXPECT_FALSE(AwsOk(r));
  EXPECT_NE(r.err.find("InvalidParameterValue"), std::string::npos) << r.Describe();
  EXPECT_NE(r.err.find("MetricDataQueries.member.2.Expression"), std::string::npos)
      << r.Describe();
  EXPECT_NE(r.err.find("position 8"), std::string::npos) << r.Describe();
  EXPECT_NE(r.err.find("expected one of AVG, COUNT, MAX, MIN, SUM"), std::string::npos)
      << r.Describe();
}

INSTANTIATE_TEST_SUITE_P(Clis, MetricDataTest, testing::ValuesIn(kBothClis), CliParamName);

}  // namespace
}  // namespace vigil::integration
