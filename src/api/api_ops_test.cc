// The operations against an in-memory store: what reaches the store, what comes back, store
// errors, and pagination of GetMetricData and ListMetrics.
#include <gtest/gtest.h>

#include <set>

#include "api/cloudwatch_ops.h"
#include "api/testing/fake_db.h"
#include "api/text.h"

namespace vigil::api {
namespace {

using testing::FakeDb;

constexpr int64_t kT0 = 1736899200000;  // 2025-01-15T00:00:00Z, a multiple of every period

MetricDatumInput Datum(std::string name, double value, int64_t ts,
                       std::vector<DimensionInput> dims = {}) {
  MetricDatumInput d;
  d.metric_name = std::move(name);
  d.value = value;
  d.timestamp_ms = ts;
  d.dimensions = std::move(dims);
  return d;
}

ApiOr<CloudWatchOutput> RunOp(CloudWatchInput input, FakeDb& db) {
  Operation op = Operation::kPutMetricData;
  if (std::holds_alternative<GetMetricStatisticsInput>(input)) op = Operation::kGetMetricStatistics;
  if (std::holds_alternative<GetMetricDataInput>(input)) op = Operation::kGetMetricData;
  if (std::holds_alternative<ListMetricsInput>(input)) op = Operation::kListMetrics;
  return Execute(DecodedRequest{op, std::move(input)}, db, kT0 + 3'600'000);
}

TEST(OpsTest, PutMetricDataReachesTheStoreAndStoreErrorsMap) {
  FakeDb db;
  PutMetricDataInput in;
  in.ns = "App";
  in.metric_data = {Datum("A", 1, kT0, {{"Host", "h"}}), Datum("B", 2, kT0)};
  MetricDatumInput no_ts = Datum("C", 3, 0);
  no_ts.timestamp_ms.reset();
  in.metric_data->push_back(no_ts);
  ASSERT_TRUE(RunOp(in, db).ok());
  ASSERT_EQ(db.appended.size(), 3u);
  EXPECT_EQ(db.appended[0].key, (tsdb::SeriesKey{"App", "A", {{"Host", "h"}}}));
  EXPECT_EQ(db.appended[2].raw[0].timestamp_ms, kT0 + 3'600'000);  // now

  db.FailNextWith(InvalidArgumentError("timestamp 1 is older than the retention window"));
  auto r = RunOp(in, db);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidParameterValue);
  EXPECT_EQ(r.error().message, "timestamp 1 is older than the retention window");
  db.FailNextWith(UnavailableError("WAL sync failed"));
  r = RunOp(in, db);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kServiceUnavailable);
  EXPECT_EQ(GetErrorInfo(r.error().code).http_status, 503);
  EXPECT_EQ(db.appended.size(), 3u);
}

TEST(OpsTest, GetMetricStatisticsReturnsOnlyWhatWasAsked) {
  FakeDb db;
  PutMetricDataInput put;
  put.ns = "App";
  MetricDatumInput dist;
  dist.metric_name = "Lat";
  dist.timestamp_ms = kT0 + 10'000;
  dist.values = std::vector<double>{10, 20, 30, 40};
  dist.unit = "Milliseconds";
  MetricDatumInput set;
  set.metric_name = "Lat";
  set.timestamp_ms = kT0 + 70'000;  // the next minute
  set.statistic_values = StatisticSetInput{4, 40, 5, 15};
  set.unit = "Milliseconds";
  put.metric_data = {dist, set};
  ASSERT_TRUE(RunOp(put, db).ok());

  GetMetricStatisticsInput in;
  in.ns = "App";
  in.metric_name = "Lat";
  in.start_ms = kT0;
  in.end_ms = kT0 + 600'000;
  in.period = 60;
  in.statistics = {"Average", "Maximum"};
  in.extended_statistics = {"p50", "p99.9"};
  auto r = RunOp(in, db);
  ASSERT_TRUE(r.ok()) << r.error().message;
  const auto& out = std::get<GetMetricStatisticsOutput>(r.value());
  EXPECT_EQ(out.label, "Lat");
  ASSERT_EQ(out.datapoints.size(), 2u);
  const StatisticsDatapoint& a = out.datapoints[0];
  EXPECT_EQ(a.timestamp_ms, kT0);
  EXPECT_EQ(a.average, 25);
  EXPECT_EQ(a.maximum, 40);
  EXPECT_FALSE(a.sum || a.minimum || a.sample_count);
  EXPECT_EQ(a.unit, "Milliseconds");
  EXPECT_EQ(a.extended, (std::vector<std::pair<std::string, double>>{{"p50", 20}, {"p99.9", 40}}));
  const StatisticsDatapoint& b = out.datapoints[1];
  EXPECT_EQ(b.average, 10);
  EXPECT_TRUE(b.extended.empty());  // a statistic set has no percentiles

  // Percentiles only: the statistic-set minute has nothing to show and is left out.
  in.statistics.clear();
  r = RunOp(in, db);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(std::get<GetMetricStatisticsOutput>(r.value()).datapoints.size(), 1u);

  db.FailNextWith(DataLossError("block 7 corrupt"));
  r = RunOp(in, db);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kInternalServiceError);
}

class MetricDataTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // Series a: minutes 0..9 value k; series b: minutes 0..4 value 100+k.
    PutMetricDataInput put;
    put.ns = "App";
    put.metric_data.emplace();
    for (int k = 0; k < 10; ++k) put.metric_data->push_back(Datum("A", k, kT0 + k * 60'000 + 1));
    for (int k = 0; k < 5; ++k) {
      put.metric_data->push_back(Datum("B", 100 + k, kT0 + k * 60'000 + 1));
    }
    ASSERT_TRUE(RunOp(put, db_).ok());
  }

  static MetricDataQueryInput Query(std::string id, std::string metric, std::string stat) {
    MetricDataQueryInput q;
    q.id = std::move(id);
    MetricStatInput ms;
    ms.has_metric = true;
    ms.ns = "App";
    ms.metric_name = std::move(metric);
    ms.period = 60;
    ms.stat = std::move(stat);
    q.metric_stat = ms;
    return q;
  }

  GetMetricDataInput Input(std::optional<int64_t> max, std::optional<std::string> scan = {}) {
    GetMetricDataInput in;
    in.queries = {Query("a", "A", "Sum"), Query("hidden", "A", "Maximum"),
                  Query("b", "B", "Average")};
    (*in.queries)[1].return_data = false;
    (*in.queries)[2].label = "Bee";
    in.start_ms = kT0;
    in.end_ms = kT0 + 3'600'000;
    in.max_datapoints = max;
    in.scan_by = std::move(scan);
    return in;
  }

  // Follows NextToken like the CLI; returns the pages.
  std::vector<GetMetricDataOutput> AllPages(GetMetricDataInput in) {
    std::vector<GetMetricDataOutput> pages;
    for (int guard = 0; guard < 100; ++guard) {
      auto r = RunOp(in, db_);
      EXPECT_TRUE(r.ok()) << r.error().message;
      if (!r.ok()) break;
      pages.push_back(std::get<GetMetricDataOutput>(r.value()));
      if (!pages.back().next_token) break;
      EXPECT_NE(in.next_token, pages.back().next_token) << "the same token twice aborts the CLI";
      in.next_token = pages.back().next_token;
    }
    return pages;
  }

  FakeDb db_;
};

TEST_F(MetricDataTest, OnePageDescendingByDefault) {
  auto pages = AllPages(Input(std::nullopt));
  ASSERT_EQ(pages.size(), 1u);
  const auto& results = pages[0].results;
  ASSERT_EQ(results.size(), 2u);  // ReturnData false is not returned
  EXPECT_EQ(results[0].id, "a");
  EXPECT_EQ(results[0].label, "A");  // defaults to the metric name
  EXPECT_EQ(results[0].status_code, "Complete");
  ASSERT_EQ(results[0].values.size(), 10u);
  EXPECT_EQ(results[0].timestamps_ms.front(), kT0 + 9 * 60'000);
  EXPECT_EQ(results[0].values.front(), 9);
  EXPECT_EQ(results[0].values.back(), 0);
  EXPECT_EQ(results[1].label, "Bee");
  EXPECT_EQ(results[1].values, (std::vector<double>{104, 103, 102, 101, 100}));
}

TEST_F(MetricDataTest, PagesCoverEverythingOnceInBothOrders) {
  for (const bool ascending : {false, true}) {
    for (const int64_t max : {1, 3, 5, 7, 10, 14, 15, 100}) {
      SCOPED_TRACE(std::string(ascending ? "ascending" : "descending") + ", max " +
                   std::to_string(max));
      auto pages = AllPages(Input(max, ascending ? "TimestampAscending" : "TimestampDescending"));
      std::map<std::string, std::vector<std::pair<int64_t, double>>> by_id;
      std::map<std::string, std::string> last_status;
      for (const auto& page : pages) {
        size_t points = 0;
        for (const auto& r : page.results) {
          for (size_t i = 0; i < r.values.size(); ++i) {
            by_id[r.id].emplace_back(r.timestamps_ms[i], r.values[i]);
          }
          points += r.values.size();
          last_status[r.id] = r.status_code;
          EXPECT_TRUE(r.status_code == "Complete" || r.status_code == "PartialData");
          if (r.status_code == "PartialData") {
            EXPECT_TRUE(page.next_token.has_value());
          }
        }
        EXPECT_LE(points, static_cast<size_t>(max));
      }
      EXPECT_FALSE(pages.back().next_token.has_value());
      EXPECT_EQ(last_status["a"], "Complete");
      EXPECT_EQ(last_status["b"], "Complete");
      ASSERT_EQ(by_id["a"].size(), 10u);
      ASSERT_EQ(by_id["b"].size(), 5u);
      for (int i = 0; i < 10; ++i) {
        const int k = ascending ? i : 9 - i;
        EXPECT_EQ(by_id["a"][i], (std::pair<int64_t, double>{kT0 + k * 60'000, k}));
      }
      EXPECT_EQ(by_id.count("hidden"), 0u);
      if (max == 15) {
        EXPECT_EQ(pages.size(), 1u);
      }
    }
  }
}

TEST_F(MetricDataTest, ContinuationNarrowsTheWindowInsteadOfRereading) {
  GetMetricDataInput in = Input(4);
  auto first = RunOp(in, db_);
  ASSERT_TRUE(first.ok());
  const auto& page1 = std::get<GetMetricDataOutput>(first.value());
  ASSERT_TRUE(page1.next_token);
  db_.statistics_queries.clear();
  in.next_token = page1.next_token;
  ASSERT_TRUE(RunOp(in, db_).ok());
  ASSERT_FALSE(db_.statistics_queries.empty());
  // Descending: page 1 returned minutes 9..6 of A, so page 2 asks for [start, minute 6).
  EXPECT_EQ(db_.statistics_queries[0].end_ms, kT0 + 6 * 60'000);
}

TEST_F(MetricDataTest, TokensAreCheckedAgainstTheRequest) {
  GetMetricDataInput in = Input(4);
  auto first = RunOp(in, db_);
  ASSERT_TRUE(first.ok());
  GetMetricDataInput other = in;
  other.queries->pop_back();  // a request with fewer queries
  other.next_token = std::get<GetMetricDataOutput>(first.value()).next_token;
  auto r = RunOp(other, db_);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidNextToken);
}

TEST_F(MetricDataTest, PercentileOfStatisticSetsHasNoValue) {
  PutMetricDataInput put;
  put.ns = "App";
  MetricDatumInput set;
  set.metric_name = "S";
  set.timestamp_ms = kT0;
  set.statistic_values = StatisticSetInput{2, 2, 1, 1};
  put.metric_data = {set};
  ASSERT_TRUE(RunOp(put, db_).ok());
  GetMetricDataInput in;
  in.queries = {Query("p", "S", "p50"), Query("n", "S", "SampleCount")};
  in.start_ms = kT0;
  in.end_ms = kT0 + 60'000;
  auto r = RunOp(in, db_);
  ASSERT_TRUE(r.ok());
  const auto& out = std::get<GetMetricDataOutput>(r.value());
  EXPECT_TRUE(out.results[0].values.empty());
  EXPECT_EQ(out.results[1].values, std::vector<double>{2});
}

MetricDataQueryInput Expression(std::string id, std::string expression,
                                std::optional<std::string> label = {}) {
  MetricDataQueryInput q;
  q.id = std::move(id);
  q.expression = std::move(expression);
  q.label = std::move(label);
  return q;
}

TEST_F(MetricDataTest, ExpressionOverMetricStats) {
  GetMetricDataInput in = Input(std::nullopt);
  in.queries->push_back(Expression("e1", "a * 2 + b", "Mixed"));
  auto r = RunOp(in, db_);
  ASSERT_TRUE(r.ok()) << r.error().message;
  const auto& out = std::get<GetMetricDataOutput>(r.value());
  ASSERT_EQ(out.results.size(), 3u);
  const MetricDataResult& e1 = out.results[2];
  EXPECT_EQ(e1.id, "e1");
  EXPECT_EQ(e1.label, "Mixed");
  // Descending; b is missing after minute 4 and counts as 0 there (CloudWatch's rule).
  EXPECT_EQ(e1.values, (std::vector<double>{18, 16, 14, 12, 10, 112, 109, 106, 103, 100}));
  EXPECT_EQ(e1.timestamps_ms.front(), kT0 + 9 * 60'000);
}

TEST_F(MetricDataTest, ExpressionsMayUseLaterExpressionsAndHiddenQueries) {
  GetMetricDataInput in = Input(std::nullopt);
  in.queries->insert(in.queries->begin(), Expression("e2", "e3 - hidden"));
  in.queries->push_back(Expression("e3", "RUNNING_SUM(a)"));
  (*in.queries)[4].return_data = false;
  auto r = RunOp(in, db_);
  ASSERT_TRUE(r.ok()) << r.error().message;
  const auto& out = std::get<GetMetricDataOutput>(r.value());
  ASSERT_EQ(out.results.size(), 3u);  // e2, a, b
  EXPECT_EQ(out.results[0].id, "e2");
  // RUNNING_SUM(a) - max(a) per minute k: k(k+1)/2 - k, descending from k = 9.
  EXPECT_EQ(out.results[0].values, (std::vector<double>{36, 28, 21, 15, 10, 6, 3, 1, 0, 0}));
}

TEST_F(MetricDataTest, ArrayResultsAreOneResultPerSeriesAcrossPages) {
  for (const int64_t max : {1, 3, 4, 7, 100}) {
    SCOPED_TRACE("max " + std::to_string(max));
    GetMetricDataInput in = Input(max, "TimestampAscending");
    for (auto& q : *in.queries) q.return_data = false;
    in.queries->push_back(Expression("all", "METRICS()", "All"));
    auto pages = AllPages(in);
    std::map<std::string, std::vector<double>> by_label;
    for (const auto& page : pages) {
      for (const auto& r : page.results) {
        EXPECT_EQ(r.id, "all");
        for (double v : r.values) by_label[r.label].push_back(v);
      }
    }
    // Three series: a and hidden (both labelled "A": "All A", 20 points) and b ("All Bee").
    ASSERT_EQ(by_label.size(), 2u);
    EXPECT_EQ(by_label["All A"].size(), 20u);
    EXPECT_EQ(by_label["All Bee"], (std::vector<double>{100, 101, 102, 103, 104}));
  }
}

TEST(ListMetricsOpsTest, PagesThroughEverySeriesOnce) {
  FakeDb db;
  PutMetricDataInput put;
  put.ns = "Paged";
  put.metric_data.emplace();
  for (int i = 0; i < 1200; ++i) {
    put.metric_data->push_back(Datum("M", i, kT0, {{"Series", "s" + std::to_string(i)}}));
    if (put.metric_data->size() == 1000) {
      ASSERT_TRUE(RunOp(put, db).ok());
      put.metric_data->clear();
    }
  }
  ASSERT_TRUE(RunOp(put, db).ok());

  ListMetricsInput in;
  in.ns = "Paged";
  std::set<std::string> seen;
  int pages = 0;
  while (true) {
    auto r = RunOp(in, db);
    ASSERT_TRUE(r.ok()) << r.error().message;
    const auto& out = std::get<ListMetricsOutput>(r.value());
    ++pages;
    EXPECT_LE(out.metrics.size(), kListMetricsPageSize);
    for (const auto& key : out.metrics) {
      EXPECT_TRUE(seen.insert(key.dimensions.at(0).value).second) << "listed twice";
    }
    if (!out.next_token) break;
    in.next_token = out.next_token;
  }
  EXPECT_EQ(pages, 3);
  EXPECT_EQ(seen.size(), 1200u);
}

TEST(ListMetricsOpsTest, FiltersAndRecentlyActiveReachTheQuery) {
  ListMetricsInput in;
  in.ns = "App";
  in.metric_name = "M";
  in.dimensions = {{"Host", "a"}, {"Env", std::nullopt}};
  in.recently_active = "PT3H";
  auto q = PlanListMetrics(in, kT0);
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(q->ns, "App");
  EXPECT_EQ(q->metric, "M");
  ASSERT_EQ(q->dimensions.size(), 2u);
  EXPECT_EQ(q->dimensions[0].value, "a");
  EXPECT_FALSE(q->dimensions[1].value);
  EXPECT_EQ(q->active_since_ms, kT0 - 3 * 3'600'000);
  EXPECT_EQ(q->limit, 500u);
}

TEST(ListTokenTest, RoundTripsAndRejectsGarbage) {
  const tsdb::SeriesKey keys[] = {
      {"A", "B", {}},
      {"My/App", "Latency", {{"Env", "prod"}, {"Host", "web 1 & <x>"}}},
      {"N", "M", {{"a", ""}, {"b", "\xC3\xA9"}}},
  };
  for (const auto& key : keys) {
    const std::string token = EncodeListToken(key);
    EXPECT_EQ(DecodeListToken(token), key);
  }
  // ns \0 metric \0 (name \1 value \0)*: the canonical string's documented format.
  EXPECT_EQ(EncodeListToken({"A", "B", {{"k", "v"}}}), "QQBCAGsBdgA=");
  for (const char* bad : {"", "page-2-token", "QQ==", "QQBC", "QQBCAGsA", "AEIA"}) {
    EXPECT_FALSE(DecodeListToken(bad).has_value()) << bad;
  }
  // Dimensions out of order are not canonical.
  const std::string unsorted("A\0B\0k\1v\0j\1w\0", 12);
  EXPECT_FALSE(DecodeListToken(Base64Encode(unsorted)).has_value());
  EXPECT_TRUE(DecodeListToken(Base64Encode(std::string("A\0B\0j\1w\0k\1v\0", 12))));
}

}  // namespace
}  // namespace vigil::api

namespace vigil::api {
namespace {

// Metrics Insights through GetMetricData: three hosts in two zones, two minutes.
class InsightsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    PutMetricDataInput put;
    put.ns = "Shop";
    put.metric_data.emplace();
    const std::pair<const char*, const char*> hosts[] = {{"h1", "a"}, {"h2", "a"}, {"h3", "b"}};
    for (int h = 0; h < 3; ++h) {
      for (int k = 0; k < 2; ++k) {
        // Latency of host h in minute k: 10 * (h + 1) + k.
        put.metric_data->push_back(
            Datum("Latency", 10.0 * (h + 1) + k, kT0 + k * 60'000 + 1,
                  {DimensionInput{"Host", hosts[h].first}, DimensionInput{"Zone", hosts[h].second}}));
      }
    }
    put.metric_data->push_back(Datum("Latency", 1000, kT0 + 1));  // no dimensions
    put.metric_data->push_back(Datum("Errors", 5, kT0 + 1, {DimensionInput{"Host", "h1"}}));
    ASSERT_TRUE(RunOp(put, db_).ok());
  }

  ApiOr<GetMetricDataOutput> Run(std::string sql, std::optional<int64_t> period = 60,
                                 std::vector<MetricDataQueryInput> more = {}) {
    GetMetricDataInput in;
    MetricDataQueryInput q;
    q.id = "q";
    q.expression = std::move(sql);
    q.period = period;
    in.queries = {q};
    for (auto& m : more) in.queries->push_back(std::move(m));
    in.start_ms = kT0;
    in.end_ms = kT0 + 600'000;
    in.scan_by = "TimestampAscending";
    auto r = RunOp(in, db_);
    if (!r.ok()) return r.error();
    return std::get<GetMetricDataOutput>(std::move(r).value());
  }

  FakeDb db_;
};

TEST_F(InsightsTest, AggregatesEveryMatchingSeries) {
  auto r = Run("SELECT AVG(Latency) FROM Shop");
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r.value().results.size(), 1u);
  const MetricDataResult& q = r.value().results[0];
  EXPECT_EQ(q.label, "q");
  EXPECT_EQ(q.timestamps_ms, (std::vector<int64_t>{kT0, kT0 + 60'000}));
  // Minute 0: 10, 20, 30 and 1000; minute 1: 11, 21, 31.
  EXPECT_EQ(q.values, (std::vector<double>{1060.0 / 4, 63.0 / 3}));
}

TEST_F(InsightsTest, SchemaWhereGroupOrderLimit) {
  auto r = Run(
      "SELECT SUM(Latency) FROM SCHEMA(Shop, Zone, Host) WHERE Host != 'h2' "
      "GROUP BY Zone ORDER BY SUM() DESC LIMIT 5");
  ASSERT_TRUE(r.ok()) << r.error().message;
  const auto& results = r.value().results;
  ASSERT_EQ(results.size(), 2u);
  EXPECT_EQ(results[0].label, "b");
  EXPECT_EQ(results[0].values, (std::vector<double>{30, 31}));
  EXPECT_EQ(results[1].label, "a");
  EXPECT_EQ(results[1].values, (std::vector<double>{10, 11}));
}

TEST_F(InsightsTest, MathOverAnInsightsQuery) {
  MetricDataQueryInput e;
  e.id = "twice";
  e.expression = "q * 2";
  auto r = Run("SELECT MAX(Latency) FROM SCHEMA(Shop, Host, Zone)", 60, {e});
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r.value().results.size(), 2u);
  EXPECT_EQ(r.value().results[1].id, "twice");
  EXPECT_EQ(r.value().results[1].values, (std::vector<double>{60, 62}));
}

TEST_F(InsightsTest, ErrorsAreInvalidParameterValueWithPosition) {
  auto bad = Run("SELECT AVG(Latency) FROM Shop WHERE Host = h1");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, ErrorCode::kInvalidParameterValue);
  EXPECT_NE(bad.error().message.find("MetricDataQueries.member.1.Expression"), std::string::npos);
  EXPECT_NE(bad.error().message.find("position 44"), std::string::npos) << bad.error().message;
  auto no_period = Run("SELECT AVG(Latency) FROM Shop", std::nullopt);
  ASSERT_FALSE(no_period.ok());
  EXPECT_EQ(no_period.error().code, ErrorCode::kMissingParameter);
}

TEST_F(InsightsTest, NoMatchIsNoSeries) {
  auto r = Run("SELECT AVG(Nothing) FROM Shop GROUP BY Host");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_TRUE(r.value().results.empty());
}

}  // namespace
}  // namespace vigil::api

namespace vigil::api {
namespace {

TEST(InsightsManySeriesTest, ParallelReadsGiveTheSequentialAnswer) {
  // 2,000 series (enough for several reader threads), value = host number, in 4 zones.
  FakeDb db;
  PutMetricDataInput put;
  put.ns = "Big";
  for (int h = 0; h < 2000; ++h) {
    if (!put.metric_data || put.metric_data->size() == 1000) {
      if (put.metric_data) {
        ASSERT_TRUE(RunOp(put, db).ok());
      }
      put.metric_data.emplace();
    }
    put.metric_data->push_back(Datum("M", h, kT0 + 1,
                                     {DimensionInput{"Host", "h" + std::to_string(h)},
                                      DimensionInput{"Zone", "z" + std::to_string(h % 4)}}));
  }
  ASSERT_TRUE(RunOp(put, db).ok());
  GetMetricDataInput in;
  MetricDataQueryInput q;
  q.id = "q";
  q.expression = "SELECT SUM(M) FROM Big GROUP BY Zone ORDER BY SUM() DESC";
  q.period = 60;
  in.queries = {q};
  in.start_ms = kT0;
  in.end_ms = kT0 + 60'000;
  auto r = RunOp(in, db);
  ASSERT_TRUE(r.ok()) << r.error().message;
  const auto& results = std::get<GetMetricDataOutput>(r.value()).results;
  ASSERT_EQ(results.size(), 4u);
  // Zone z(k) holds hosts k, k+4, ..., k+1996: sum 500k + 4 * (0 + ... + 499).
  for (int i = 0; i < 4; ++i) {
    const int zone = 3 - i;
    EXPECT_EQ(results[static_cast<size_t>(i)].label, "z" + std::to_string(zone));
    EXPECT_EQ(results[static_cast<size_t>(i)].values,
              std::vector<double>{500.0 * zone + 4.0 * 499 * 500 / 2});
  }
  EXPECT_EQ(db.statistics_calls, 2000);
}

}  // namespace
}  // namespace vigil::api
