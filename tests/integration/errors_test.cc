// Errors: authentication failures and CloudWatch's limits and parameter rules, as both aws
// CLIs report them ("An error occurred (CODE)", exit 254 for v2 / 255 for v1), plus raw
// requests the CLIs cannot make (oversized bodies in both protocols, a gzip bomb, a stale
// signature). Every one must be a clear 4xx, never a 5xx, and the server must keep answering.
#include <gtest/gtest.h>
#include <zlib.h>

#include "http/http.h"
#include "tests/integration/assertions.h"
#include "tests/integration/vigil_server.h"

namespace vigil::integration {
namespace {

using namespace std::chrono_literals;

constexpr char kNs[] = "Vigil/Errors";

testing::AssertionResult Healthy(const VigilServer& server) {
  auto r = server.Get("/healthz");
  if (r.ok() && r->status == 200) return testing::AssertionSuccess();
  return testing::AssertionFailure()
         << "/healthz: "
         << (r.ok() ? std::to_string(r->status) + " " + r->body : r.status().ToString())
         << "\nserver log:\n"
         << server.Logs();
}

class CliErrorsTest : public testing::TestWithParam<Cli> {
 protected:
  void SetUp() override {
    if (CliPath(GetParam()).empty()) GTEST_SKIP() << CliName(GetParam()) << " aws CLI not found";
    ASSERT_OK(server_.Start());
  }
  void TearDown() override {
    if (server_.running()) {
      EXPECT_TRUE(Healthy(server_));
      EXPECT_OK(server_.Stop());
    }
  }
  AwsResult Put(std::vector<std::string> args, const AwsOptions& options = {}) {
    args.insert(args.begin(), {"cloudwatch", "put-metric-data", "--namespace", kNs});
    return server_.RunAws(GetParam(), args, options);
  }
  std::string File(const std::string& name, const nlohmann::json& j) {
    return "file://" + server_.WriteScratchFile(name, j.dump());
  }

  VigilServer server_;
};

TEST_P(CliErrorsTest, AuthenticationFailures) {
  const Cli cli = GetParam();
  const std::vector<std::string> ok_put = {"--metric-name", "X", "--value", "1"};
  EXPECT_TRUE(AwsOk(Put(ok_put)));  // the credentials file works

  EXPECT_TRUE(AwsError(cli,
                       Put(ok_put, {.env = {{"AWS_ACCESS_KEY_ID", kAccessKeyId},
                                            {"AWS_SECRET_ACCESS_KEY", "wrong-secret"}}}),
                       "SignatureDoesNotMatch"));
  EXPECT_TRUE(AwsError(cli,
                       Put(ok_put, {.env = {{"AWS_ACCESS_KEY_ID", "AKIAUNKNOWNKEY000000"},
                                            {"AWS_SECRET_ACCESS_KEY", kSecretAccessKey}}}),
                       "InvalidClientTokenId"));
  if (FaketimePath().empty()) {
    ADD_FAILURE() << "faketime not found (Debian package faketime)";
  } else {
    // The client signs with a clock 20 minutes slow: beyond the 15-minute skew.
    EXPECT_TRUE(
        AwsError(cli, Put(ok_put, {.prefix = {FaketimePath(), "-f", "-20m"}}), "RequestExpired"));
  }
}

TEST_P(CliErrorsTest, ParameterRulesAndLimits) {
  const Cli cli = GetParam();
  EXPECT_TRUE(
      AwsError(cli, Put({"--metric-name", "X", "--value", "NaN"}), "InvalidParameterValue"));
  EXPECT_TRUE(AwsError(
      cli, Put({"--metric-data", R"([{"MetricName": "X", "Value": 1, "Values": [1, 2]}])"}),
      "InvalidParameterCombination"));

  {
    // Neither Statistics nor ExtendedStatistics. CloudWatch answers InvalidParameterCombination
    // ("Must specify either Statistics or ExtendedStatistics"); MissingParameter is also fair.
    const int64_t now = NowSeconds();
    AwsResult r = server_.RunAws(
        cli, {"cloudwatch", "get-metric-statistics", "--namespace", kNs, "--metric-name", "X",
              "--start-time", Iso8601(now - 600), "--end-time", Iso8601(now), "--period", "60"});
    EXPECT_TRUE(AwsError(cli, r, "InvalidParameterCombination") ||
                AwsError(cli, r, "MissingParameter"))
        << r.Describe();
  }

  nlohmann::json many = nlohmann::json::array();
  for (int i = 0; i < 1001; ++i) {
    many.push_back({{"MetricName", "M" + std::to_string(i)}, {"Value", i}});
  }
  EXPECT_TRUE(
      AwsError(cli, Put({"--metric-data", File("1001.json", many)}), "InvalidParameterValue"));

  nlohmann::json dims = nlohmann::json::array();
  for (int i = 0; i < 31; ++i) {
    dims.push_back({{"Name", "D" + std::to_string(i)}, {"Value", "v"}});
  }
  EXPECT_TRUE(AwsError(
      cli,
      Put({"--metric-data",
           File("31dims.json", nlohmann::json::array(
                                   {{{"MetricName", "X"}, {"Value", 1}, {"Dimensions", dims}}}))}),
      "InvalidParameterValue"));

  std::vector<double> values(151);
  for (int i = 0; i < 151; ++i) values[i] = i;
  EXPECT_TRUE(AwsError(
      cli,
      Put({"--metric-data", File("151values.json", nlohmann::json::array({{{"MetricName", "X"},
                                                                           {"Values", values}}}))}),
      "InvalidParameterValue"));

  {
    // Time and shape rules: two hours ahead / two weeks back at most, valid periods (coarser
    // for older data), at most 1,440 datapoints, a start before the end, matching
    // Values/Counts, known units.
    const int64_t now = NowSeconds();
    EXPECT_TRUE(AwsError(
        cli, Put({"--metric-name", "X", "--value", "1", "--timestamp", Iso8601(now + 3 * 3600)}),
        "InvalidParameterValue"));
    EXPECT_TRUE(AwsError(
        cli, Put({"--metric-name", "X", "--value", "1", "--timestamp", Iso8601(now - 15 * 86400)}),
        "InvalidParameterValue"));
    auto stats = [&](int64_t start, int64_t end, const std::string& period) {
      return server_.RunAws(
          cli, {"cloudwatch", "get-metric-statistics", "--namespace", kNs, "--metric-name", "X",
                "--start-time", Iso8601(start), "--end-time", Iso8601(end), "--period", period,
                "--statistics", "Sum"});
    };
    EXPECT_TRUE(AwsError(cli, stats(now - 3600, now, "61"), "InvalidParameterValue"));
    EXPECT_TRUE(AwsError(cli, stats(now - 2 * 86400, now, "60"), "InvalidParameterCombination"));
    EXPECT_TRUE(AwsError(cli, stats(now, now - 3600, "60"), "InvalidParameterValue"));
    // Past raw retention (15 days) data is kept at 5-minute resolution, past 63 days hourly:
    // CloudWatch's period rules for older data.
    EXPECT_TRUE(
        AwsError(cli, stats(now - 20 * 86400, now - 20 * 86400 + 36000, "60"), "InvalidParameterValue"));
    EXPECT_TRUE(AwsOk(stats(now - 20 * 86400, now - 20 * 86400 + 36000, "300")));
    EXPECT_TRUE(
        AwsError(cli, stats(now - 70 * 86400, now - 70 * 86400 + 36000, "300"), "InvalidParameterValue"));
    EXPECT_TRUE(AwsOk(stats(now - 70 * 86400, now - 70 * 86400 + 36000, "3600")));
    EXPECT_TRUE(AwsError(
        cli, Put({"--metric-data", R"([{"MetricName": "X", "Values": [1, 2], "Counts": [1]}])"}),
        "InvalidParameterValue"));
    EXPECT_TRUE(AwsError(cli, Put({"--metric-name", "X", "--value", "1", "--unit", "Bogus"}),
                         "InvalidParameterValue"));
  }

  // Nothing of the refused requests was stored (each is all-or-nothing).
  AwsResult r = server_.RunAws(cli, {"cloudwatch", "list-metrics", "--namespace", kNs});
  ASSERT_TRUE(AwsOk(r));
  EXPECT_EQ(r.Json().value("Metrics", nlohmann::json::array()).size(), 0u) << r.Describe();
}

INSTANTIATE_TEST_SUITE_P(Clis, CliErrorsTest, testing::ValuesIn(kBothClis), CliParamName);

// ---- raw requests ----

class RawErrorsTest : public testing::Test {
 protected:
  void SetUp() override { ASSERT_OK(server_.Start()); }
  void TearDown() override {
    if (server_.running()) {
      EXPECT_TRUE(Healthy(server_));
      EXPECT_OK(server_.Stop());
    }
  }

  // Sends a signed request; the response must be a 4xx in the protocol's error format.
  void ExpectClientError(
      HttpRequest request, bool json, const std::string& what,
      std::chrono::system_clock::time_point when = std::chrono::system_clock::now()) {
    SCOPED_TRACE(what);
    auto client = server_.NewClient();
    auto r = SendSigned(client.get(), server_.Key(), std::move(request), when);
    ASSERT_TRUE(r.ok()) << r.status().ToString() << "\nserver log:\n" << server_.Logs();
    EXPECT_GE(r->status, 400) << r->body;
    EXPECT_LT(r->status, 500) << r->body;
    // A 413 from the HTTP layer need not carry an AWS error document.
    if (r->status != 413) {
      if (json) {
        EXPECT_NE(r->body.find("__type"), std::string::npos) << r->body;
      } else {
        EXPECT_NE(r->body.find("<Code>"), std::string::npos) << r->body;
      }
    }
    last_body_ = r->body;
  }

  VigilServer server_;
  std::string last_body_;
};

TEST_F(RawErrorsTest, OversizedBodiesInBothProtocols) {
  HttpClient probe(server_.port());  // only for the Host value
  const std::string pad(1'100'000, 'a');
  ExpectClientError(
      CloudWatchQueryRequest(probe,
                             "Action=PutMetricData&Version=2010-08-01&Namespace=Big&"
                             "MetricData.member.1.MetricName=X&MetricData.member.1.Value=1&"
                             "MetricData.member.1.Dimensions.member.1.Name=Pad&"
                             "MetricData.member.1.Dimensions.member.1.Value=" +
                                 pad),
      false, "query body over 1 MB");
  ExpectClientError(CloudWatchJsonRequest(
                        probe, "PutMetricData",
                        R"({"Namespace": "Big", "MetricData": [{"MetricName": "X", "Value": 1, )"
                        R"("Dimensions": [{"Name": "Pad", "Value": ")" +
                            pad + R"("}]}]})"),
                    true, "JSON body over 1 MB");
  {
    // 200 KB on the wire, 2 MB once gunzipped: the limit applies after decompression.
    HttpRequest r = CloudWatchJsonRequest(
        probe, "PutMetricData",
        http::Gzip(R"({"Namespace": "Big", "MetricData": [{"MetricName": "X", "Value": 1}]})" +
             std::string(2'000'000, ' '), 9));
    r.headers.emplace_back("Content-Encoding", "gzip");
    ExpectClientError(std::move(r), true, "gzip body over 1 MB once inflated");
  }
  {
    // Past the HTTP layer's own limit (8 MB): refused before the handler runs.
    auto client = server_.NewClient();
    HttpRequest r = CloudWatchQueryRequest(*client, std::string(9 << 20, 'a'));
    auto resp = SendSigned(client.get(), server_.Key(), std::move(r));
    if (resp.ok()) {
      EXPECT_GE(resp->status, 400);
      EXPECT_LT(resp->status, 500);
    }  // (a reset connection without an answer is acceptable for 9 MB)
  }
  // Nothing was stored, and small requests still work.
  auto client = server_.NewClient();
  auto r = SendSigned(client.get(), server_.Key(),
                      CloudWatchJsonRequest(*client, "ListMetrics", R"({"Namespace": "Big"})"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(r->body.find("\"X\""), std::string::npos) << r->body;
}

TEST_F(RawErrorsTest, StaleSignatureUnsignedAndMalformed) {
  HttpClient probe(server_.port());
  const auto stale = std::chrono::system_clock::now() - 20min;
  const std::string form =
      "Action=PutMetricData&Version=2010-08-01&Namespace=A&MetricData.member.1.MetricName=X&"
      "MetricData.member.1.Value=1";
  const std::string json = R"({"Namespace": "A", "MetricData": [{"MetricName": "X", "Value": 1}]})";

  ExpectClientError(CloudWatchQueryRequest(probe, form), false, "query, signed 20 min ago", stale);
  EXPECT_NE(last_body_.find("RequestExpired"), std::string::npos) << last_body_;
  ExpectClientError(CloudWatchJsonRequest(probe, "PutMetricData", json), true,
                    "JSON, signed 20 min ago", stale);
  EXPECT_NE(last_body_.find("RequestExpired"), std::string::npos) << last_body_;
  ExpectClientError(CloudWatchQueryRequest(probe, form), false, "query, 20 min in the future",
                    std::chrono::system_clock::now() + 20min);
  EXPECT_NE(last_body_.find("RequestExpired"), std::string::npos) << last_body_;

  {
    SCOPED_TRACE("unsigned");
    auto client = server_.NewClient();
    auto r = client->Send(CloudWatchQueryRequest(*client, form));
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_GE(r->status, 400);
    EXPECT_LT(r->status, 500);
    EXPECT_NE(r->body.find("MissingAuthenticationToken"), std::string::npos) << r->body;
  }
  ExpectClientError(CloudWatchJsonRequest(probe, "PutMetricData", "{\"Namespace\": "), true,
                    "truncated JSON");
  ExpectClientError(CloudWatchJsonRequest(probe, "NoSuchOperation", "{}"), true,
                    "unknown JSON operation");
  ExpectClientError(CloudWatchQueryRequest(probe, "Action=NoSuchAction&Version=2010-08-01"), false,
                    "unknown query action");
  ExpectClientError(CloudWatchQueryRequest(probe,
                                           "Action=PutMetricData&Version=2010-08-01&"
                                           "Namespace=A&MetricData.member.1.MetricName=X&"
                                           "MetricData.member.1.Value=abc"),
                    false, "a value that is not a number");
  ExpectClientError(CloudWatchQueryRequest(probe,
                                           "Action=PutMetricData&Version=2010-08-01&"
                                           "MetricData.member.1.MetricName=X&"
                                           "MetricData.member.1.Value=1"),
                    false, "no namespace");
  ExpectClientError(
      CloudWatchJsonRequest(
          probe, "PutMetricData",
          R"({"Namespace": "A", "MetricData": [{"MetricName": "X", "Value": 1e999}]})"),
      true, "an infinite value");
  ExpectClientError(CloudWatchJsonRequest(probe, "ListMetrics", R"({"NextToken": "garbage"})"),
                    true, "a forged ListMetrics token");
  EXPECT_NE(last_body_.find("InvalidNextToken"), std::string::npos) << last_body_;
  ExpectClientError(CloudWatchQueryRequest(probe,
                                           "Action=ListMetrics&Version=2010-08-01&"
                                           "NextToken=garbage"),
                    false, "a forged ListMetrics token (query)");
  EXPECT_NE(last_body_.find("InvalidNextToken"), std::string::npos) << last_body_;
  const int64_t now = NowSeconds();
  ExpectClientError(
      CloudWatchJsonRequest(
          probe, "GetMetricData",
          R"({"MetricDataQueries": [{"Id": "m1", "MetricStat": {"Metric": {"Namespace": "A", )"
          R"("MetricName": "X"}, "Period": 60, "Stat": "Sum"}}], "StartTime": )" +
              std::to_string(now - 600) + R"(, "EndTime": )" + std::to_string(now) +
              R"(, "NextToken": "garbage"})"),
      true, "a forged GetMetricData token");
  EXPECT_NE(last_body_.find("InvalidNextToken"), std::string::npos) << last_body_;
}

}  // namespace
}  // namespace vigil::integration
