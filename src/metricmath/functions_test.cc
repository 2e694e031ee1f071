// The per-point, per-series, statistic and array functions, each against hand-computed values.

#include <gtest/gtest.h>

#include <string>

#include "metricmath/metricmath.h"
#include "metricmath/test_util.h"

namespace vigil::metricmath {
namespace {

using testutil::Case;
using testutil::Compute;
using testutil::ComputeLabels;
using testutil::ExpectComputes;
using testutil::kGap;
using testutil::MakeContext;
using testutil::Metric;

// Six one-minute periods.
Context FunctionContext() {
  return MakeContext(6, {
                            Metric("p", {1, 4, kGap, 16, 100, kGap}),
                            Metric("n", {-1.5, 2.5, kGap, -0.5, 3, kGap}),
                            Metric("c", {10, 20, kGap, 50, 40, kGap}),
                            Metric("g", {kGap, 5, kGap, kGap, 11, kGap}),
                            Metric("e", {}),
                            Metric("x1", {1, 2, 3, 4, 5, 6}),
                            Metric("x2", {6, kGap, 2, kGap, 0, 1}),
                            Metric("x3", {2, 2, 2, 2, 2, 2}),
                        });
}

// What Compute() prints for TIME_SERIES of a scalar `v` over FunctionContext().
std::string Flat(const std::string& v) {
  return "TIME_SERIES[" + v + ", " + v + ", " + v + ", " + v + ", " + v + ", " + v + "]";
}

TEST(FunctionsTest, PerPoint) {
  const Case cases[] = {
      {"ABS(n)", "n[1.5, 2.5, -, 0.5, 3, -]"},
      {"CEIL(n)", "n[-1, 3, -, 0, 3, -]"},
      {"FLOOR(n)", "n[-2, 2, -, -1, 3, -]"},
      {"LOG(p)", "p[0, 1.38629, -, 2.77259, 4.60517, -]"},
      {"LOG10(p)", "p[0, 0.60206, -, 1.20412, 2, -]"},
      {"SQRT(p)", "p[1, 2, -, 4, 10, -]"},
      // Logarithms and roots of negative values have no value: the points are dropped.
      {"LOG(n)", "n[-, 0.916291, -, -, 1.09861, -]"},
      {"SQRT(n)", "n[-, 1.58114, -, -, 1.73205, -]"},
      {"LOG(x2)", "x2[1.79176, -, 0.693147, -, -, 0]"},  // LOG(0) is -Inf: dropped
      {"ABS([n, p])", "n[1.5, 2.5, -, 0.5, 3, -] p[1, 4, -, 16, 100, -]"},
      {"TIME_SERIES(ABS(-3) + FLOOR(2.7) + CEIL(0.2))", Flat("6")},
  };
  ExpectComputes(FunctionContext(), cases);
}

TEST(FunctionsTest, FromEachPointAndItsPredecessor) {
  const Case cases[] = {
      // c has points at minutes 0, 1, 3 and 4: the step to minute 3 is two minutes.
      {"DIFF(c)", "c[-, 10, -, 30, -10, -]"},
      {"RATE(c)", "c[-, 0.166667, -, 0.25, -0.166667, -]"},
      {"DIFF_TIME(c)", "c[-, 60, -, 120, 60, -]"},
      {"RUNNING_SUM(c)", "c[10, 30, -, 80, 120, -]"},
      {"RATE([c, g])", "c[-, 0.166667, -, 0.25, -0.166667, -] g[-, -, -, -, 0.0333333, -]"},
      {"DIFF(e)", "e[-, -, -, -, -, -]"},
      {"DIFF(x3)", "x3[-, 0, 0, 0, 0, 0]"},
  };
  ExpectComputes(FunctionContext(), cases);
}

TEST(FunctionsTest, StatisticsOfOneSeriesAreScalars) {
  const Case cases[] = {
      {"c - AVG(c)", "c[-20, -10, -, 20, 10, -]"},
      {"TIME_SERIES(SUM(c))", Flat("120")},
      {"TIME_SERIES(AVG(c))", Flat("30")},
      {"TIME_SERIES(MIN(c))", Flat("10")},
      {"TIME_SERIES(MAX(c))", Flat("50")},
      {"TIME_SERIES(STDDEV(c))", Flat("15.8114")},  // sqrt((400+100+400+100)/4)
      {"TIME_SERIES(DATAPOINT_COUNT(c))", Flat("4")},
      {"TIME_SERIES(DATAPOINT_COUNT(e))", Flat("0")},
      {"TIME_SERIES(SUM(e))", Flat("-")},  // no points: no value
      {"TIME_SERIES(METRIC_COUNT([x1, x2, x3]))", Flat("3")},
      {"TIME_SERIES(METRIC_COUNT(x1))", Flat("1")},
  };
  ExpectComputes(FunctionContext(), cases);
}

TEST(FunctionsTest, StatisticsAcrossAnArrayAreSeries) {
  const Case cases[] = {
      // x2 [6, -, 2, -, 0, 1] and g [-, 5, -, -, 11, -]: minute 3 has neither; elsewhere a
      // missing point counts as 0.
      {"SUM([x2, g])", "SUM[6, 5, 2, -, 11, 1]"},
      {"AVG([x2, g])", "AVG[3, 2.5, 1, -, 5.5, 0.5]"},
      {"MIN([x2, g])", "MIN[0, 0, 0, -, 0, 0]"},
      {"MAX([x2, g])", "MAX[6, 5, 2, -, 11, 1]"},
      {"DATAPOINT_COUNT([x2, g])", "DATAPOINT_COUNT[1, 1, 1, -, 2, 1]"},
      {"AVG([x1, x2, x3])", "AVG[3, 1.33333, 2.33333, 2, 2.33333, 3]"},
      {"STDDEV([x1, x2, x3])", "STDDEV[2.16025, 0.942809, 0.471405, 1.63299, 2.0548, 2.16025]"},
      {"SUM([x1])", "SUM[1, 2, 3, 4, 5, 6]"},
      {"SUM([x1, x2]) / AVG(x2)", "SUM[3.11111, 0.888889, 2.22222, 1.77778, 2.22222, 3.11111]"},
  };
  ExpectComputes(FunctionContext(), cases);
}

TEST(FunctionsTest, SortSliceFirstLast) {
  // SUM: x1 21, x2 9, x3 12. AVG: 3.5, 2.25, 2. MIN: 1, 0, 2. MAX: 6, 6, 2.
  const Case labels[] = {
      {"SORT([x1, x2, x3], SUM, DESC)", "x1 x3 x2"},
      {"SORT([x1, x2, x3], SUM, ASC)", "x2 x3 x1"},
      {"SORT([x1, x2, x3], AVG, ASC)", "x3 x2 x1"},
      {"SORT([x1, x2, x3], MIN, ASC)", "x2 x1 x3"},
      {"SORT([x1, x2, x3], MAX, DESC)", "x1 x2 x3"},  // ties keep their order
      {"SORT([x1, x2, x3], MAX, ASC)", "x3 x1 x2"},
      {"SORT([e, x1, x2], SUM, ASC)", "x2 x1 e"},  // no points: last either way
      {"SORT([e, x1, x2], SUM, DESC)", "x1 x2 e"},
      {"SORT([x1, x2, x3], SUM, DESC, 2)", "x1 x3"},
      {"SORT([x1, x2, x3], SUM, DESC, 0)", ""},
      {"SORT([x1, x2, x3], SUM, DESC, 10)", "x1 x3 x2"},
      {"SORT(x1, SUM, ASC)", "x1"},
      {"SLICE(SORT([x1, x2, x3], SUM, DESC), 1)", "x3 x2"},
      {"SLICE([x1, x2, x3], 0, 2)", "x1 x2"},
      {"SLICE([x1, x2, x3], 1, 1)", ""},
      {"SLICE([x1, x2, x3], 2, 99)", "x3"},
      {"SLICE([x1, x2, x3], 5)", ""},
      {"SLICE([x1, x2, x3], 2, 1)", ""},
      {"REMOVE_EMPTY([x1, e, g])", "x1 g"},
  };
  const Context ctx = FunctionContext();
  for (const Case& c : labels) EXPECT_EQ(ComputeLabels(c.expression, ctx), c.want) << c.expression;

  const Case series[] = {
      {"FIRST(SORT([x1, x2, x3], SUM, ASC))", "x2[6, -, 2, -, 0, 1]"},
      {"LAST(SORT([x1, x2, x3], SUM, ASC))", "x1[1, 2, 3, 4, 5, 6]"},
      {"FIRST(x3)", "x3[2, 2, 2, 2, 2, 2]"},
      {"FIRST(SLICE([x1], 1))", "[-, -, -, -, -, -]"},
      // The guide's example: the top series by AVG, compared with a threshold.
      {"IF(FIRST(SORT([x1, x2, x3], AVG, DESC)) > 3, 1, 0)", "x1[0, 0, 0, 1, 1, 1]"},
  };
  ExpectComputes(FunctionContext(), series);
}

TEST(FunctionsTest, ArgumentKindErrors) {
  const Case cases[] = {
      {"ABS(\"x\")",
       "Error at position 5: ABS needs a scalar, a time series or an array of "
       "time series as argument 1, got a string"},
      {"DIFF(5)",
       "Error at position 6: DIFF needs a time series or an array of time series as "
       "argument 1, got a scalar"},
      {"SUM(5)",
       "Error at position 5: SUM needs a time series or an array of time series as "
       "argument 1, got a scalar"},
      {"SORT([x1, x2], ASC, AVG)",
       "Error at position 16: SORT needs SUM, AVG, MIN or MAX as "
       "argument 2, got the keyword ASC"},
      {"SORT([x1, x2], SUM, SUM)",
       "Error at position 21: SORT needs ASC or DESC as argument 3, got the keyword SUM"},
      {"SORT(5, SUM, ASC)",
       "Error at position 6: SORT needs an array of time series as argument 1, got a scalar"},
      {"SORT([x1, x2], SUM, ASC, 1.5)",
       "Error at position 26: SORT needs a whole number >= 0 as argument 4, got 1.5"},
      {"SORT([x1, x2], SUM, ASC, -1)",
       "Error at position 26: SORT needs a whole number >= 0 as argument 4, got -1"},
      {"SORT([x1, x2], SUM, ASC, x1)",
       "Error at position 26: SORT needs a scalar as argument 4, got a time series"},
      {"SORT([x1, x2], STDDEV, ASC)",
       "Syntax error at position 22 (after '...ORT([x1, x2], STDDEV'): expected '(' after "
       "STDDEV, found ','"},
      {"SLICE(5, 1)",
       "Error at position 7: SLICE needs an array of time series as argument 1, got a scalar"},
      {"FIRST(5)",
       "Error at position 7: FIRST needs an array of time series as argument 1, got a scalar"},
      {"METRIC_COUNT(2)",
       "Error at position 14: METRIC_COUNT needs an array of time series as "
       "argument 1, got a scalar"},
  };
  ExpectComputes(FunctionContext(), cases, "error: ");
}

TEST(FunctionsTest, MetricsSelectsMetricStatInputsById) {
  Input expression_result = Metric("errors_sum", {9, 9, 9});
  expression_result.from_expression = true;
  const Context ctx = MakeContext(3, {Metric("errors_a", {1, 2, 3}), Metric("req", {10, 10, 10}),
                                      expression_result, Metric("api_errors", {kGap, 5, 5})});
  EXPECT_EQ(ComputeLabels("METRICS()", ctx), "errors_a req api_errors");
  EXPECT_EQ(ComputeLabels("METRICS(\"errors\")", ctx), "errors_a api_errors");  // contains
  EXPECT_EQ(ComputeLabels("METRICS(\"zzz\")", ctx), "");
  EXPECT_EQ(Compute("SUM(METRICS(\"errors\"))", ctx), "SUM[1, 7, 8]");
  EXPECT_EQ(Compute("SUM(METRICS(\"errors\")) / SUM(METRICS(\"req\")) * 100", ctx),
            "SUM[10, 70, 80]");
  EXPECT_EQ(Compute("SUM([METRICS(\"errors_a\"), METRICS(\"req\")])", ctx), "SUM[11, 12, 13]");
  EXPECT_EQ(Compute("METRICS()/100", ctx),
            "errors_a[0.01, 0.02, 0.03] req[0.1, 0.1, 0.1] api_errors[-, 0.05, 0.05]");
  EXPECT_EQ(Compute("SUM(METRICS(\"zzz\"))", ctx), "SUM[-, -, -]");
  EXPECT_EQ(Compute("METRICS(5)", ctx),
            "error: Error at position 9: METRICS needs a string as argument 1, got a scalar");
}

}  // namespace
}  // namespace vigil::metricmath
