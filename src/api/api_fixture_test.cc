// Every captured aws CLI request (compat/awscli/requests, both protocols) decodes into the
// internal input with the fields the command line gave.
#include <gtest/gtest.h>

#include <cstdio>

#include "api/cloudwatch_decode.h"
#include "api/cloudwatch_ops.h"
#include "api/testing/fixtures.h"

namespace vigil::api {
namespace {

using testing::CompatDir;
using testing::HttpFixture;

constexpr int64_t kJan15 = 1736899200000;  // 2025-01-15T00:00:00Z
constexpr int64_t kNow = 1795000000000;

struct Decoded {
  std::string op_name;
  ApiOr<DecodedRequest> request;
};

Decoded Decode(const HttpFixture& f) {
  std::string body = f.body;
  if (f.Header("Content-Encoding") == "gzip") body = testing::GunzipForTest(f.body);
  if (auto target = f.Header("X-Amz-Target")) {
    const std::string op = target->substr(target->find('.') + 1);
    return {op, DecodeJsonRequest(op, body)};
  }
  std::string action;
  auto request = DecodeQueryRequest(body, &action);
  return {action, std::move(request)};
}

// A copy, so that `const auto& in = Input<T>(Load(..))` extends the copy's lifetime.
template <typename T>
T Input(const Decoded& d) {
  EXPECT_TRUE(d.request.ok()) << d.request.error().message;
  if (!d.request.ok()) return T{};
  return std::get<T>(d.request.value().input);
}

class FixtureTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = CompatDir();
    if (dir_.empty()) GTEST_SKIP() << "compat/awscli fixtures not found";
  }
  Decoded Load(const std::string& name) {
    auto f = testing::LoadHttpFixture(dir_ + "/" + name);
    EXPECT_TRUE(f.ok()) << f.status().ToString();
    if (!f.ok()) return {"", ApiError{ErrorCode::kInternalServiceError, "no fixture"}};
    return Decode(f.value());
  }
  std::string dir_;
};

TEST_F(FixtureTest, EveryCloudWatchFixtureDecodes) {
  int decoded = 0, unimplemented = 0;
  for (const char* sub :
       {"requests", "requests/newer-botocore", "requests/errors", "requests/variants"}) {
    for (const std::string& path : testing::ListHttpFixtures(dir_ + "/" + sub)) {
      if (path.find("/cloudwatch.") == std::string::npos) continue;
      SCOPED_TRACE(path);
      auto f = testing::LoadHttpFixture(path);
      ASSERT_TRUE(f.ok()) << f.status().ToString();
      const Decoded d = Decode(f.value());
      const std::string file_op = path.substr(path.find("/cloudwatch.") + 12);
      EXPECT_TRUE(file_op.starts_with(d.op_name + ".")) << d.op_name;
      if (ParseOperation(d.op_name)) {
        EXPECT_TRUE(d.request.ok()) << d.request.error().message;
        ++decoded;
      } else {
        ASSERT_FALSE(d.request.ok());
        EXPECT_EQ(d.request.error().code, ErrorCode::kInvalidAction);
        EXPECT_EQ(d.request.error().message,
                  "The action " + d.op_name + " is not valid for this web service.");
        ++unimplemented;
      }
    }
  }
  EXPECT_GE(decoded, 34);
  EXPECT_EQ(unimplemented, 0);
}

TEST_F(FixtureTest, AlarmOperations) {
  {
    const auto& in = Input<PutMetricAlarmInput>(Load("requests/cloudwatch.PutMetricAlarm.1.http"));
    EXPECT_EQ(in.alarm_name, "HighLatency");
    EXPECT_EQ(in.alarm_description, "Latency above 100 ms");
    EXPECT_EQ(in.actions.ok_actions, std::vector<std::string>{"http://127.0.0.1:9999/ok"});
    EXPECT_EQ(in.actions.alarm_actions,
              (std::vector<std::string>{"http://127.0.0.1:9999/hook",
                                        "arn:aws:sns:us-east-1:123456789012:ops"}));
    ASSERT_EQ(in.dimensions.size(), 1u);
    EXPECT_EQ(in.dimensions[0].name, "Host");
    EXPECT_EQ(in.period, 60);
    EXPECT_EQ(in.evaluation_periods, 5);
    EXPECT_EQ(in.datapoints_to_alarm, 3);
    EXPECT_EQ(in.threshold, 100.0);
    EXPECT_EQ(in.comparison_operator, "GreaterThanThreshold");
    EXPECT_EQ(in.treat_missing_data, "notBreaching");
    EXPECT_EQ(in.unit, "Milliseconds");
  }
  {
    const auto& in = Input<PutMetricAlarmInput>(Load("requests/cloudwatch.PutMetricAlarm.2.http"));
    EXPECT_EQ(in.extended_statistic, "p99");
    EXPECT_EQ(in.actions.actions_enabled, false);
    ASSERT_EQ(in.tags.size(), 1u);
    EXPECT_EQ(in.tags[0].key, "team");
  }
  {
    const auto& in = Input<DescribeAlarmsInput>(Load("requests/cloudwatch.DescribeAlarms.2.http"));
    EXPECT_EQ(in.alarm_names, (std::vector<std::string>{"HighLatency", "P99Latency"}));
    EXPECT_EQ(in.state_value, "ALARM");
    EXPECT_EQ(in.max_records, 50);
  }
  {
    const auto& in =
        Input<DescribeAlarmHistoryInput>(Load("requests/cloudwatch.DescribeAlarmHistory.1.http"));
    EXPECT_EQ(in.alarm_name, "HighLatency");
    EXPECT_EQ(in.history_item_type, "StateUpdate");
    EXPECT_TRUE(in.start_ms.has_value() && in.end_ms.has_value());
  }
  {
    const auto& in = Input<SetAlarmStateInput>(Load("requests/cloudwatch.SetAlarmState.1.http"));
    EXPECT_EQ(in.state_reason, "manual test");
    EXPECT_EQ(in.state_reason_data, "{\"k\":1}");
  }
  {
    const auto& in = Input<AlarmNamesInput>(Load("requests/cloudwatch.DeleteAlarms.1.http"));
    EXPECT_EQ(in.alarm_names, (std::vector<std::string>{"HighLatency", "P99Latency"}));
  }
}

TEST_F(FixtureTest, PutMetricDataShapes) {
  {
    const auto& in = Input<PutMetricDataInput>(Load("requests/cloudwatch.PutMetricData.1.http"));
    EXPECT_EQ(in.ns, "MyApp");
    ASSERT_EQ(in.metric_data->size(), 1u);
    const MetricDatumInput& d = (*in.metric_data)[0];
    EXPECT_EQ(d.metric_name, "Latency");
    EXPECT_EQ(d.value, 12.5);
    EXPECT_FALSE(d.timestamp_ms || d.unit || d.values || d.statistic_values);
    auto batch = PlanPutMetricData(in, kNow);
    ASSERT_TRUE(batch.ok()) << batch.error().message;
    ASSERT_EQ(batch->size(), 1u);
    EXPECT_EQ((*batch)[0].key, (tsdb::SeriesKey{"MyApp", "Latency", {}}));
    EXPECT_EQ((*batch)[0].unit, "None");
    ASSERT_EQ((*batch)[0].raw.size(), 1u);
    EXPECT_EQ((*batch)[0].raw[0].timestamp_ms, kNow);
    EXPECT_EQ((*batch)[0].raw[0].value, 12.5);
  }
  {
    const auto& in = Input<PutMetricDataInput>(Load("requests/cloudwatch.PutMetricData.2.http"));
    const MetricDatumInput& d = (*in.metric_data)[0];
    EXPECT_EQ(d.value, 3);
    ASSERT_EQ(d.dimensions.size(), 2u);
    EXPECT_EQ(d.dimensions[0].name, "Host");
    EXPECT_EQ(d.dimensions[0].value, "web-1");
    EXPECT_EQ(d.dimensions[1].name, "Env");
    EXPECT_EQ(d.dimensions[1].value, "prod");
    auto batch = PlanPutMetricData(in, kNow);
    ASSERT_TRUE(batch.ok());
    // Canonical order: sorted by name.
    EXPECT_EQ((*batch)[0].key.dimensions,
              (std::vector<tsdb::Dimension>{{"Env", "prod"}, {"Host", "web-1"}}));
  }
  {
    const auto& in = Input<PutMetricDataInput>(Load("requests/cloudwatch.PutMetricData.3.http"));
    const MetricDatumInput& d = (*in.metric_data)[0];
    ASSERT_TRUE(d.statistic_values);
    EXPECT_EQ(d.statistic_values->sum, 100);
    EXPECT_EQ(d.statistic_values->minimum, 1);
    EXPECT_EQ(d.statistic_values->maximum, 50);
    EXPECT_EQ(d.statistic_values->sample_count, 10);
    auto batch = PlanPutMetricData(in, kNow);
    ASSERT_TRUE(batch.ok());
    ASSERT_EQ((*batch)[0].stats.size(), 1u);
    EXPECT_EQ((*batch)[0].stats[0].sample_count, 10);
    EXPECT_TRUE((*batch)[0].raw.empty());
  }
  {
    const auto& in = Input<PutMetricDataInput>(Load("requests/cloudwatch.PutMetricData.4.http"));
    const MetricDatumInput& d = (*in.metric_data)[0];
    EXPECT_EQ(d.values, (std::vector<double>{12.5, 30, 7}));
    EXPECT_EQ(d.counts, (std::vector<double>{2, 1, 5}));
    EXPECT_EQ(d.unit, "Milliseconds");
    auto batch = PlanPutMetricData(in, kNow);
    ASSERT_TRUE(batch.ok());
    ASSERT_EQ((*batch)[0].raw.size(), 3u);
    EXPECT_EQ((*batch)[0].raw[2].value, 7);
    EXPECT_EQ((*batch)[0].raw[2].count, 5);
    EXPECT_EQ((*batch)[0].unit, "Milliseconds");
  }
  {
    const auto& in = Input<PutMetricDataInput>(Load("requests/cloudwatch.PutMetricData.5.http"));
    EXPECT_EQ((*in.metric_data)[0].storage_resolution, 1);
  }
  {
    const auto& in = Input<PutMetricDataInput>(Load("requests/cloudwatch.PutMetricData.6.http"));
    const MetricDatumInput& d = (*in.metric_data)[0];
    EXPECT_EQ(d.timestamp_ms, kJan15);
    EXPECT_EQ(d.unit, "Milliseconds");
    EXPECT_EQ(d.value, 250);
  }
  {
    const auto& in = Input<PutMetricDataInput>(Load("requests/cloudwatch.PutMetricData.7.http"));
    ASSERT_EQ(in.metric_data->size(), 2u);
    const MetricDatumInput& a = (*in.metric_data)[0];
    EXPECT_EQ(a.metric_name, "RequestCount");
    EXPECT_EQ(a.timestamp_ms, kJan15 + 30'000);
    EXPECT_EQ(a.dimensions[1].value, "/v1/items list&x=1");
    const MetricDatumInput& b = (*in.metric_data)[1];
    EXPECT_EQ(b.timestamp_ms, kJan15 + 30'250);
    EXPECT_EQ(b.statistic_values->sample_count, 4);
    EXPECT_EQ(b.storage_resolution, 1);
    EXPECT_TRUE(PlanPutMetricData(in, kNow).ok());
  }
}

void ExpectBigBatch(const PutMetricDataInput& in) {
  ASSERT_EQ(in.metric_data->size(), 150u);
  auto batch = PlanPutMetricData(in, kNow);
  ASSERT_TRUE(batch.ok()) << batch.error().message;
  for (int i = 0; i < 150; ++i) {
    char n[8];
    std::snprintf(n, sizeof n, "%03d", i);
    const tsdb::SeriesSamples& s = (*batch)[i];
    EXPECT_EQ(s.key.metric, std::string("Metric") + n);
    EXPECT_EQ(s.key.dimensions, (std::vector<tsdb::Dimension>{{"Env", "production"},
                                                              {"Host", std::string("web-") + n}}));
    ASSERT_EQ(s.raw.size(), 1u);
    EXPECT_EQ(s.raw[0].value, i);
  }
}

TEST_F(FixtureTest, OneHundredFiftyDatumsInBothProtocols) {
  ExpectBigBatch(Input<PutMetricDataInput>(Load("requests/cloudwatch.PutMetricData.8.http")));
  // The JSON client gzipped this one (20 KB).
  ExpectBigBatch(
      Input<PutMetricDataInput>(Load("requests/newer-botocore/cloudwatch.PutMetricData.2.http")));
}

TEST_F(FixtureTest, JsonPutMetricData) {
  const auto& in =
      Input<PutMetricDataInput>(Load("requests/newer-botocore/cloudwatch.PutMetricData.1.http"));
  EXPECT_EQ(in.ns, "MyApp");
  const MetricDatumInput& d = (*in.metric_data)[0];
  EXPECT_EQ(d.metric_name, "Latency");
  EXPECT_EQ(d.timestamp_ms, kJan15);  // epoch seconds in JSON
  EXPECT_EQ(d.unit, "Milliseconds");
  EXPECT_EQ(d.value, 12.5);
  ASSERT_EQ(d.dimensions.size(), 1u);
  EXPECT_EQ(d.dimensions[0].value, "web-1");
  const auto& x =
      Input<PutMetricDataInput>(Load("requests/newer-botocore/cloudwatch.PutMetricData.3.http"));
  EXPECT_EQ((*x.metric_data)[0].value, 1.0);
}

TEST_F(FixtureTest, GetMetricStatistics) {
  {
    const auto& in =
        Input<GetMetricStatisticsInput>(Load("requests/cloudwatch.GetMetricStatistics.1.http"));
    EXPECT_EQ(in.ns, "MyApp");
    EXPECT_EQ(in.metric_name, "Latency");
    ASSERT_EQ(in.dimensions.size(), 1u);
    EXPECT_EQ(in.dimensions[0].name, "Host");
    EXPECT_EQ(in.start_ms, kJan15);
    EXPECT_EQ(in.end_ms, kJan15 + 3'600'000);
    EXPECT_EQ(in.period, 300);
    EXPECT_EQ(in.statistics, (std::vector<std::string>{"Average", "Maximum", "SampleCount"}));
    EXPECT_TRUE(in.extended_statistics.empty());
    auto plan = PlanGetMetricStatistics(in);
    ASSERT_TRUE(plan.ok()) << plan.error().message;
    EXPECT_EQ(plan->query.period_ms, 300'000);
    EXPECT_EQ(plan->label, "Latency");
  }
  {
    const auto& in =
        Input<GetMetricStatisticsInput>(Load("requests/cloudwatch.GetMetricStatistics.2.http"));
    EXPECT_EQ(in.period, 60);
    EXPECT_EQ(in.unit, "Milliseconds");
    EXPECT_EQ(in.extended_statistics, (std::vector<std::string>{"p99", "p50"}));
    auto plan = PlanGetMetricStatistics(in);
    ASSERT_TRUE(plan.ok()) << plan.error().message;
    EXPECT_EQ(plan->query.percentiles, (std::vector<double>{99, 50}));
    EXPECT_EQ(plan->query.unit, "Milliseconds");
  }
  {
    const auto& in = Input<GetMetricStatisticsInput>(
        Load("requests/newer-botocore/cloudwatch.GetMetricStatistics.1.http"));
    EXPECT_EQ(in.start_ms, kJan15);
    EXPECT_EQ(in.end_ms, kJan15 + 3'600'000);
    EXPECT_EQ(in.statistics, (std::vector<std::string>{"Average"}));
    EXPECT_EQ(in.extended_statistics, (std::vector<std::string>{"p99"}));
    EXPECT_TRUE(PlanGetMetricStatistics(in).ok());
  }
}

TEST_F(FixtureTest, GetMetricDataWithAnExpression) {
  const auto& in = Input<GetMetricDataInput>(Load("requests/cloudwatch.GetMetricData.1.http"));
  ASSERT_EQ(in.queries->size(), 2u);
  const MetricDataQueryInput& m1 = (*in.queries)[0];
  EXPECT_EQ(m1.id, "m1");
  ASSERT_TRUE(m1.metric_stat);
  EXPECT_EQ(m1.metric_stat->ns, "MyApp");
  EXPECT_EQ(m1.metric_stat->metric_name, "Latency");
  EXPECT_EQ(m1.metric_stat->dimensions[0].value, "web-1");
  EXPECT_EQ(m1.metric_stat->period, 60);
  EXPECT_EQ(m1.metric_stat->stat, "p99");
  EXPECT_EQ(m1.metric_stat->unit, "Milliseconds");
  EXPECT_EQ(m1.return_data, false);
  const MetricDataQueryInput& e1 = (*in.queries)[1];
  EXPECT_EQ(e1.id, "e1");
  EXPECT_EQ(e1.expression, "m1 * 2");
  EXPECT_EQ(e1.label, "Doubled");
  EXPECT_EQ(e1.return_data, true);
  EXPECT_EQ(in.start_ms, kJan15);
  EXPECT_EQ(in.scan_by, "TimestampDescending");
  auto plan = PlanGetMetricData(in);
  ASSERT_TRUE(plan.ok()) << plan.error().message;
  ASSERT_EQ(plan.value().expression_order, std::vector<size_t>{1});
  EXPECT_EQ(plan.value().queries[1].query.period_ms, 60'000);  // from m1
}

TEST_F(FixtureTest, ListMetrics) {
  const auto& in = Input<ListMetricsInput>(Load("requests/cloudwatch.ListMetrics.1.http"));
  EXPECT_EQ(in.ns, "MyApp");
  EXPECT_EQ(in.metric_name, "Latency");
  ASSERT_EQ(in.dimensions.size(), 2u);
  EXPECT_EQ(in.dimensions[0].value, "web-1");
  EXPECT_EQ(in.dimensions[1].name, "Env");
  EXPECT_FALSE(in.dimensions[1].value.has_value());  // a filter on the name only
  auto query = PlanListMetrics(in, kNow);
  ASSERT_TRUE(query.ok());
  EXPECT_EQ(query->dimensions.size(), 2u);
  EXPECT_FALSE(query->dimensions[1].value.has_value());

  // The capture's second page carries the capture server's made-up token: not one of ours.
  const auto& page2 = Input<ListMetricsInput>(Load("requests/cloudwatch.ListMetrics.2.http"));
  EXPECT_EQ(page2.next_token, "page-2-token");
  auto bad = PlanListMetrics(page2, kNow);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, ErrorCode::kInvalidNextToken);

  const auto& json =
      Input<ListMetricsInput>(Load("requests/newer-botocore/cloudwatch.ListMetrics.1.http"));
  EXPECT_EQ(json.ns, "MyApp");
  EXPECT_FALSE(json.metric_name.has_value());
}

}  // namespace
}  // namespace vigil::api
