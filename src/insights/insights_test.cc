// Metrics Insights: the grammar (every clause, quoting, errors with positions), matching, and
// aggregation against hand-computed groups.
#include "insights/insights.h"

#include <gtest/gtest.h>

namespace vigil::insights {
namespace {

tsdb::SeriesKey Key(std::string metric, std::vector<tsdb::Dimension> dims,
                    std::string ns = "App") {
  std::sort(dims.begin(), dims.end());
  return tsdb::SeriesKey{std::move(ns), std::move(metric), std::move(dims)};
}

tsdb::Datapoint Point(int64_t t, double count, double sum, double min, double max) {
  tsdb::Datapoint dp;
  dp.timestamp_ms = t;
  dp.sample_count = count;
  dp.sum = sum;
  dp.minimum = min;
  dp.maximum = max;
  return dp;
}

Query MustParse(std::string_view text) {
  StatusOr<Query> q = Parse(text);
  EXPECT_TRUE(q.ok()) << text << ": " << q.status().ToString();
  return q.ok() ? std::move(q).value() : Query{};
}

TEST(InsightsParseTest, EveryClause) {
  const Query q = MustParse(
      "select sum(Latency) from \"AWS/App\" where Region = 'eu' and Host != 'a' "
      "group by Region, Host order by max() desc limit 10");
  EXPECT_EQ(q.function, Function::kSum);
  EXPECT_EQ(q.metric, "Latency");
  EXPECT_EQ(q.ns, "AWS/App");
  EXPECT_FALSE(q.schema);
  ASSERT_TRUE(q.where);
  EXPECT_EQ(q.where->kind, Condition::Kind::kAnd);
  EXPECT_EQ(q.group_by, (std::vector<std::string>{"Region", "Host"}));
  EXPECT_EQ(q.order_by, Function::kMax);
  EXPECT_TRUE(q.descending);
  EXPECT_EQ(q.limit, 10);
}

TEST(InsightsParseTest, SchemaSortsKeysAndQuotesEscape) {
  const Query q = MustParse(R"(SELECT AVG("CPU \"util\"") FROM SCHEMA(Ns, b, a, b))");
  EXPECT_EQ(q.metric, "CPU \"util\"");
  EXPECT_EQ(q.ns, "Ns");
  EXPECT_EQ(q.schema, (std::vector<std::string>{"a", "b"}));
  const Query none = MustParse("SELECT COUNT(m) FROM SCHEMA(Ns)");
  EXPECT_EQ(none.schema, std::vector<std::string>{});
  const Query esc = MustParse(R"(SELECT MIN(m) FROM Ns WHERE d = 'it\'s')");
  EXPECT_EQ(esc.where->values, std::vector<std::string>{"it's"});
}

TEST(InsightsParseTest, ConditionsBeyondAnd) {
  const Query q =
      MustParse("SELECT MAX(m) FROM Ns WHERE NOT (a = '1' OR b IN ('x', 'y')) AND c NOT IN ('z')");
  const tsdb::SeriesKey k = Key("m", {{"a", "2"}, {"b", "w"}, {"c", "q"}}, "Ns");
  EXPECT_TRUE(Matches(q, k));
  EXPECT_FALSE(Matches(q, Key("m", {{"a", "1"}}, "Ns")));
  EXPECT_FALSE(Matches(q, Key("m", {{"b", "y"}}, "Ns")));
  EXPECT_FALSE(Matches(q, Key("m", {{"c", "z"}}, "Ns")));
  EXPECT_TRUE(Matches(q, Key("m", {}, "Ns")));
}

TEST(InsightsParseTest, IsQuery) {
  EXPECT_TRUE(IsQuery("SELECT AVG(m) FROM n"));
  EXPECT_TRUE(IsQuery("  select avg(m) from n"));
  EXPECT_FALSE(IsQuery("SELECTED + 1"));
  EXPECT_FALSE(IsQuery("SUM(METRICS())"));
}

TEST(InsightsParseTest, ErrorsNamePositionAndExpectation) {
  struct Case {
    const char* text;
    const char* message;
  };
  const Case cases[] = {
      {"SELECT MEDIAN(m) FROM n",
       "Syntax error at position 8 (after 'SELECT'): expected one of AVG, COUNT, MAX, MIN, SUM, "
       "found 'MEDIAN'"},
      {"SELECT AVG(m) FROM AWS/EC2", "position 23"},
      {"SELECT AVG(m) FROM n WHERE d = x", "expected a value in single quotes, found 'x'"},
      {"SELECT AVG(m) FROM n WHERE d = 'x", "unterminated string"},
      {"SELECT AVG(m) FROM n LIMIT 501", "expected a LIMIT from 1 to 500"},
      {"SELECT AVG(m) FROM n LIMIT 0", "expected a LIMIT from 1 to 500"},
      {"SELECT AVG(m) FROM n ORDER BY SUM(m)", "ORDER BY functions take no argument"},
      {"SELECT AVG(m) FROM n GROUP Region", "expected BY"},
      {"SELECT AVG(m) FROM n extra", "expected WHERE, GROUP BY, ORDER BY, LIMIT or the end"},
      {"SELECT AVG(m)", "expected FROM, found the end of the query"},
      {"SELECT AVG(from) FROM n", "expected a metric name, found 'from'"},
      {"SELECT AVG(\"\") FROM n", "not empty"},
  };
  for (const Case& c : cases) {
    StatusOr<Query> q = Parse(c.text);
    ASSERT_FALSE(q.ok()) << c.text;
    EXPECT_EQ(q.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(q.status().message().find(c.message), std::string::npos)
        << c.text << " -> " << q.status().message();
  }
  std::string deep = "SELECT AVG(m) FROM n WHERE ";
  for (int i = 0; i < 100; ++i) deep += "(";
  EXPECT_FALSE(Parse(deep + "a = 'b'").ok());
}

TEST(InsightsMatchTest, NamespaceMetricAndSchema) {
  const Query from = MustParse("SELECT AVG(m) FROM App");
  EXPECT_TRUE(Matches(from, Key("m", {})));
  EXPECT_TRUE(Matches(from, Key("m", {{"a", "1"}, {"b", "2"}})));
  EXPECT_FALSE(Matches(from, Key("other", {})));
  EXPECT_FALSE(Matches(from, Key("m", {}, "Else")));
  const Query schema = MustParse("SELECT AVG(m) FROM SCHEMA(App, b, a)");
  EXPECT_TRUE(Matches(schema, Key("m", {{"a", "1"}, {"b", "2"}})));
  EXPECT_FALSE(Matches(schema, Key("m", {{"a", "1"}})));
  EXPECT_FALSE(Matches(schema, Key("m", {{"a", "1"}, {"b", "2"}, {"c", "3"}})));
  const Query bare = MustParse("SELECT AVG(m) FROM SCHEMA(App)");
  EXPECT_TRUE(Matches(bare, Key("m", {})));
  EXPECT_FALSE(Matches(bare, Key("m", {{"a", "1"}})));
}

TEST(InsightsAggregateTest, FunctionsMergeObservationsPerPeriod) {
  // Two series; period 0 in both, period 60 s in one.
  const tsdb::SeriesKey a = Key("m", {{"h", "a"}});
  const tsdb::SeriesKey b = Key("m", {{"h", "b"}});
  const std::vector<tsdb::Datapoint> pa = {Point(0, 2, 10, 4, 6), Point(60'000, 1, 7, 7, 7)};
  const std::vector<tsdb::Datapoint> pb = {Point(0, 3, 3, 0, 2)};
  struct Case {
    const char* fn;
    double v0, v60;
  };
  for (const Case& c : {Case{"AVG", 13.0 / 5, 7}, Case{"SUM", 13, 7}, Case{"COUNT", 5, 1},
                        Case{"MIN", 0, 7}, Case{"MAX", 6, 7}}) {
    const Query q = MustParse(std::string("SELECT ") + c.fn + "(m) FROM App");
    Aggregator agg(&q);
    agg.Add(a, pa);
    agg.Add(b, pb);
    const std::vector<Result> r = agg.Finish();
    ASSERT_EQ(r.size(), 1u) << c.fn;
    EXPECT_EQ(r[0].label, "");
    EXPECT_EQ(r[0].timestamps_ms, (std::vector<int64_t>{0, 60'000}));
    EXPECT_DOUBLE_EQ(r[0].values[0], c.v0) << c.fn;
    EXPECT_DOUBLE_EQ(r[0].values[1], c.v60) << c.fn;
  }
}

TEST(InsightsAggregateTest, GroupOrderLimitAndOther) {
  const Query q = MustParse("SELECT SUM(m) FROM App GROUP BY zone ORDER BY SUM() DESC LIMIT 2");
  Aggregator agg(&q);
  agg.Add(Key("m", {{"zone", "a"}, {"h", "1"}}), std::vector{Point(0, 1, 5, 5, 5)});
  agg.Add(Key("m", {{"zone", "a"}, {"h", "2"}}), std::vector{Point(0, 1, 6, 6, 6)});
  agg.Add(Key("m", {{"zone", "b"}}), std::vector{Point(0, 1, 20, 20, 20)});
  agg.Add(Key("m", {{"h", "3"}}), std::vector{Point(0, 1, 1, 1, 1)});  // no zone: "Other"
  agg.Add(Key("m", {{"zone", "c"}}), {});                                // no data: no group
  const std::vector<Result> r = agg.Finish();
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0].label, "b");
  EXPECT_EQ(r[0].values, std::vector<double>{20});
  EXPECT_EQ(r[1].label, "a");
  EXPECT_EQ(r[1].values, std::vector<double>{11});

  const Query asc = MustParse("SELECT SUM(m) FROM App GROUP BY zone, h");
  Aggregator by_label(&asc);
  by_label.Add(Key("m", {{"zone", "b"}, {"h", "1"}}), std::vector{Point(0, 1, 1, 1, 1)});
  by_label.Add(Key("m", {{"zone", "a"}}), std::vector{Point(0, 1, 1, 1, 1)});
  const std::vector<Result> r2 = by_label.Finish();
  ASSERT_EQ(r2.size(), 2u);
  EXPECT_EQ(r2[0].label, "a Other");
  EXPECT_EQ(r2[1].label, "b 1");
}

}  // namespace
}  // namespace vigil::insights

namespace vigil::insights {
namespace {

TEST(InsightsAggregateTest, MergeIsTheUnion) {
  const Query q = MustParse("SELECT AVG(m) FROM App GROUP BY h");
  Aggregator whole(&q), left(&q), right(&q);
  for (int i = 0; i < 10; ++i) {
    const tsdb::SeriesKey k = Key("m", {{"h", std::to_string(i % 3)}});
    const std::vector<tsdb::Datapoint> p = {Point(i % 2 * 60'000, 1, i, i, i)};
    whole.Add(k, p);
    (i < 4 ? left : right).Add(k, p);
  }
  left.Merge(right);
  const std::vector<Result> a = whole.Finish(), b = left.Finish();
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].label, b[i].label);
    EXPECT_EQ(a[i].timestamps_ms, b[i].timestamps_ms);
    EXPECT_EQ(a[i].values, b[i].values);
  }
}

}  // namespace
}  // namespace vigil::insights
