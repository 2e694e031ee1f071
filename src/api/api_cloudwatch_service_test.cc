// CloudWatchService::Handle end to end: signed requests in both protocols against a real
// tsdb::Db — put, then GetMetricStatistics / GetMetricData / ListMetrics with paging — plus
// authentication, size limits, routing errors, captured CLI requests replayed, self-metrics.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>

#include "api/cloudwatch_ops.h"
#include "api/testing/fixtures.h"
#include "api/testing/service_harness.h"
#include "api/text.h"

namespace vigil::api {
namespace {

using testing::HeaderOf;
using testing::kJan15;
using testing::XmlNode;
using Json = nlohmann::json;

XmlNode Xml(const http::Response& r) {
  auto xml = testing::ParseXml(r.body);
  EXPECT_TRUE(xml.ok()) << xml.status().ToString() << "\n" << r.body;
  return xml.ok() ? xml.value() : XmlNode{};
}

Json JsonBody(const http::Response& r) {
  Json j = Json::parse(r.body, nullptr, false);
  EXPECT_FALSE(j.is_discarded()) << r.body;
  return j;
}

std::string XmlErrorCode(const http::Response& r) {
  const XmlNode x = Xml(r);
  EXPECT_EQ(x.name, "ErrorResponse") << r.body;
  const XmlNode* e = x.Child("Error");
  return e && e->Child("Code") ? e->Child("Code")->text : "";
}

class CloudWatchServiceTest : public testing::ServiceHarness {};

TEST_F(CloudWatchServiceTest, QueryProtocolRoundTrip) {
  // 00:00 values 10 (x3) and 40; 00:01 a statistic set.
  auto r = SendQuery(
      "Action=PutMetricData&Version=2010-08-01&Namespace=MyApp&"
      "MetricData.member.1.MetricName=Latency&MetricData.member.1.Timestamp=2025-01-15T00%3A00%"
      "3A10Z&"
      "MetricData.member.1.Values.member.1=10&MetricData.member.1.Values.member.2=40&"
      "MetricData.member.1.Counts.member.1=3&MetricData.member.1.Counts.member.2=1&"
      "MetricData.member.1.Unit=Milliseconds&"
      "MetricData.member.1.Dimensions.member.1.Name=Host&"
      "MetricData.member.1.Dimensions.member.1.Value=web-1&"
      "MetricData.member.2.MetricName=Latency&MetricData.member.2.Timestamp=2025-01-15T00%3A01%"
      "3A00Z&"
      "MetricData.member.2.StatisticValues.SampleCount=2&MetricData.member.2.StatisticValues.Sum=8&"
      "MetricData.member.2.StatisticValues.Minimum=3&MetricData.member.2.StatisticValues.Maximum=5&"
      "MetricData.member.2.Unit=Milliseconds&"
      "MetricData.member.2.Dimensions.member.1.Name=Host&"
      "MetricData.member.2.Dimensions.member.1.Value=web-1");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(HeaderOf(r, "Content-Type"), "text/xml");
  const XmlNode put = Xml(r);
  EXPECT_EQ(put.name, "PutMetricDataResponse");
  EXPECT_EQ(put.Child("ResponseMetadata")->Child("RequestId")->text,
            HeaderOf(r, "x-amzn-RequestId"));

  r = SendQuery(
      "Action=GetMetricStatistics&Version=2010-08-01&Namespace=MyApp&MetricName=Latency&"
      "Dimensions.member.1.Name=Host&Dimensions.member.1.Value=web-1&"
      "StartTime=2025-01-15T00%3A00%3A00Z&EndTime=2025-01-15T01%3A00%3A00Z&Period=60&"
      "Statistics.member.1=Average&Statistics.member.2=Maximum&Statistics.member.3=SampleCount&"
      "ExtendedStatistics.member.1=p50");
  ASSERT_EQ(r.status, 200) << r.body;
  const XmlNode stats = Xml(r);
  const XmlNode* result = stats.Child("GetMetricStatisticsResult");
  ASSERT_NE(result, nullptr) << r.body;
  EXPECT_EQ(result->Child("Label")->text, "Latency");
  const auto points = result->Child("Datapoints")->Children("member");
  ASSERT_EQ(points.size(), 2u) << r.body;
  std::map<int64_t, const XmlNode*> by_time;
  for (const XmlNode* p : points) by_time[*ParseTimestamp(p->Child("Timestamp")->text)] = p;
  const XmlNode* m0 = by_time.at(kJan15);
  EXPECT_EQ(std::stod(m0->Child("SampleCount")->text), 4);
  EXPECT_EQ(std::stod(m0->Child("Average")->text), 17.5);
  EXPECT_EQ(std::stod(m0->Child("Maximum")->text), 40);
  EXPECT_EQ(m0->Child("Unit")->text, "Milliseconds");
  EXPECT_EQ(m0->Child("Sum"), nullptr);  // not requested
  const XmlNode* p50 = m0->Child("ExtendedStatistics")->Child("entry");
  EXPECT_EQ(p50->Child("key")->text, "p50");
  EXPECT_EQ(std::stod(p50->Child("value")->text), 10);
  const XmlNode* m1 = by_time.at(kJan15 + 60'000);
  EXPECT_EQ(std::stod(m1->Child("Average")->text), 4);
  EXPECT_EQ(m1->Child("ExtendedStatistics"), nullptr);  // statistic sets have no percentiles

  r = SendQuery(
      "Action=GetMetricData&Version=2010-08-01&MetricDataQueries.member.1.Id=m1&"
      "MetricDataQueries.member.1.MetricStat.Metric.Namespace=MyApp&"
      "MetricDataQueries.member.1.MetricStat.Metric.MetricName=Latency&"
      "MetricDataQueries.member.1.MetricStat.Metric.Dimensions.member.1.Name=Host&"
      "MetricDataQueries.member.1.MetricStat.Metric.Dimensions.member.1.Value=web-1&"
      "MetricDataQueries.member.1.MetricStat.Period=60&MetricDataQueries.member.1.MetricStat.Stat="
      "Sum&"
      "StartTime=2025-01-15T00%3A00%3A00Z&EndTime=2025-01-15T01%3A00%3A00Z");
  ASSERT_EQ(r.status, 200) << r.body;
  const XmlNode data = Xml(r);
  const XmlNode* res =
      data.Child("GetMetricDataResult")->Child("MetricDataResults")->Child("member");
  ASSERT_NE(res, nullptr) << r.body;
  EXPECT_EQ(res->Child("Label")->text, "Latency");
  EXPECT_EQ(res->Child("StatusCode")->text, "Complete");
  const auto values = res->Child("Values")->Children("member");
  ASSERT_EQ(values.size(), 2u) << r.body;
  EXPECT_EQ(std::stod(values[0]->text), 8);  // descending: 00:01 first
  EXPECT_EQ(std::stod(values[1]->text), 70);

  r = SendQuery("Action=ListMetrics&Version=2010-08-01&Namespace=MyApp");
  ASSERT_EQ(r.status, 200) << r.body;
  const XmlNode list = Xml(r);
  const auto metrics = list.Child("ListMetricsResult")->Child("Metrics")->Children("member");
  ASSERT_EQ(metrics.size(), 1u) << r.body;
  EXPECT_EQ(metrics[0]->Child("Dimensions")->Child("member")->Child("Value")->text, "web-1");
}

TEST_F(CloudWatchServiceTest, JsonProtocolRoundTripWithGzip) {
  Json datums = Json::array();
  for (int i = 0; i < 200; ++i) {
    datums.push_back({{"MetricName", "Requests"},
                      {"Timestamp", kJan15 / 1000 + i},
                      {"Value", i},
                      {"Unit", "Count"},
                      {"Dimensions", {{{"Name", "Path"}, {"Value", "/v1/items list&x=1"}}}}});
  }
  const std::string body = Json{{"Namespace", "MyApp"}, {"MetricData", datums}}.dump();
  ASSERT_GT(body.size(), 10240u);  // the size at which botocore gzips
  auto r = SendJson("PutMetricData", body, /*gzip=*/true);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(HeaderOf(r, "Content-Type"), "application/x-amz-json-1.0");
  EXPECT_EQ(JsonBody(r), Json::object());
  EXPECT_FALSE(HeaderOf(r, "x-amzn-RequestId").empty());

  r = SendJson("GetMetricStatistics",
               R"({"Namespace": "MyApp", "MetricName": "Requests", "Dimensions": [{"Name": "Path",
               "Value": "/v1/items list&x=1"}], "StartTime": 1736899200, "EndTime": 1736902800.0,
               "Period": 60, "Statistics": ["Sum", "SampleCount"], "ExtendedStatistics": ["p99"],
               "Unit": "Count"})");
  ASSERT_EQ(r.status, 200) << r.body;
  const Json out = JsonBody(r);
  EXPECT_EQ(out["Label"], "Requests");
  ASSERT_EQ(out["Datapoints"].size(), 4u) << r.body;  // 200 seconds: minutes 0..3
  double sum = 0, count = 0;
  for (const Json& p : out["Datapoints"]) {
    EXPECT_TRUE(p["Timestamp"].is_number());
    EXPECT_EQ(p["Timestamp"].get<int64_t>() % 60, 0);
    sum += p["Sum"].get<double>();
    count += p["SampleCount"].get<double>();
    EXPECT_EQ(p["Unit"], "Count");
    EXPECT_TRUE(p["ExtendedStatistics"].contains("p99"));
    EXPECT_FALSE(p.contains("Average"));
  }
  EXPECT_EQ(sum, 199 * 200 / 2);
  EXPECT_EQ(count, 200);

  r = SendJson("ListMetrics", R"({"Namespace": "MyApp", "Dimensions": [{"Name": "Path"}]})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(JsonBody(r), Json::parse(R"({"Metrics": [{"Namespace": "MyApp", "MetricName":
      "Requests", "Dimensions": [{"Name": "Path", "Value": "/v1/items list&x=1"}]}]})"));
}

class PagingTest : public CloudWatchServiceTest {
 protected:
  void SetUp() override {
    CloudWatchServiceTest::SetUp();
    for (int from : {0, 1000}) {
      Json datums = Json::array();
      for (int i = from; i < std::min(from + 1000, 1200); ++i) {
        char v[16];
        std::snprintf(v, sizeof v, "s%04d", i);
        datums.push_back({{"MetricName", "Paged"},
                          {"Value", i},
                          {"Timestamp", kJan15 / 1000 + (i % 10) * 60},
                          {"Dimensions", {{{"Name", "Series"}, {"Value", v}}}}});
      }
      auto r =
          SendJson("PutMetricData", Json{{"Namespace", "P"}, {"MetricData", datums}}.dump(), true);
      ASSERT_EQ(r.status, 200) << r.body;
    }
  }
};

TEST_F(PagingTest, ListMetricsPagesInBothProtocols) {
  // JSON.
  std::set<std::string> seen;
  std::optional<std::string> token;
  int pages = 0;
  do {
    Json in = {{"Namespace", "P"}};
    if (token) in["NextToken"] = *token;
    auto r = SendJson("ListMetrics", in.dump());
    ASSERT_EQ(r.status, 200) << r.body;
    const Json out = JsonBody(r);
    for (const Json& m : out["Metrics"]) {
      EXPECT_TRUE(seen.insert(m["Dimensions"][0]["Value"].get<std::string>()).second);
    }
    token = out.contains("NextToken") ? std::optional(out["NextToken"].get<std::string>())
                                      : std::nullopt;
    if (token) {
      // The token is base64 of the store's canonical string of the last key listed.
      const Json& last = out["Metrics"].back();
      const tsdb::SeriesKey key{
          "P", "Paged", {{"Series", last["Dimensions"][0]["Value"].get<std::string>()}}};
      EXPECT_EQ(*token, Base64Encode(tsdb::CanonicalKeyString(key)));
    }
    ++pages;
  } while (token && pages < 10);
  EXPECT_EQ(pages, 3);
  EXPECT_EQ(seen.size(), 1200u);

  // Query.
  seen.clear();
  pages = 0;
  token.reset();
  do {
    std::string body = "Action=ListMetrics&Version=2010-08-01&Namespace=P";
    if (token) {
      std::string escaped;
      for (char c : *token) {
        if (c == '+')
          escaped += "%2B";
        else if (c == '/')
          escaped += "%2F";
        else if (c == '=')
          escaped += "%3D";
        else
          escaped += c;
      }
      body += "&NextToken=" + escaped;
    }
    auto r = SendQuery(body);
    ASSERT_EQ(r.status, 200) << r.body;
    const XmlNode x = Xml(r);
    const XmlNode* result = x.Child("ListMetricsResult");
    for (const XmlNode* m : result->Child("Metrics")->Children("member")) {
      EXPECT_TRUE(
          seen.insert(m->Child("Dimensions")->Child("member")->Child("Value")->text).second);
    }
    const XmlNode* next = result->Child("NextToken");
    token = next ? std::optional(next->text) : std::nullopt;
    ++pages;
  } while (token && pages < 10);
  EXPECT_EQ(pages, 3);
  EXPECT_EQ(seen.size(), 1200u);
}

TEST_F(PagingTest, GetMetricDataPagesInBothProtocols) {
  // Two series, 1 point each in their minute (i % 10): s0003 at minute 3, s0013 at minute 3.
  const Json queries = Json::parse(R"([
    {"Id": "a", "MetricStat": {"Metric": {"Namespace": "P", "MetricName": "Paged",
      "Dimensions": [{"Name": "Series", "Value": "s0003"}]}, "Period": 60, "Stat": "Sum"}},
    {"Id": "b", "MetricStat": {"Metric": {"Namespace": "P", "MetricName": "Paged",
      "Dimensions": [{"Name": "Series", "Value": "s0013"}]}, "Period": 60, "Stat": "Sum"}}])");
  std::vector<std::pair<std::string, double>> got;
  std::optional<std::string> token;
  int pages = 0;
  do {
    Json in = {{"MetricDataQueries", queries},
               {"StartTime", kJan15 / 1000},
               {"EndTime", kJan15 / 1000 + 3600},
               {"MaxDatapoints", 1},
               {"ScanBy", "TimestampAscending"}};
    if (token) in["NextToken"] = *token;
    auto r = SendJson("GetMetricData", in.dump());
    ASSERT_EQ(r.status, 200) << r.body;
    const Json out = JsonBody(r);
    for (const Json& res : out["MetricDataResults"]) {
      for (const Json& v : res["Values"]) got.emplace_back(res["Id"], v.get<double>());
    }
    token = out.contains("NextToken") ? std::optional(out["NextToken"].get<std::string>())
                                      : std::nullopt;
    ++pages;
  } while (token && pages < 10);
  EXPECT_EQ(got, (std::vector<std::pair<std::string, double>>{{"a", 3}, {"b", 13}}));
  EXPECT_LE(pages, 3);
  EXPECT_GE(pages, 2);
}

TEST_F(CloudWatchServiceTest, AuthenticationErrorsInBothProtocols) {
  const std::string form = "Action=ListMetrics&Version=2010-08-01";
  testutil::HttpRequest q;
  q.headers = {{"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"}};
  q.body = form;
  auto handle = [this](const http::Request& r) { return service_->Handle(r); };

  auto r = Send(handle, q, /*sign=*/false);
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(XmlErrorCode(r), "MissingAuthenticationToken");
  r = Send(handle, q, true, "wrong-secret");
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(XmlErrorCode(r), "SignatureDoesNotMatch");
  clock_.Set(kNow + 20 * 60'000);  // the server's clock runs 20 minutes ahead of the signature
  testutil::HttpRequest stale = q;
  stale.headers.insert(stale.headers.begin(), {"Host", "127.0.0.1:4510"});
  testutil::SignV4({testing::kAccessKeyId, testing::kSecretKey},
                   std::chrono::system_clock::time_point(std::chrono::milliseconds(kNow)), &stale);
  r = handle(testing::ToServerRequest(stale));
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(XmlErrorCode(r), "RequestExpired");
  clock_.Set(kNow);

  testutil::HttpRequest j;
  j.headers = {{"X-Amz-Target", "GraniteServiceVersion20100801.ListMetrics"},
               {"Content-Type", "application/x-amz-json-1.0"}};
  j.body = "{}";
  r = Send(handle, j, true, "wrong-secret");
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(JsonBody(r)["__type"], "SignatureDoesNotMatch");
  EXPECT_EQ(HeaderOf(r, "x-amzn-query-error"), "SignatureDoesNotMatch;Sender");
  r = Send(handle, j, false);
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(HeaderOf(r, "x-amzn-query-error"), "MissingAuthenticationToken;Sender");
}

TEST_F(CloudWatchServiceTest, BodySizeLimitsAfterDecompression) {
  const std::string pad(1'100'000, 'a');
  auto r = SendQuery(
      "Action=PutMetricData&Version=2010-08-01&Namespace=Big&"
      "MetricData.member.1.MetricName=X&MetricData.member.1.Value=1&"
      "MetricData.member.1.Dimensions.member.1.Name=Pad&"
      "MetricData.member.1.Dimensions.member.1.Value=" +
      pad);
  EXPECT_EQ(r.status, 413);
  EXPECT_EQ(XmlErrorCode(r), "RequestEntityTooLarge");
  EXPECT_NE(r.body.find("exceeded 1048576 bytes"), std::string::npos) << r.body;

  // 2 MB of JSON once inflated, far less on the wire.
  r = SendJson("PutMetricData",
               R"({"Namespace": "Big", "MetricData": [{"MetricName": "X", "Value": 1}]})" +
                   std::string(2'000'000, ' '),
               /*gzip=*/true);
  EXPECT_EQ(r.status, 413);
  EXPECT_EQ(JsonBody(r)["__type"], "RequestEntityTooLarge");

  // Exactly at the limit is fine (once inflated).
  std::string at_limit = R"({"Namespace": "Big", "MetricData": [{"MetricName": "X", "Value": 1}]})";
  at_limit += std::string((1 << 20) - at_limit.size(), ' ');
  r = SendJson("PutMetricData", at_limit, /*gzip=*/true);
  EXPECT_EQ(r.status, 200) << r.body;

  // Not gzip at all.
  testutil::HttpRequest bad;
  bad.headers = {{"X-Amz-Target", "GraniteServiceVersion20100801.ListMetrics"},
                 {"Content-Type", "application/x-amz-json-1.0"},
                 {"Content-Encoding", "gzip"}};
  bad.body = "not gzip";
  r = Send([this](const http::Request& q) { return service_->Handle(q); }, bad);
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(HeaderOf(r, "x-amzn-query-error"), "InvalidParameterValue;Sender");
}

TEST_F(CloudWatchServiceTest, RoutingErrors) {
  testutil::HttpRequest logs;
  logs.headers = {{"X-Amz-Target", "Logs_20140328.CreateLogGroup"},
                  {"Content-Type", "application/x-amz-json-1.1"}};
  logs.body = R"({"logGroupName": "/my/app"})";
  auto r = Send([this](const http::Request& q) { return service_->Handle(q); }, logs, true,
                testing::kSecretKey, "logs");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(JsonBody(r)["__type"], "UnknownOperationException");
  EXPECT_EQ(HeaderOf(r, "Content-Type"), "application/x-amz-json-1.1");

  r = SendQuery("Action=GetDashboard&Version=2010-08-01");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(XmlErrorCode(r), "InvalidAction");
  r = SendJson("GetDashboard", "{}");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(HeaderOf(r, "x-amzn-query-error"), "InvalidAction;Sender");
  r = SendJson("NoSuchOperation", "{}");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(JsonBody(r)["__type"], "UnknownOperationException");
  r = SendJson("PutMetricData", "{\"Namespace\": ");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(HeaderOf(r, "x-amzn-query-error"), "InvalidFormat;Sender");
}

TEST_F(CloudWatchServiceTest, StoreRefusalsAreClientErrors) {
  // Three weeks old: outside the store's window. All-or-nothing: the good datum is not stored.
  auto r = SendJson(
      "PutMetricData",
      Json{{"Namespace", "Old"},
           {"MetricData",
            {{{"MetricName", "Fresh"}, {"Value", 1}},
             {{"MetricName", "Stale"}, {"Value", 1}, {"Timestamp", kNow / 1000 - 21 * 86400}}}}}
          .dump());
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(JsonBody(r)["__type"], "com.amazonaws.cloudwatch#InvalidParameterValueException");
  r = SendJson("ListMetrics", R"({"Namespace": "Old"})");
  EXPECT_EQ(JsonBody(r)["Metrics"].size(), 0u) << r.body;
}

TEST_F(CloudWatchServiceTest, CapturedCliRequestsReplay) {
  const std::string dir = testing::CompatDir();
  if (dir.empty()) GTEST_SKIP() << "compat/awscli fixtures not found";
  // The captures were signed on 2026-11-25: replay without the skew check.
  auth::SigV4Verifier lenient(&keys_, &clock_, auth::VerifierOptions{.max_skew_ms = 0});
  CloudWatchService service(db_.get(), &lenient, &clock_, &NullLogger(), nullptr, {});
  for (const char* name :
       {"requests/cloudwatch.PutMetricData.1.http", "requests/cloudwatch.PutMetricData.2.http",
        "requests/cloudwatch.PutMetricData.3.http", "requests/cloudwatch.PutMetricData.4.http",
        "requests/cloudwatch.PutMetricData.5.http", "requests/cloudwatch.PutMetricData.6.http",
        "requests/cloudwatch.PutMetricData.7.http", "requests/cloudwatch.PutMetricData.8.http",
        "requests/newer-botocore/cloudwatch.PutMetricData.1.http",
        "requests/newer-botocore/cloudwatch.PutMetricData.2.http",
        "requests/cloudwatch.GetMetricStatistics.1.http",
        "requests/cloudwatch.GetMetricStatistics.2.http",
        "requests/newer-botocore/cloudwatch.GetMetricStatistics.1.http",
        "requests/cloudwatch.ListMetrics.1.http",
        "requests/newer-botocore/cloudwatch.ListMetrics.1.http",
        "requests/variants/cloudwatch.PutMetricData.1.http"}) {
    SCOPED_TRACE(name);
    auto f = testing::LoadHttpFixture(dir + "/" + name);
    ASSERT_TRUE(f.ok()) << f.status().ToString();
    testutil::HttpRequest r{f->method, f->target, f->headers, f->body};
    const http::Response resp = service.Handle(testing::ToServerRequest(r));
    EXPECT_EQ(resp.status, 200) << resp.body;
  }
  // What the captures stored reads back. In 00:00 (Milliseconds): PutMetricData.6's 250 and
  // PutMetricData.7's statistic set (4 samples, sum 40); a statistic set gives no percentiles,
  // so the captured p99-only query (GetMetricStatistics.2, replayed above) has no datapoint.
  const http::Response resp =
      SendJson("GetMetricStatistics",
               R"({"Namespace": "MyApp", "MetricName": "Latency", "StartTime": 1736899200,
          "EndTime": 1736902800, "Period": 60, "Statistics": ["SampleCount", "Sum"],
          "ExtendedStatistics": ["p99"], "Unit": "Milliseconds"})");
  ASSERT_EQ(resp.status, 200) << resp.body;
  const Json out = JsonBody(resp);
  ASSERT_EQ(out["Datapoints"].size(), 1u) << resp.body;
  EXPECT_EQ(out["Datapoints"][0]["Timestamp"], kJan15 / 1000);
  EXPECT_EQ(out["Datapoints"][0]["SampleCount"], 5.0);
  EXPECT_EQ(out["Datapoints"][0]["Sum"], 290.0);
  EXPECT_FALSE(out["Datapoints"][0].contains("ExtendedStatistics"));
}

TEST_F(CloudWatchServiceTest, SelfMetricsCountOperationsAndErrors) {
  ASSERT_EQ(SendQuery("Action=ListMetrics&Version=2010-08-01").status, 200);
  ASSERT_EQ(SendJson("ListMetrics", "{}").status, 200);
  ASSERT_EQ(SendQuery("Action=GetDashboard&Version=2010-08-01").status, 400);
  ASSERT_EQ(SendQuery("Action=Bogus&Version=2010-08-01").status, 400);
  const std::string text = RenderPrometheusText(registry_);
  EXPECT_NE(text.find("vigil_api_requests_total{protocol=\"query\",operation=\"ListMetrics\","
                      "code=\"OK\"} 1"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("vigil_api_requests_total{protocol=\"json\",operation=\"ListMetrics\","
                      "code=\"OK\"} 1"),
            std::string::npos);
  EXPECT_NE(text.find("operation=\"GetDashboard\",code=\"InvalidAction\"} 1"), std::string::npos);
  EXPECT_NE(text.find("operation=\"Other\",code=\"InvalidAction\"} 1"), std::string::npos) << text;
}

}  // namespace
}  // namespace vigil::api
