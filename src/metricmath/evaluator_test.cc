// Evaluate(): operators over scalars, series and arrays, alignment of missing points, kinds,
// labels, and the checks of the context.

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
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
using testutil::kMinute;
using testutil::MakeContext;
using testutil::MakeSeries;
using testutil::Metric;

// m1 and m2 are the guide's "metric1" and "metric2" of its comparison-operator table.
Context OperatorContext() {
  Input s;
  s.id = "s";
  s.series = {MakeSeries("sa", {1, 2, 3, 4}), MakeSeries("sb", {kGap, 1, kGap, 1})};
  Input none;
  none.id = "none";
  return MakeContext(4, {Metric("m1", {30, 20, 0, 0}), Metric("m2", {20, kGap, 20, kGap}),
                         Metric("m3", {kGap, 4, 5, kGap}), Metric("e", {}), s, none});
}

TEST(EvaluatorTest, ArithmeticAlignsOnTheUnionWithMissingAsZero) {
  const Case cases[] = {
      {"m1 + m2", "m1[50, 20, 20, 0]"},
      {"m2 + m3", "m2[20, 4, 25, -]"},  // the last minute is missing on both sides
      {"m1 / m2", "m1[1.5, -, 0, -]"},  // 20/0 and 0/0 are dropped
      {"m2 / m1", "m2[0.666667, 0, -, -]"},
      {"m1 * 2 + 1", "m1[61, 41, 1, 1]"},
      {"10 - m3", "m3[-, 6, 5, -]"},
      {"m3 ^ 2", "m3[-, 16, 25, -]"},
      {"2 ^ m3", "m3[-, 16, 32, -]"},
      {"-m3", "m3[-, -4, -5, -]"},
      {"m1 - m2 * 2", "m1[-10, 20, -40, 0]"},
      {"m1 / 0", "m1[-, -, -, -]"},
      {"m1 + AVG(e)", "m1[-, -, -, -]"},  // a scalar without a value
  };
  ExpectComputes(OperatorContext(), cases);
}

TEST(EvaluatorTest, ComparisonAndLogicalOperatorsGiveOneOrZero) {
  const Case cases[] = {
      // The guide's table: metric1 [30, 20, 0, 0], metric2 [20, -, 20, -].
      {"(m1 < m2)", "m1[0, 0, 1, 0]"},
      {"(m1 >= 30)", "m1[1, 0, 0, 0]"},
      {"(m1 > 15 AND m2 > 15)", "m1[1, 0, 0, 0]"},
      {"m1 > 15 OR m2 > 15", "m1[1, 1, 1, 0]"},
      {"m1 == 0", "m1[0, 0, 1, 1]"},
      {"m1 != 0", "m1[1, 1, 0, 0]"},
      {"m1 <= 20", "m1[0, 1, 1, 1]"},
      {"m1 > m3", "m1[1, 1, 0, 0]"},
      {"m3 && 1", "m3[-, 1, 1, -]"},
      {"m1 || m3", "m1[1, 1, 1, 0]"},
  };
  ExpectComputes(OperatorContext(), cases);
}

TEST(EvaluatorTest, ScalarArithmetic) {
  const Case cases[] = {
      {"TIME_SERIES(1 + 2 * 3)", "TIME_SERIES[7, 7, 7, 7]"},
      {"TIME_SERIES(2 ^ 3 ^ 2)", "TIME_SERIES[512, 512, 512, 512]"},
      {"TIME_SERIES(-2 ^ 2)", "TIME_SERIES[-4, -4, -4, -4]"},
      {"TIME_SERIES(7 / 2)", "TIME_SERIES[3.5, 3.5, 3.5, 3.5]"},
      {"TIME_SERIES(3 > 2 AND 2 >= 3)", "TIME_SERIES[0, 0, 0, 0]"},
      {"TIME_SERIES(3 > 2 || 2 >= 3)", "TIME_SERIES[1, 1, 1, 1]"},
      {"TIME_SERIES(1 / 0)", "TIME_SERIES[-, -, -, -]"},
  };
  ExpectComputes(OperatorContext(), cases);
}

TEST(EvaluatorTest, ArraysApplyToEachSeriesAndKeepTheirLabels) {
  const Case cases[] = {
      {"[m1, m3] * 2", "m1[60, 40, 0, 0] m3[-, 8, 10, -]"},
      {"10 - [m1, m3]", "m1[-20, -10, 10, 10] m3[-, 6, 5, -]"},
      {"[m1, m3] + m2", "m1[50, 20, 20, 0] m3[20, 4, 25, -]"},
      {"m2 - [m1, m3]", "m1[-10, -20, 20, 0] m3[20, -4, 15, -]"},
      {"-[m1, m3]", "m1[-30, -20, 0, 0] m3[-, -4, -5, -]"},
      // An input with several series is an array; one with none is an empty array.
      {"s * 2", "sa[2, 4, 6, 8] sb[-, 2, -, 2]"},
      {"m1 + s", "sa[31, 22, 3, 4] sb[30, 21, 0, 1]"},
      {"SUM(s)", "SUM[1, 3, 3, 5]"},
      {"none", ""},
      {"SUM(none)", "SUM[-, -, -, -]"},
  };
  ExpectComputes(OperatorContext(), cases);
  EXPECT_EQ(ComputeLabels("[m1, [m2, m3], s]", OperatorContext()), "m1 m2 m3 sa sb");
}

TEST(EvaluatorTest, KindErrorsNameThePosition) {
  const Case cases[] = {
      {"[m1, m2] + [m1, m3]",
       "Error at position 10: '+' cannot combine two arrays of time series (of 2 and 2 series)"},
      {"s + [m1]",
       "Error at position 3: '+' cannot combine two arrays of time series (of 2 and 1 series)"},
      {"m1 + REPEAT",
       "Error at position 6: '+' needs numbers or time series, got the keyword "
       "REPEAT"},
      {"\"x\" * 2", "Error at position 1: '*' needs numbers or time series, got a string"},
      {"-\"x\"", "Error at position 2: unary '-' needs a number or time series, got a string"},
      {"[m1, 5]", "Error at position 6: an array holds time series, not a scalar"},
      {"[m1, AVG(m1)]", "Error at position 6: an array holds time series, not a scalar"},
      {"m9 + 1", "Error at position 1: unknown id \"m9\""},
      {"m1 + SUM([m2, m9])", "Error at position 15: unknown id \"m9\""},
      {"AVG(m1)",
       "The expression must return a time series or an array of time series, not a scalar"},
      {"5", "The expression must return a time series or an array of time series, not a scalar"},
      {"REPEAT",
       "The expression must return a time series or an array of time series, not the "
       "keyword REPEAT"},
      {"\"text\"",
       "The expression must return a time series or an array of time series, not a string"},
  };
  ExpectComputes(OperatorContext(), cases, "error: ");
}

TEST(EvaluatorTest, LongestChainEvaluates) {
  std::string expression = "m1";
  while (expression.size() + 3 <= kMaxExpressionLength) expression += "+m1";
  ASSERT_EQ(expression.size(), 1022u);  // 341 terms
  EXPECT_EQ(Compute(expression, OperatorContext()), "m1[10230, 6820, 0, 0]");
}

TEST(EvaluatorTest, ContextContractIsChecked) {
  struct ContextCase {
    const char* what;
    void (*breakit)(Context&);
    const char* want;
  };
  const ContextCase cases[] = {
      {"zero period", [](Context& c) { c.period_ms = 0; },
       "Invalid context: period_ms must be > 0"},
      {"end before start", [](Context& c) { c.end_ms = c.start_ms - 1; },
       "Invalid context: end_ms is before start_ms"},
      {"too many periods",
       [](Context& c) {
         c.period_ms = 1;
         c.end_ms = c.start_ms + 2'000'000;
       },
       "Invalid context: the query has 2000000 periods; the limit is 1000000"},
      {"duplicate id", [](Context& c) { c.inputs.push_back(c.inputs[0]); },
       "Invalid context: duplicate id \"m1\""},
      {"unsorted", [](Context& c) { c.inputs[0].series[0].timestamps_ms[1] = 0; },
       "Invalid context: input \"m1\" series \"m1\": timestamps are not strictly ascending"},
      {"NaN", [](Context& c) { c.inputs[0].series[0].values[1] = kGap; },
       "Invalid context: input \"m1\" series \"m1\": a value is not finite"},
      {"lengths", [](Context& c) { c.inputs[0].series[0].values.pop_back(); },
       "Invalid context: input \"m1\" series \"m1\" has 4 timestamps but 3 values"},
  };
  for (const ContextCase& c : cases) {
    Context ctx = OperatorContext();
    c.breakit(ctx);
    EXPECT_EQ(Compute("m2 * 2", ctx), std::string("error: ") + c.want) << c.what;
  }
}

TEST(EvaluatorTest, GridCoversTheRangeWithoutOverflow) {
  // A partial last period still has a grid point.
  Context ctx = MakeContext(0, {});
  ctx.end_ms = 150'000;
  StatusOr<std::vector<Series>> got = testutil::ParseAndEvaluate("TIME_SERIES(1)", ctx);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ((*got)[0].timestamps_ms, (std::vector<int64_t>{0, kMinute, 2 * kMinute}));

  // The widest range: end - start does not fit an int64_t.
  ctx.start_ms = std::numeric_limits<int64_t>::min();
  ctx.end_ms = std::numeric_limits<int64_t>::max();
  ctx.period_ms = std::numeric_limits<int64_t>::max();
  got = testutil::ParseAndEvaluate("TIME_SERIES(1)", ctx);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ((*got)[0].timestamps_ms,
            (std::vector<int64_t>{ctx.start_ms, -1, std::numeric_limits<int64_t>::max() - 1}));

  // An empty range has no grid points.
  ctx = MakeContext(0, {});
  EXPECT_EQ(Compute("TIME_SERIES(1)", ctx), "TIME_SERIES[]");
}

}  // namespace
}  // namespace vigil::metricmath
