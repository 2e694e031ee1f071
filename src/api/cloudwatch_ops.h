#pragma once
// The CloudWatch operations, written once for both protocols. Each operation is split into a
// pure Plan step (CloudWatch's validation rules, input → engine query) and a Run step against
// the store, so the rules are testable without a store.
//
// Thread-safety: every function is reentrant; Run steps only call the thread-safe tsdb::Db.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/api_error.h"
#include "api/cloudwatch_types.h"
#include "api/cloudwatch_validate.h"
#include "insights/insights.h"
#include "metricmath/metricmath.h"
#include "tsdb/tsdb.h"

namespace vigil::api {

inline constexpr size_t kMaxMetricData = 1000;
inline constexpr size_t kMaxValuesPerDatum = 150;
inline constexpr int64_t kMaxStatisticsDatapoints = 1440;
inline constexpr size_t kMaxMetricDataQueries = 500;
// Series one Metrics Insights query may aggregate (CloudWatch stops at 10,000).
inline constexpr size_t kMaxInsightsSeries = 1'000'000;
inline constexpr int64_t kDefaultMaxDatapoints = 100'800;
inline constexpr size_t kListMetricsPageSize = 500;

// PutMetricData: the batch to append, one SeriesSamples per datum (dimensions sorted, Unit
// "None" when absent, Timestamp `now_ms` when absent). Values/Counts become raw samples at the
// datum's timestamp, StatisticValues a StatSample.
ApiOr<std::vector<tsdb::SeriesSamples>> PlanPutMetricData(const PutMetricDataInput& in,
                                                          int64_t now_ms);

struct StatisticsPlan {
  tsdb::StatisticsQuery query;
  std::vector<Statistic> statistics;        // Statistics, in request order
  std::vector<std::string> extended_names;  // parallel to query.percentiles
  std::string label;                        // the metric name
};
ApiOr<StatisticsPlan> PlanGetMetricStatistics(const GetMetricStatisticsInput& in);
// The output for the store's datapoints: only the requested statistics, percentiles the
// datapoints can give, and each datapoint's unit.
GetMetricStatisticsOutput MakeStatisticsOutput(const StatisticsPlan& plan,
                                               const std::vector<tsdb::Datapoint>& datapoints);

struct MetricDataPlan {
  struct Query {
    std::string id;
    std::string label;  // the query's Label; empty for an expression without one
    bool return_data = true;
    // A MetricStat query: the store query (the full [StartTime, EndTime) window) and its
    // statistic. An expression query: `expression`, and query.period_ms is its period. A
    // Metrics Insights query (an Expression starting with SELECT): `insights`, and
    // query.period_ms its Period; like a MetricStat query, others may use its series.
    tsdb::StatisticsQuery query;
    Statistic stat;
    std::optional<metricmath::Expr> expression;
    std::optional<insights::Query> insights;
  };
  std::vector<Query> queries;
  // Indexes of the expression queries, each after every expression it refers to.
  std::vector<size_t> expression_order;
  bool ascending = false;  // ScanBy TimestampAscending
  int64_t max_datapoints = kDefaultMaxDatapoints;
  // Where this page starts (from NextToken): query index, result series of that query (an
  // expression may give several), and the timestamp of the last datapoint already returned.
  size_t start_query = 0;
  size_t start_series = 0;
  std::optional<int64_t> after_ms;
};
ApiOr<MetricDataPlan> PlanGetMetricData(const GetMetricDataInput& in);
ApiOr<GetMetricDataOutput> RunGetMetricData(const MetricDataPlan& plan, const tsdb::Db& db);

ApiOr<tsdb::ListQuery> PlanListMetrics(const ListMetricsInput& in, int64_t now_ms);
ListMetricsOutput MakeListOutput(tsdb::ListResult result);

// ListMetrics NextToken: base64 of the key's canonical string (tsdb::CanonicalKeyString's
// format: ns \0 metric \0 (name \1 value \0)*). Decode gives nullopt for anything that is not
// such a token.
std::string EncodeListToken(const tsdb::SeriesKey& key);
std::optional<tsdb::SeriesKey> DecodeListToken(std::string_view token);

// Runs a decoded metrics request against the store: Plan, then the store call, then the
// output (the alarm operations: alarm_ops.h).
// Store failures become ApiErrors through ErrorFromStatus.
ApiOr<CloudWatchOutput> Execute(const DecodedRequest& request, tsdb::Db& db, int64_t now_ms);

}  // namespace vigil::api
