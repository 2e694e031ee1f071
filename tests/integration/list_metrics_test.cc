// list-metrics: namespace / metric / dimension filters (with and without a value),
// --recently-active, and paging over 1,200 series (the server pages at 500; the CLI follows
// NextToken), with both clients.
#include <gtest/gtest.h>

#include <set>

#include "tests/integration/assertions.h"
#include "tests/integration/vigil_server.h"

namespace vigil::integration {
namespace {

constexpr char kNs[] = "Vigil/List";
constexpr char kPagedNs[] = "Vigil/ListPaged";

class ListMetricsTest : public ServerTest {
 protected:
  // Runs list-metrics with `filters`; returns each metric as "Namespace|Metric|K=V,K=V"
  // (dimensions sorted), in the order listed.
  std::vector<std::string> List(const std::vector<std::string>& filters) {
    std::vector<std::string> args = {"cloudwatch", "list-metrics"};
    args.insert(args.end(), filters.begin(), filters.end());
    AwsResult r = server_.RunAws(GetParam(), args);
    EXPECT_TRUE(AwsOk(r));
    std::vector<std::string> out;
    nlohmann::json j = r.Json();
    if (!j.contains("Metrics")) {
      ADD_FAILURE() << "no Metrics\n" << r.Describe();
      return out;
    }
    for (const auto& m : j["Metrics"]) {
      std::vector<std::string> dims;
      if (m.contains("Dimensions")) {
        for (const auto& d : m["Dimensions"]) {
          dims.push_back(d["Name"].get<std::string>() + "=" + d["Value"].get<std::string>());
        }
      }
      std::sort(dims.begin(), dims.end());
      std::string s =
          m["Namespace"].get<std::string>() + "|" + m["MetricName"].get<std::string>() + "|";
      for (size_t i = 0; i < dims.size(); ++i) s += (i ? "," : "") + dims[i];
      out.push_back(s);
    }
    return out;
  }

  static std::multiset<std::string> Set(const std::vector<std::string>& v) {
    return {v.begin(), v.end()};
  }

};

TEST_P(ListMetricsTest, FiltersAndRecentlyActive) {
  nlohmann::json datums = nlohmann::json::array();
  auto add = [&](const std::string& metric, const Dims& dims) {
    nlohmann::json d = {{"MetricName", metric}, {"Value", 1}};
    nlohmann::json dj = nlohmann::json::array();
    for (const auto& [k, v] : dims) dj.push_back({{"Name", k}, {"Value", v}});
    d["Dimensions"] = dj;
    datums.push_back(d);
  };
  add("Requests", {{"Host", "web-1"}, {"Env", "prod"}});
  add("Requests", {{"Host", "web-2"}, {"Env", "prod"}});
  add("Requests", {{"Host", "web-1"}});
  add("Errors", {{"Host", "web-1"}, {"Env", "dev"}});
  add("Errors", {});
  ASSERT_TRUE(AwsOk(server_.RunAws(
      GetParam(), {"cloudwatch", "put-metric-data", "--namespace", kNs, "--metric-data",
                   "file://" + server_.WriteScratchFile("d.json", datums.dump())})));
  // Another namespace, to be filtered out.
  ASSERT_TRUE(AwsOk(server_.RunAws(
      GetParam(), {"cloudwatch", "put-metric-data", "--namespace", "Vigil/Other", "--metric-name",
                   "Requests", "--value", "1", "--dimensions", "Host=web-1"})));

  const std::string p = std::string(kNs) + "|";
  const std::multiset<std::string> all = {
      p + "Requests|Env=prod,Host=web-1", p + "Requests|Env=prod,Host=web-2",
      p + "Requests|Host=web-1", p + "Errors|Env=dev,Host=web-1", p + "Errors|"};
  EXPECT_EQ(Set(List({"--namespace", kNs})), all);
  EXPECT_EQ(
      Set(List({"--namespace", kNs, "--metric-name", "Requests"})),
      (std::multiset<std::string>{p + "Requests|Env=prod,Host=web-1",
                                  p + "Requests|Env=prod,Host=web-2", p + "Requests|Host=web-1"}));
  EXPECT_EQ(
      Set(List({"--namespace", kNs, "--dimensions", "Name=Host,Value=web-1"})),
      (std::multiset<std::string>{p + "Requests|Env=prod,Host=web-1", p + "Requests|Host=web-1",
                                  p + "Errors|Env=dev,Host=web-1"}));
  // A filter with a name only matches any value.
  EXPECT_EQ(Set(List({"--namespace", kNs, "--dimensions", "Name=Env"})),
            (std::multiset<std::string>{p + "Requests|Env=prod,Host=web-1",
                                        p + "Requests|Env=prod,Host=web-2",
                                        p + "Errors|Env=dev,Host=web-1"}));
  // The captured fixture's combination: metric + dimension with value + dimension name only.
  EXPECT_EQ(Set(List({"--namespace", kNs, "--metric-name", "Requests", "--dimensions",
                      "Name=Host,Value=web-1", "Name=Env"})),
            (std::multiset<std::string>{p + "Requests|Env=prod,Host=web-1"}));
  EXPECT_EQ(Set(List({"--namespace", kNs, "--recently-active", "PT3H"})), all);
  // No namespace: every namespace, ours among them.
  std::multiset<std::string> everything = Set(List({}));
  for (const auto& m : all) EXPECT_EQ(everything.count(m), 1u) << m;
  EXPECT_EQ(everything.count("Vigil/Other|Requests|Host=web-1"), 1u);
  EXPECT_EQ(everything.size(), all.size() + 1);
}

TEST_P(ListMetricsTest, PagesThrough1200SeriesExactlyOnce) {
  constexpr int kSeries = 1200;
  auto file = [&](int from, int to) {
    nlohmann::json datums = nlohmann::json::array();
    for (int i = from; i < to; ++i) {
      char v[16];
      std::snprintf(v, sizeof v, "s%04d", i);
      datums.push_back({{"MetricName", "Paged"},
                        {"Value", i},
                        {"Dimensions", {{{"Name", "Series"}, {"Value", v}}}}});
    }
    return "file://" +
           server_.WriteScratchFile("d" + std::to_string(from) + ".json", datums.dump());
  };
  // CloudWatch's limit is 1,000 datums a request.
  for (auto [from, to] : {std::pair{0, 1000}, std::pair{1000, kSeries}}) {
    ASSERT_TRUE(AwsOk(server_.RunAws(GetParam(), {"cloudwatch", "put-metric-data", "--namespace",
                                                  kPagedNs, "--metric-data", file(from, to)})));
  }
  std::vector<std::string> listed = List({"--namespace", kPagedNs});
  std::set<std::string> unique(listed.begin(), listed.end());
  EXPECT_EQ(listed.size(), static_cast<size_t>(kSeries)) << "duplicates or missing series";
  EXPECT_EQ(unique.size(), static_cast<size_t>(kSeries));
  for (int i = 0; i < kSeries; ++i) {
    char v[64];
    std::snprintf(v, sizeof v, "%s|Paged|Series=s%04d", kPagedNs, i);
    if (!unique.count(v)) ADD_FAILURE() << "missing " << v;
  }

  // The pages themselves (the CLI hides them): 500, 500, 200, the last without a token.
  auto client = server_.NewClient();
  std::vector<size_t> pages;
  std::string token;
  do {
    nlohmann::json body = {{"Namespace", kPagedNs}};
    if (!token.empty()) body["NextToken"] = token;
    auto r = SendSigned(client.get(), server_.Key(),
                        CloudWatchJsonRequest(*client, "ListMetrics", body.dump()));
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    ASSERT_EQ(r->status, 200) << r->body;
    nlohmann::json page = nlohmann::json::parse(r->body, nullptr, false);
    ASSERT_TRUE(page.is_object()) << r->body.substr(0, 500);
    pages.push_back(page.value("Metrics", nlohmann::json::array()).size());
    token = page.value("NextToken", "");
  } while (!token.empty() && pages.size() < 10);
  EXPECT_EQ(pages, (std::vector<size_t>{500, 500, 200}));
}

INSTANTIATE_TEST_SUITE_P(Clis, ListMetricsTest, testing::ValuesIn(kBothClis), CliParamName);

}  // namespace
}  // namespace vigil::integration
