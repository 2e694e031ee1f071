// CloudWatch's parameter rules, as tables run in both protocols: each case is written once as
// a JSON input, sent as a JSON 1.0 body and as the equivalent query-protocol form, and must get
// the same answer from both.
#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "api/cloudwatch_decode.h"
#include "api/cloudwatch_ops.h"
#include "api/testing/fake_db.h"

namespace vigil::api {
namespace {

using Json = nlohmann::json;

constexpr int64_t kNow = 1736899200000;  // 2025-01-15T00:00:00Z

std::string UrlEncode(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else if (c == ' ') {
      out += '+';
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

// The query protocol's flattening of a JSON input (NOTES §3).
void Flatten(const Json& v, const std::string& prefix, std::string* body) {
  if (v.is_object()) {
    for (const auto& [k, child] : v.items())
      Flatten(child, prefix.empty() ? k : prefix + "." + k, body);
    return;
  }
  if (v.is_array()) {
    if (v.empty()) *body += "&" + UrlEncode(prefix) + "=";
    for (size_t i = 0; i < v.size(); ++i) {
      Flatten(v[i], prefix + ".member." + std::to_string(i + 1), body);
    }
    return;
  }
  std::string text;
  if (v.is_string()) {
    text = v.get<std::string>();
  } else if (v.is_boolean()) {
    text = v.get<bool>() ? "true" : "false";
  } else {
    text = v.dump();
  }
  *body += "&" + UrlEncode(prefix) + "=" + UrlEncode(text);
}

std::string QueryBody(Operation op, const Json& input) {
  std::string body = "Action=" + std::string(OperationName(op)) + "&Version=2010-08-01";
  Flatten(input, "", &body);
  return body;
}

// nullopt on success, else the error code.
std::optional<ErrorCode> RunDecoded(ApiOr<DecodedRequest> decoded, std::string* message) {
  if (!decoded.ok()) {
    *message = decoded.error().message;
    return decoded.error().code;
  }
  testing::FakeDb db;
  auto out = Execute(decoded.value(), db, kNow);
  if (!out.ok()) {
    *message = out.error().message;
    return out.error().code;
  }
  return std::nullopt;
}

std::optional<ErrorCode> RunQuery(Operation, std::string_view body, std::string* message) {
  std::string action;
  return RunDecoded(DecodeQueryRequest(body, &action), message);
}

std::optional<ErrorCode> RunJson(Operation op, std::string_view body, std::string* message) {
  return RunDecoded(DecodeJsonRequest(OperationName(op), body), message);
}

struct Case {
  std::string name;
  Json input;
  std::optional<ErrorCode> want;
  std::string message_part = "";
};

void RunTable(Operation op, const std::vector<Case>& cases) {
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    std::string qmsg, jmsg;
    const auto q = RunQuery(op, QueryBody(op, c.input), &qmsg);
    const auto j = RunJson(op, c.input.dump(), &jmsg);
    EXPECT_EQ(q, c.want) << "query: " << qmsg;
    EXPECT_EQ(j, c.want) << "json: " << jmsg;
    if (c.want) {
      EXPECT_EQ(qmsg, jmsg);
    }
    if (!c.message_part.empty()) {
      EXPECT_NE(qmsg.find(c.message_part), std::string::npos) << qmsg;
    }
  }
}

constexpr auto kIPV = ErrorCode::kInvalidParameterValue;
constexpr auto kMP = ErrorCode::kMissingParameter;
constexpr auto kIPC = ErrorCode::kInvalidParameterCombination;
constexpr std::optional<ErrorCode> kOk = std::nullopt;

Json Datum(Json extra = Json::object()) {
  Json d = {{"MetricName", "X"}, {"Value", 1}};
  for (const auto& [k, v] : extra.items()) d[k] = v;
  for (auto it = d.begin(); it != d.end();) it = it->is_null() ? d.erase(it) : std::next(it);
  return d;
}

Json Put(Json datums, Json ns = "App") {
  Json in = {{"MetricData", datums}};
  if (!ns.is_null()) in["Namespace"] = ns;
  return in;
}

Json Dims(int n, const std::string& value = "v") {
  Json dims = Json::array();
  for (int i = 0; i < n; ++i) dims.push_back({{"Name", "D" + std::to_string(i)}, {"Value", value}});
  return dims;
}

TEST(PutMetricDataValidationTest, BothProtocols) {
  const Json one = Json::array({Datum()});
  Json thousand = Json::array();
  for (int i = 0; i < 1001; ++i)
    thousand.push_back(Datum({{"MetricName", "M" + std::to_string(i)}}));
  Json exactly_thousand = thousand;
  exactly_thousand.erase(exactly_thousand.size() - 1);
  std::vector<double> values151(151, 1.0), values150(150, 1.0);
  const Json stat_set = {{"SampleCount", 2}, {"Sum", 3}, {"Minimum", 1}, {"Maximum", 2}};
  const double big = std::ldexp(1.0, 360);

  RunTable(
      Operation::kPutMetricData,
      {
          {"ok", Put(one), kOk},
          {"no namespace", Put(one, nullptr), kMP, "Namespace"},
          {"AWS/ namespace", Put(one, "AWS/EC2"), kIPV, "AWS/EC2"},
          {"empty namespace", Put(one, ""), kIPV},
          {"colon namespace", Put(one, ":x"), kIPV},
          {"long namespace", Put(one, std::string(256, 'n')), kIPV},
          {"255-char namespace", Put(one, std::string(255, 'n')), kOk},
          {"no metric data", Json{{"Namespace", "App"}}, kMP, "MetricData"},
          {"empty metric data", Put(Json::array()), kMP},
          {"1001 datums", Put(thousand), kIPV, "1000"},
          {"1000 datums", Put(exactly_thousand), kOk},
          {"no metric name", Put({Datum({{"MetricName", nullptr}})}), kMP,
           "MetricData.member.1.MetricName"},
          {"empty metric name", Put({Datum({{"MetricName", ""}})}), kIPV},
          {"31 dimensions", Put({Datum({{"Dimensions", Dims(31)}})}), kIPV, "30"},
          {"30 dimensions", Put({Datum({{"Dimensions", Dims(30)}})}), kOk},
          {"dimension without value", Put({Datum({{"Dimensions", {{{"Name", "H"}}}}})}), kMP,
           "MetricData.member.1.Dimensions.member.1.Value"},
          {"dimension without name", Put({Datum({{"Dimensions", {{{"Value", "v"}}}}})}), kMP},
          {"empty dimension name", Put({Datum({{"Dimensions", {{{"Name", ""}, {"Value", "v"}}}}})}),
           kIPV},
          {"empty dimension value", Put({Datum({{"Dimensions", Dims(1, "")}})}), kIPV},
          {"256-char dimension name",
           Put({Datum({{"Dimensions", {{{"Name", std::string(256, 'd')}, {"Value", "v"}}}}})}),
           kIPV},
          {"1025-char dimension value",
           Put({Datum({{"Dimensions", Dims(1, std::string(1025, 'v'))}})}), kIPV},
          {"1024-char dimension value",
           Put({Datum({{"Dimensions", Dims(1, std::string(1024, 'v'))}})}), kOk},
          {"control character in a value", Put({Datum({{"Dimensions", Dims(1, "a\x01")}})}), kIPV},
          {"duplicate dimension names",
           Put({Datum({{"Dimensions",
                        {{{"Name", "H"}, {"Value", "a"}}, {{"Name", "H"}, {"Value", "b"}}}}})}),
           kIPV, "more than once"},
          {"Value and Values", Put({Datum({{"Values", {1, 2}}})}), kIPC, "mutually exclusive"},
          {"Value and StatisticValues", Put({Datum({{"StatisticValues", stat_set}})}), kIPC},
          {"Values and StatisticValues",
           Put({Datum({{"Value", nullptr}, {"Values", {1}}, {"StatisticValues", stat_set}})}),
           kIPC},
          {"no value at all", Put({Datum({{"Value", nullptr}})}), kMP, "At least one of"},
          {"151 values", Put({Datum({{"Value", nullptr}, {"Values", values151}})}), kIPV, "150"},
          {"150 values", Put({Datum({{"Value", nullptr}, {"Values", values150}})}), kOk},
          {"counts of another length",
           Put({Datum({{"Value", nullptr}, {"Values", {1, 2}}, {"Counts", {1}}})}), kIPV},
          {"counts without values", Put({Datum({{"Counts", {1}}})}), kIPC},
          {"zero count", Put({Datum({{"Value", nullptr}, {"Values", {1}}, {"Counts", {0}}})}),
           kIPV},
          {"negative count", Put({Datum({{"Value", nullptr}, {"Values", {1}}, {"Counts", {-1}}})}),
           kIPV},
          {"values and counts",
           Put({Datum({{"Value", nullptr}, {"Values", {1, 2}}, {"Counts", {3, 4}}})}), kOk},
          {"2^360", Put({Datum({{"Value", big}})}), kOk},
          {"beyond 2^360", Put({Datum({{"Value", big * 2}})}), kIPV, "MetricData.member.1.Value"},
          {"beyond -2^360", Put({Datum({{"Value", -big * 2}})}), kIPV},
          {"below 2^-260", Put({Datum({{"Value", std::ldexp(1.0, -261)}})}), kIPV},
          {"2^-260", Put({Datum({{"Value", std::ldexp(1.0, -260)}})}), kOk},
          {"zero", Put({Datum({{"Value", 0}})}), kOk},
          {"value out of range in Values",
           Put({Datum({{"Value", nullptr}, {"Values", {1, big * 2}}})}), kIPV,
           "MetricData.member.1.Values.member.2"},
          {"statistic set", Put({Datum({{"Value", nullptr}, {"StatisticValues", stat_set}})}), kOk},
          {"statistic set without Sum",
           Put({Datum(
               {{"Value", nullptr},
                {"StatisticValues", {{"SampleCount", 1}, {"Minimum", 1}, {"Maximum", 1}}}})}),
           kMP, "StatisticValues.Sum"},
          {"statistic set with SampleCount 0",
           Put({Datum({{"Value", nullptr},
                       {"StatisticValues",
                        {{"SampleCount", 0}, {"Sum", 0}, {"Minimum", 1}, {"Maximum", 1}}}})}),
           kIPV},
          {"statistic set with Minimum > Maximum",
           Put({Datum({{"Value", nullptr},
                       {"StatisticValues",
                        {{"SampleCount", 1}, {"Sum", 1}, {"Minimum", 2}, {"Maximum", 1}}}})}),
           kIPV},
          {"storage resolution 30", Put({Datum({{"StorageResolution", 30}})}), kIPV},
          {"storage resolution 1", Put({Datum({{"StorageResolution", 1}})}), kOk},
          {"storage resolution 60", Put({Datum({{"StorageResolution", 60}})}), kOk},
          {"unknown unit", Put({Datum({{"Unit", "Furlongs"}})}), kIPV, "Furlongs"},
          {"Count/Second", Put({Datum({{"Unit", "Count/Second"}})}), kOk},
          {"value that is not a number", Put({Datum({{"Value", "abc"}})}), kIPV, "abc"},
          {"timestamp that is not a time", Put({Datum({{"Timestamp", "yesterday"}})}), kIPV},
          {"timestamp", Put({Datum({{"Timestamp", "2025-01-15T00:00:00Z"}})}), kOk},
          {"datum that is not a structure", Put({1}), kIPV},
      });
}

TEST(PutMetricDataValidationTest, NonFiniteNumbers) {
  // Only text can carry NaN/Infinity. A JSON literal beyond double range is not valid JSON to
  // the parser: a clear InvalidFormat.
  for (const char* v : {"NaN", "nan", "Infinity", "-inf", "1e999", "-1e999"}) {
    std::string msg;
    EXPECT_EQ(RunQuery(Operation::kPutMetricData,
                       std::string("Action=PutMetricData&Version=2010-08-01&Namespace=A&"
                                   "MetricData.member.1.MetricName=X&MetricData.member.1.Value=") +
                           v,
                       &msg),
              kIPV)
        << v;
  }
  std::string msg;
  EXPECT_EQ(
      RunJson(Operation::kPutMetricData,
              R"({"Namespace": "A", "MetricData": [{"MetricName": "X", "Value": 1e999}]})", &msg),
      ErrorCode::kInvalidFormat);
  EXPECT_NE(msg.find("1e999"), std::string::npos) << msg;
  EXPECT_EQ(
      RunJson(Operation::kPutMetricData,
              R"({"Namespace": "A", "MetricData": [{"MetricName": "X", "Value": -1e999}]})", &msg),
      ErrorCode::kInvalidFormat);
}

TEST(PutMetricDataValidationTest, NumberSpellingsOfPython) {
  for (const char* v : {"3", "100.0", "1E%2B2", "1e-07", "1e%2B21", "-0.5"}) {
    std::string msg;
    EXPECT_EQ(RunQuery(Operation::kPutMetricData,
                       std::string("Action=PutMetricData&Version=2010-08-01&Namespace=A&"
                                   "MetricData.member.1.MetricName=X&MetricData.member.1.Value=") +
                           v,
                       &msg),
              kOk)
        << v << ": " << msg;
  }
}

Json Stats(Json extra = Json::object()) {
  Json in = {{"Namespace", "App"},
             {"MetricName", "Latency"},
             {"StartTime", 1736899200},
             {"EndTime", 1736902800},
             {"Period", 60},
             {"Statistics", {"Average"}}};
  for (const auto& [k, v] : extra.items()) {
    if (v.is_null()) {
      in.erase(k);
    } else {
      in[k] = v;
    }
  }
  return in;
}

TEST(GetMetricStatisticsValidationTest, BothProtocols) {
  RunTable(
      Operation::kGetMetricStatistics,
      {
          {"ok", Stats(), kOk},
          {"no namespace", Stats({{"Namespace", nullptr}}), kMP},
          {"no metric name", Stats({{"MetricName", nullptr}}), kMP},
          {"no start", Stats({{"StartTime", nullptr}}), kMP, "StartTime"},
          {"no end", Stats({{"EndTime", nullptr}}), kMP},
          {"no period", Stats({{"Period", nullptr}}), kMP},
          {"period 0", Stats({{"Period", 0}}), kIPV},
          {"period 7", Stats({{"Period", 7}}), kIPV, "multiple of 60"},
          {"period 1", Stats({{"Period", 1}, {"EndTime", 1736899300}}), kOk},
          {"period 5, 10, 30", Stats({{"Period", 30}}), kOk},
          {"period 120", Stats({{"Period", 120}}), kOk},
          {"no statistics", Stats({{"Statistics", nullptr}}), kMP},
          {"unknown statistic", Stats({{"Statistics", {"Median"}}}), kIPV, "Median"},
          {"percentile in Statistics", Stats({{"Statistics", {"p99"}}}), kIPV},
          {"six statistics",
           Stats({{"Statistics", {"Average", "Sum", "Minimum", "Maximum", "SampleCount", "Sum"}}}),
           kIPV},
          {"extended only",
           Stats({{"Statistics", nullptr}, {"ExtendedStatistics", {"p99", "p99.9", "p0", "p100"}}}),
           kOk},
          {"p100.5", Stats({{"ExtendedStatistics", {"p100.5"}}}), kIPV},
          {"p99.999", Stats({{"ExtendedStatistics", {"p99.999"}}}), kIPV},
          {"q99", Stats({{"ExtendedStatistics", {"q99"}}}), kIPV},
          {"p", Stats({{"ExtendedStatistics", {"p"}}}), kIPV},
          {"eleven in total",
           Stats({{"Statistics", {"Average", "Sum", "Minimum", "Maximum", "SampleCount"}},
                  {"ExtendedStatistics", {"p1", "p2", "p3", "p4", "p5", "p6"}}}),
           kIPC},
          {"start equals end", Stats({{"EndTime", 1736899200}}), kIPV, "StartTime"},
          {"1441 datapoints", Stats({{"EndTime", 1736899200 + 1441 * 60}}), kIPC,
           "You have requested up to 1441 datapoints, which exceeds the limit of 1440"},
          {"1440 datapoints", Stats({{"EndTime", 1736899200 + 1440 * 60}}), kOk},
          {"unknown unit", Stats({{"Unit", "Parsecs"}}), kIPV},
          {"dimensions", Stats({{"Dimensions", Dims(2)}}), kOk},
          {"31 dimensions", Stats({{"Dimensions", Dims(31)}}), kIPV},
          {"period not an integer", Stats({{"Period", "sixty"}}), kIPV},
      });
}

Json Query(const std::string& id, Json extra = Json::object()) {
  Json q = {{"Id", id},
            {"MetricStat",
             {{"Metric", {{"Namespace", "App"}, {"MetricName", "Latency"}}},
              {"Period", 60},
              {"Stat", "Average"}}}};
  for (const auto& [k, v] : extra.items()) {
    if (v.is_null()) {
      q.erase(k);
    } else {
      q[k] = v;
    }
  }
  return q;
}

Json Data(Json queries, Json extra = Json::object()) {
  Json in = {{"StartTime", 1736899200}, {"EndTime", 1736902800}};
  if (!queries.is_null()) in["MetricDataQueries"] = queries;
  for (const auto& [k, v] : extra.items()) {
    if (v.is_null()) {
      in.erase(k);
    } else {
      in[k] = v;
    }
  }
  return in;
}

TEST(GetMetricDataValidationTest, BothProtocols) {
  const auto stat_with = [](const char* key, Json value) {
    Json ms = {{"Metric", {{"Namespace", "App"}, {"MetricName", "Latency"}}},
               {"Period", 60},
               {"Stat", "Average"}};
    if (value.is_null()) {
      ms.erase(key);
    } else {
      ms[key] = value;
    }
    return ms;
  };
  Json many = Json::array();
  for (int i = 0; i < 501; ++i) many.push_back(Query("q" + std::to_string(i)));
  RunTable(
      Operation::kGetMetricData,
      {
          {"ok", Data({Query("m1")}), kOk},
          {"no queries", Data(nullptr), kMP},
          {"501 queries", Data(many), kIPV},
          {"no id", Data({Query("m1", {{"Id", nullptr}})}), kMP},
          {"upper-case id", Data({Query("M1")}), kIPV},
          {"id starting with a digit", Data({Query("1m")}), kIPV},
          {"id with a dash", Data({Query("m-1")}), kIPV},
          {"duplicate ids", Data({Query("m1"), Query("m1")}), kIPV},
          {"expression",
           Data({Query("m1"), Query("e1", {{"MetricStat", nullptr}, {"Expression", "m1 * 2"}})}),
           kOk},
          {"expression syntax",
           Data({Query("m1"), Query("e1", {{"MetricStat", nullptr}, {"Expression", "m1 * )"}})}),
           kIPV, "MetricDataQueries.member.2.Expression is not valid: Syntax error at position 6"},
          {"expression unknown id",
           Data({Query("m1"), Query("e1", {{"MetricStat", nullptr}, {"Expression", "m9 + 1"}})}),
           kIPV, "uses the id m9, which no query of the request has"},
          {"expression cycle",
           Data({Query("e1", {{"MetricStat", nullptr}, {"Expression", "e2 + 1"}}),
                 Query("e2", {{"MetricStat", nullptr}, {"Expression", "e1 * 2"}})}),
           kIPV, "cycle"},
          {"expression unknown function",
           Data({Query("m1"), Query("e1", {{"MetricStat", nullptr}, {"Expression", "NOPE(m1)"}})}),
           kIPV, "NOPE"},
          {"expression and metric stat", Data({Query("e1", {{"Expression", "m1"}})}), kIPC},
          {"neither", Data({Query("m1", {{"MetricStat", nullptr}})}), kMP},
          {"no metric", Data({Query("m1", {{"MetricStat", stat_with("Metric", nullptr)}})}), kMP},
          {"no stat", Data({Query("m1", {{"MetricStat", stat_with("Stat", nullptr)}})}), kMP},
          {"unknown stat", Data({Query("m1", {{"MetricStat", stat_with("Stat", "Median")}})}),
           kIPV},
          {"percentile stat", Data({Query("m1", {{"MetricStat", stat_with("Stat", "p99.5")}})}),
           kOk},
          {"period 7", Data({Query("m1", {{"MetricStat", stat_with("Period", 7)}})}), kIPV},
          {"no period", Data({Query("m1", {{"MetricStat", stat_with("Period", nullptr)}})}), kMP},
          {"bad unit", Data({Query("m1", {{"MetricStat", stat_with("Unit", "Apples")}})}), kIPV},
          {"max datapoints 0", Data({Query("m1")}, {{"MaxDatapoints", 0}}), kIPV},
          {"scan by sideways", Data({Query("m1")}, {{"ScanBy", "Sideways"}}), kIPV},
          {"ascending", Data({Query("m1")}, {{"ScanBy", "TimestampAscending"}}), kOk},
          {"start after end",
           Data({Query("m1")}, {{"StartTime", 1736902800}, {"EndTime", 1736899200}}), kIPV},
          {"no start", Data({Query("m1")}, {{"StartTime", nullptr}}), kMP},
          {"bad token", Data({Query("m1")}, {{"NextToken", "bm9wZQ=="}}),
           ErrorCode::kInvalidNextToken},
          {"return data false", Data({Query("m1", {{"ReturnData", false}})}), kOk},
      {"label", Data({Query("m1", {{"Label", "p99 of <all> & more"}})}), kOk},
      {"label with a control character", Data({Query("m1", {{"Label", "a\x01b"}})}), kIPV},
      });
}

TEST(ListMetricsValidationTest, BothProtocols) {
  Json filters = Json::array();
  for (int i = 0; i < 11; ++i) filters.push_back({{"Name", "D" + std::to_string(i)}});
  RunTable(
      Operation::kListMetrics,
      {
          {"everything", Json::object(), kOk},
          {"filters",
           Json{{"Namespace", "App"},
                {"MetricName", "M"},
                {"Dimensions", {{{"Name", "Host"}, {"Value", "a"}}, {{"Name", "Env"}}}}},
           kOk},
          {"11 filters", Json{{"Dimensions", filters}}, kIPV},
          {"filter without name", Json{{"Dimensions", {{{"Value", "a"}}}}}, kMP},
          {"recently active", Json{{"RecentlyActive", "PT3H"}}, kOk},
          {"recently active PT1H", Json{{"RecentlyActive", "PT1H"}}, kIPV},
          {"garbage token", Json{{"NextToken", "page-2-token"}}, ErrorCode::kInvalidNextToken},
          {"token of a key", Json{{"NextToken", EncodeListToken({"A", "B", {{"k", "v"}}})}}, kOk},
          {"empty namespace", Json{{"Namespace", ""}}, kIPV},
      });
}

TEST(QueryEnvelopeTest, ActionAndVersion) {
  std::string action;
  auto r = DecodeQueryRequest("Version=2010-08-01", &action);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kMissingAction);
  r = DecodeQueryRequest("Action=ListMetrics", &action);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, kMP);
  EXPECT_EQ(action, "ListMetrics");
  r = DecodeQueryRequest("Action=ListMetrics&Version=2011-01-01", &action);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidAction);
  r = DecodeQueryRequest("Action=GetDashboard&Version=2010-08-01", &action);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidAction);
  EXPECT_EQ(r.error().message, "The action GetDashboard is not valid for this web service.");
  r = DecodeQueryRequest("Action=ListMetrics&Version=2010-08-01&Namespace=%ZZ", &action);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kMalformedQueryString);
  r = DecodeQueryRequest("Version=2010-08-01&Action=ListMetrics", &action);
  EXPECT_TRUE(r.ok());  // order does not matter
}

TEST(JsonEnvelopeTest, OperationsAndBodies) {
  auto r = DecodeJsonRequest("GetDashboard", "{}");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidAction);
  r = DecodeJsonRequest("NoSuchOperation", "{}");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kUnknownOperation);
  for (const char* bad : {"{\"Namespace\": ", "[]", "\"x\"", "nul", "{\"a\": \"\xFF\"}"}) {
    r = DecodeJsonRequest("ListMetrics", bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidFormat) << bad;
  }
  EXPECT_TRUE(DecodeJsonRequest("ListMetrics", "").ok());  // no body: no members
  EXPECT_TRUE(DecodeJsonRequest("ListMetrics", "{\"Namespace\": null}").ok());
  r = DecodeJsonRequest("ListMetrics", "{\"Namespace\": 5}");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, kIPV);
  // Fractional epoch seconds.
  r = DecodeJsonRequest("GetMetricStatistics", R"({"StartTime": 1736899200.25})");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(std::get<GetMetricStatisticsInput>(r->input).start_ms, 1736899200250);
}

}  // namespace
}  // namespace vigil::api
