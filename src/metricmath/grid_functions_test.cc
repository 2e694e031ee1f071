// FILL, IF, TIME_SERIES, PERIOD and the calendar functions, against hand-computed values.

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
using testutil::kMinute;
using testutil::MakeContext;
using testutil::Metric;

TEST(FillTest, EveryVariant) {
  const Context ctx = MakeContext(
      6, {Metric("g", {kGap, 5, kGap, kGap, 11, kGap}), Metric("c", {10, 20, kGap, 50, 40, kGap}),
          Metric("x", {1, 2}), Metric("e", {})});
  ExpectComputes(ctx, {
                          {"FILL(g, 0)", "g[0, 5, 0, 0, 11, 0]"},
                          {"FILL(g, MIN(c))", "g[10, 5, 10, 10, 11, 10]"},
                          // Nothing before the first point to repeat.
                          {"FILL(g, REPEAT)", "g[-, 5, 5, 5, 11, 11]"},
                          // 5 + (11 - 5) * 1/3 and * 2/3; nothing outside the known points.
                          {"FILL(g, LINEAR)", "g[-, 5, 7, 9, 11, -]"},
                          // The filler's value at the same timestamp, if it has one.
                          {"FILL(g, c)", "g[10, 5, -, 50, 11, -]"},
                          {"FILL([g, c], 1)", "g[1, 5, 1, 1, 11, 1] c[10, 20, 1, 50, 40, 1]"},
                          {"FILL([g, c], [x])", "g[1, 5, -, -, 11, -] c[10, 20, -, 50, 40, -]"},
                          {"FILL(e, 3)", "e[3, 3, 3, 3, 3, 3]"},
                          {"FILL(e, REPEAT)", "e[-, -, -, -, -, -]"},
                          {"FILL(e, LINEAR)", "e[-, -, -, -, -, -]"},
                          {"RATE(FILL(g, LINEAR))", "g[-, -, 0.0333333, 0.0333333, 0.0333333, -]"},
                      });
  ExpectComputes(ctx, {
                          {"FILL(g, DESC)",
                           "error: Error at position 9: FILL needs a scalar, a time "
                           "series, REPEAT or LINEAR as argument 2, got the keyword "
                           "DESC"},
                          {"FILL(g, [c, x])",
                           "error: Error at position 9: FILL needs a scalar, a "
                           "time series, REPEAT or LINEAR as argument 2, got an "
                           "array of 2 time series"},
                          {"FILL(5, 0)",
                           "error: Error at position 6: FILL needs a time series or an "
                           "array of time series as argument 1, got a scalar"},
                      });
}

TEST(FillTest, KeepsPointsBetweenGridTimestamps) {
  Context ctx = MakeContext(3, {});
  Input h;
  h.id = "h";
  h.series.push_back({"h", {kMinute / 2}, {7}});
  ctx.inputs.push_back(h);
  StatusOr<std::vector<Series>> got = testutil::ParseAndEvaluate("FILL(h, 0)", ctx);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ((*got)[0].timestamps_ms, (std::vector<int64_t>{0, kMinute / 2, kMinute, 2 * kMinute}));
  EXPECT_EQ((*got)[0].values, (std::vector<double>{0, 7, 0, 0}));

  got = testutil::ParseAndEvaluate("FILL(h, REPEAT)", ctx);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ((*got)[0].timestamps_ms, (std::vector<int64_t>{kMinute / 2, kMinute, 2 * kMinute}));
  EXPECT_EQ((*got)[0].values, (std::vector<double>{7, 7, 7}));
}

// d1, d2 and d3 are metric1, metric2 and metric3 of the guide's "Using IF expressions" tables.
Context IfContext() {
  return MakeContext(5, {Metric("d1", {1, 1, 0, 0, kGap}), Metric("d2", {30, kGap, 0, 0, 30}),
                         Metric("d3", {0, 0, 20, kGap, 20}), Metric("e", {})});
}

TEST(IfTest, TheGuidesTables) {
  ExpectComputes(IfContext(), {
                                  {"IF(d1, d2, d3)", "d2[30, 0, 20, -, -]"},
                                  {"IF(d1, 5, d3)", "d1[5, 5, 20, -, -]"},
                                  {"IF(d1, d2, 5)", "d2[30, 0, 5, 5, -]"},
                              });
}

TEST(IfTest, MissingDataAndScalarConditions) {
  ExpectComputes(IfContext(), {
                                  {"IF(d1, d2)", "d2[30, 0, -, -, -]"},
                                  {"IF(d1, 1, 0)", "d1[1, 1, 0, 0, -]"},
                                  {"IF(d2 > 10, 1, 0)", "d2[1, -, 0, 0, 1]"},
                                  {"IF(d3 < 10, d3)", "d3[0, 0, -, -, -]"},
                                  {"IF(1, d2, d3)", "d2[30, -, 0, 0, 30]"},
                                  {"IF(0, d2, d3)", "d3[0, 0, 20, -, 20]"},
                                  {"IF(0, d2)", "d2[-, -, -, -, -]"},
                                  {"IF(AVG(e), d2, d3)", "d3[0, 0, 20, -, 20]"},  // no value: false
                                  {"IF(MAX(d2) > 20, d2, d3)", "d2[30, -, 0, 0, 30]"},
                                  {"IF(1, [d2, d3])", "d2[30, -, 0, 0, 30] d3[0, 0, 20, -, 20]"},
                                  {"TIME_SERIES(IF(2, 5, 6))", "TIME_SERIES[5, 5, 5, 5, 5]"},
                                  {"TIME_SERIES(IF(0, 5))", "TIME_SERIES[-, -, -, -, -]"},
                              });
}

TEST(IfTest, ArgumentKindErrors) {
  ExpectComputes(IfContext(), {
                                  {"IF(d1, [d2, d3])",
                                   "error: Error at position 8: IF needs a scalar or a time "
                                   "series as argument 2, got an array of 2 time series"},
                                  {"IF([d1, d2], 1)",
                                   "error: Error at position 4: IF needs a scalar or a time "
                                   "series as argument 1, got an array of 2 time series"},
                                  {"IF(REPEAT, d1)",
                                   "error: Error at position 4: IF needs a scalar or a time "
                                   "series as argument 1, got the keyword REPEAT"},
                                  {"IF(1, REPEAT)",
                                   "error: Error at position 7: IF needs a scalar, a time series "
                                   "or an array of time series as argument 2, got the keyword "
                                   "REPEAT"},
                                  {"IF(0, 5)",
                                   "error: The expression must return a time series or an array of "
                                   "time series, not a scalar"},
                              });
}

TEST(GridTest, TimeSeriesAndPeriod) {
  const Context ctx = MakeContext(3, {Metric("c", {10, kGap, 50})});
  ExpectComputes(ctx, {
                          {"TIME_SERIES(2.5)", "TIME_SERIES[2.5, 2.5, 2.5]"},
                          {"TIME_SERIES(5 * AVG(c))", "TIME_SERIES[150, 150, 150]"},
                          {"TIME_SERIES(PERIOD(c))", "TIME_SERIES[60, 60, 60]"},
                          {"c / PERIOD(c)", "c[0.166667, -, 0.833333]"},
                          {"TIME_SERIES(c)",
                           "error: Error at position 13: TIME_SERIES needs a scalar "
                           "as argument 1, got a time series"},
                          {"PERIOD(5)",
                           "error: Error at position 8: PERIOD needs a time series as "
                           "argument 1, got a scalar"},
                      });
}

TEST(GridTest, CalendarFunctionsInUtc) {
  // 2023-12-31T23:59:00Z, a Sunday, and the next minute, 2024-01-01T00:00:00Z, a Monday.
  const int64_t start = (1'704'067'200 - 60) * 1000LL;
  const Context ctx =
      MakeContext(2, {Metric("m", {1, kGap}, start), Metric("e", {}, start)}, start);
  ExpectComputes(ctx, {
                          {"MINUTE(m)", "MINUTE[59, 0]"},
                          {"HOUR(m)", "HOUR[23, 0]"},
                          {"DAY(m)", "DAY[7, 1]"},
                          {"DATE(m)", "DATE[31, 1]"},
                          {"MONTH(m)", "MONTH[12, 1]"},
                          {"YEAR(e)", "YEAR[2023, 2024]"},  // over the grid, whatever the data
                          {"EPOCH(m) - 1704067140", "EPOCH[0, 60]"},
                          {"IF(DAY(m) < 6, 1, 0)", "DAY[0, 1]"},  // weekdays only
                          {"DAY(5)",
                           "error: Error at position 5: DAY needs a time series as "
                           "argument 1, got a scalar"},
                      });

  // 1969-12-31T23:59:00Z, a Wednesday: before the epoch, fields still count forward.
  const Context before = MakeContext(1, {Metric("m", {1}, -kMinute)}, -kMinute);
  EXPECT_EQ(
      ComputeLabels("[MINUTE(m), HOUR(m), DAY(m), DATE(m), MONTH(m), YEAR(m), EPOCH(m)]", before),
      "MINUTE HOUR DAY DATE MONTH YEAR EPOCH");
  EXPECT_EQ(Compute("[MINUTE(m), HOUR(m), DAY(m), DATE(m), MONTH(m), YEAR(m), EPOCH(m)]", before),
            "MINUTE[59] HOUR[23] DAY[3] DATE[31] MONTH[12] YEAR[1969] EPOCH[-60]");
}

}  // namespace
}  // namespace vigil::metricmath
