// Rendered XML and JSON are well-formed and say what the hand-written response fixtures (which
// the aws CLIs accept, compat/awscli/responses) say, element for element.
#include <gtest/gtest.h>

#include <charconv>
#include <nlohmann/json.hpp>

#include "api/cloudwatch_render.h"
#include "api/testing/fixtures.h"
#include "api/text.h"

namespace vigil::api {
namespace {

using testing::XmlNode;

constexpr int64_t kJan15 = 1736899200000;

std::optional<double> Number(const std::string& s) {
  double v;
  const auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || r.ec != std::errc() || r.ptr != s.data() + s.size()) return std::nullopt;
  return v;
}

// Same element names and nesting, same text; numbers and timestamps compared by value
// (2025-01-15T00:00:00.000Z == 2025-01-15T00:00:00Z, 3.0 == 3); RequestId text ignored.
void ExpectSameXml(const XmlNode& want, const XmlNode& got, const std::string& path = "") {
  const std::string here = path + "/" + want.name;
  ASSERT_EQ(want.name, got.name) << here;
  ASSERT_EQ(want.children.size(), got.children.size()) << here;
  if (want.children.empty() && want.name != "RequestId") {
    const auto wt =
        want.text.size() >= 10 && want.text[4] == '-' ? ParseTimestamp(want.text) : std::nullopt;
    if (wt) {
      EXPECT_EQ(wt, ParseTimestamp(got.text)) << here << ": " << got.text;
    } else if (auto wn = Number(want.text)) {
      EXPECT_EQ(wn, Number(got.text)) << here << ": " << got.text;
    } else {
      EXPECT_EQ(want.text, got.text) << here;
    }
  }
  for (size_t i = 0; i < want.children.size(); ++i) {
    ExpectSameXml(want.children[i], got.children[i], here);
  }
}

class RenderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::CompatDir();
    if (dir_.empty()) GTEST_SKIP() << "compat/awscli fixtures not found";
  }
  XmlNode FixtureXml(const std::string& name) {
    auto text = testing::ReadFile(dir_ + "/responses/" + name);
    EXPECT_TRUE(text.ok()) << name;
    auto xml = testing::ParseXml(text.ok() ? text.value() : "");
    EXPECT_TRUE(xml.ok()) << name << ": " << xml.status().ToString();
    return xml.ok() ? xml.value() : XmlNode{};
  }
  nlohmann::json FixtureJson(const std::string& name) {
    auto text = testing::ReadFile(dir_ + "/responses/" + name);
    EXPECT_TRUE(text.ok()) << name;
    return nlohmann::json::parse(text.ok() ? text.value() : "null");
  }
  std::string dir_;
};

XmlNode Xml(const std::string& body) {
  auto xml = testing::ParseXml(body);
  EXPECT_TRUE(xml.ok()) << xml.status().ToString() << "\n" << body;
  return xml.ok() ? xml.value() : XmlNode{};
}

GetMetricStatisticsOutput StatisticsLikeFixture(bool with_maximum) {
  GetMetricStatisticsOutput out;
  out.label = "Latency";
  StatisticsDatapoint a;
  a.timestamp_ms = kJan15 + 300'000;
  a.sample_count = 3;
  a.average = 12.5;
  if (with_maximum) a.maximum = 20;
  a.unit = "Milliseconds";
  a.extended = {{"p99", 19.8}};
  StatisticsDatapoint b;
  b.timestamp_ms = kJan15;
  b.sample_count = 2;
  b.average = 7;
  if (with_maximum) b.maximum = 9;
  b.unit = "Milliseconds";
  out.datapoints = {a, b};
  return out;
}

TEST_F(RenderTest, GetMetricStatisticsXml) {
  const std::string body =
      RenderXmlResponse(Operation::kGetMetricStatistics, StatisticsLikeFixture(true), "req-1");
  const XmlNode got = Xml(body);
  ExpectSameXml(FixtureXml("cloudwatch.GetMetricStatistics.xml"), got);
  ASSERT_EQ(got.attributes.size(), 1u);
  EXPECT_EQ(got.attributes[0],
            (std::pair<std::string, std::string>{"xmlns", std::string(kXmlNamespace)}));
  EXPECT_EQ(got.Child("ResponseMetadata")->Child("RequestId")->text, "req-1");
}

TEST_F(RenderTest, GetMetricStatisticsJson) {
  const nlohmann::json got =
      nlohmann::json::parse(RenderJsonResponse(StatisticsLikeFixture(false)));
  EXPECT_EQ(got, FixtureJson("cloudwatch.GetMetricStatistics.json")) << got.dump();
  // Timestamps are epoch seconds as numbers.
  EXPECT_TRUE(got["Datapoints"][0]["Timestamp"].is_number());
}

TEST_F(RenderTest, ListMetricsXmlAndJson) {
  ListMetricsOutput page1;
  page1.metrics = {{"MyApp", "Latency", {{"Host", "web-1"}}}};
  page1.next_token = "page-2-token";
  ExpectSameXml(FixtureXml("cloudwatch.ListMetrics.page1.xml"),
                Xml(RenderXmlResponse(Operation::kListMetrics, page1, "r")));

  ListMetricsOutput page2;
  page2.metrics = {{"MyApp", "Errors", {}}};
  ExpectSameXml(FixtureXml("cloudwatch.ListMetrics.xml"),
                Xml(RenderXmlResponse(Operation::kListMetrics, page2, "r")));

  ListMetricsOutput json_page;
  json_page.metrics = {{"MyApp", "Latency", {{"Host", "web-1"}}}};
  EXPECT_EQ(nlohmann::json::parse(RenderJsonResponse(json_page)),
            FixtureJson("cloudwatch.ListMetrics.json"));
  const nlohmann::json with_token = nlohmann::json::parse(RenderJsonResponse(page1));
  EXPECT_EQ(with_token["NextToken"], "page-2-token");
}

TEST_F(RenderTest, GetMetricDataXml) {
  GetMetricDataOutput out;
  MetricDataResult r;
  r.id = "e1";
  r.label = "Doubled";
  r.timestamps_ms = {kJan15 + 60'000, kJan15};
  r.values = {25, 14};
  out.results = {r};
  ExpectSameXml(FixtureXml("cloudwatch.GetMetricData.xml"),
                Xml(RenderXmlResponse(Operation::kGetMetricData, out, "r")));

  out.next_token = "tok";
  out.results[0].status_code = "PartialData";
  const nlohmann::json json = nlohmann::json::parse(RenderJsonResponse(out));
  EXPECT_EQ(json, nlohmann::json::parse(R"({"MetricDataResults": [{"Id": "e1", "Label": "Doubled",
      "Timestamps": [1736899260, 1736899200], "Values": [25.0, 14.0],
      "StatusCode": "PartialData"}], "NextToken": "tok", "Messages": []})"));
}

TEST_F(RenderTest, NoOutputOperations) {
  ExpectSameXml(FixtureXml("cloudwatch.PutMetricData.xml"),
                Xml(RenderXmlResponse(Operation::kPutMetricData, std::monostate(), "r")));
  EXPECT_EQ(RenderJsonResponse(std::monostate()), "{}");
}

TEST_F(RenderTest, ErrorsInBothProtocols) {
  const ApiError e{ErrorCode::kInvalidParameterValue,
                   "The value -1 for parameter Period is not valid."};
  ExpectSameXml(FixtureXml("cloudwatch.error.InvalidParameterValue.xml"),
                Xml(RenderXmlError(e, "r")));
  EXPECT_EQ(nlohmann::json::parse(RenderJsonError(e)),
            FixtureJson("cloudwatch.error.InvalidParameterValue.json"));
  EXPECT_EQ(QueryErrorHeader(e), "InvalidParameterValue;Sender");
}

TEST(RenderEscapingTest, AwkwardTextStaysWellFormedAndRoundTrips) {
  const std::string awkward = "a<b>&c \"q\" 'x' \xC3\xA9\r\nz";
  ListMetricsOutput out;
  out.metrics = {{"N&S", "M<1>", {{"Path", awkward}}}};
  const std::string xml = RenderXmlResponse(Operation::kListMetrics, out, "r");
  const XmlNode root = Xml(xml);
  const XmlNode* member = root.Child("ListMetricsResult")->Child("Metrics")->Child("member");
  ASSERT_NE(member, nullptr);
  EXPECT_EQ(member->Child("Namespace")->text, "N&S");
  EXPECT_EQ(member->Child("MetricName")->text, "M<1>");
  EXPECT_EQ(member->Child("Dimensions")->Child("member")->Child("Value")->text, awkward);

  const nlohmann::json json = nlohmann::json::parse(RenderJsonResponse(out));
  EXPECT_EQ(json["Metrics"][0]["Dimensions"][0]["Value"], awkward);

  const ApiError e{ErrorCode::kInvalidParameterValue, "bad <value> & \x01\xFF"};
  EXPECT_EQ(Xml(RenderXmlError(e, "r")).Child("Error")->Child("Message")->text, "bad <value> & ??");
  EXPECT_EQ(nlohmann::json::parse(RenderJsonError(e))["message"], "bad <value> & ??");
}

TEST(RenderTimestampTest, SubSecondTimestamps) {
  GetMetricDataOutput out;
  MetricDataResult r;
  r.id = "m";
  r.label = "m";
  r.timestamps_ms = {kJan15 + 250};
  r.values = {1};
  out.results = {r};
  const XmlNode xml = Xml(RenderXmlResponse(Operation::kGetMetricData, out, "r"));
  EXPECT_EQ(xml.Child("GetMetricDataResult")
                ->Child("MetricDataResults")
                ->Child("member")
                ->Child("Timestamps")
                ->Child("member")
                ->text,
            "2025-01-15T00:00:00.250Z");
  const nlohmann::json json = nlohmann::json::parse(RenderJsonResponse(out));
  EXPECT_DOUBLE_EQ(json["MetricDataResults"][0]["Timestamps"][0].get<double>(), 1736899200.25);
}

TEST(ErrorShapeTest, EveryCodeHasAWireForm) {
  for (int c = 0; c <= static_cast<int>(ErrorCode::kRequestExpired); ++c) {
    const ErrorInfo& info = GetErrorInfo(static_cast<ErrorCode>(c));
    EXPECT_FALSE(info.query_code.empty());
    EXPECT_FALSE(info.json_type.empty());
    EXPECT_GE(info.http_status, 400);
  }
  EXPECT_EQ(GetErrorInfo(ErrorCode::kMissingParameter).json_type,
            "com.amazonaws.cloudwatch#MissingRequiredParameterException");
  EXPECT_EQ(GetErrorInfo(ErrorCode::kInternalServiceError).http_status, 500);
  EXPECT_EQ(QueryErrorHeader({ErrorCode::kInternalServiceError, "x"}),
            "InternalServiceError;Receiver");
  EXPECT_EQ(GetErrorInfo(ErrorCode::kRequestEntityTooLarge).http_status, 413);
  EXPECT_EQ(GetErrorInfo(ErrorCode::kIncompleteSignature).http_status, 400);
  EXPECT_EQ(GetErrorInfo(ErrorCode::kSignatureDoesNotMatch).http_status, 403);
  const XmlNode xml = Xml(RenderXmlError({ErrorCode::kInternalServiceError, "boom"}, "r"));
  EXPECT_EQ(xml.Child("Error")->Child("Type")->text, "Receiver");
}

TEST(ErrorMappingTest, EngineStatusAndAuth) {
  EXPECT_EQ(ErrorFromStatus(InvalidArgumentError("too old")).code,
            ErrorCode::kInvalidParameterValue);
  EXPECT_EQ(ErrorFromStatus(InvalidArgumentError("too old")).message, "too old");
  EXPECT_EQ(ErrorFromStatus(UnavailableError("disk")).code, ErrorCode::kServiceUnavailable);
  EXPECT_EQ(ErrorFromStatus(FailedPreconditionError("closed")).code,
            ErrorCode::kServiceUnavailable);
  EXPECT_EQ(ErrorFromStatus(ResourceExhaustedError("many")).code, ErrorCode::kLimitExceeded);
  EXPECT_EQ(ErrorFromStatus(DataLossError("crc")).code, ErrorCode::kInternalServiceError);
  EXPECT_EQ(ErrorFromStatus(InternalError("bug")).code, ErrorCode::kInternalServiceError);
  const std::pair<auth::AuthError, ErrorCode> auth_cases[] = {
      {auth::AuthError::kMissingAuthenticationToken, ErrorCode::kMissingAuthenticationToken},
      {auth::AuthError::kIncompleteSignature, ErrorCode::kIncompleteSignature},
      {auth::AuthError::kInvalidClientTokenId, ErrorCode::kInvalidClientTokenId},
      {auth::AuthError::kSignatureDoesNotMatch, ErrorCode::kSignatureDoesNotMatch},
      {auth::AuthError::kRequestExpired, ErrorCode::kRequestExpired},
  };
  for (const auto& [in, want] : auth_cases) {
    const ApiError e = ErrorFromAuth(in, "msg");
    EXPECT_EQ(e.code, want);
    EXPECT_EQ(e.message, "msg");
  }
  const ApiError expired = ErrorFromAuth(auth::AuthError::kRequestExpired, "late");
  EXPECT_EQ(QueryErrorHeader(expired), "RequestExpired;Sender");
  EXPECT_EQ(nlohmann::json::parse(RenderJsonError(expired))["__type"], "RequestExpired");
}

}  // namespace
}  // namespace vigil::api
