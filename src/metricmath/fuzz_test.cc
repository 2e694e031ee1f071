// Random byte strings and random token soups through Parse and Evaluate: never a crash, always
// OK or InvalidArgument, and every result keeps the Series contract.

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "metricmath/metricmath.h"
#include "metricmath/test_util.h"

namespace vigil::metricmath {
namespace {

using testutil::kGap;
using testutil::MakeContext;
using testutil::MakeSeries;
using testutil::Metric;

Context FuzzContext() {
  Input pair;
  pair.id = "s";
  pair.series = {MakeSeries("sa", {1, kGap, 3, -4}), MakeSeries("sb", {0, 0, kGap, 1e300})};
  Input expression_result = Metric("e1", {kGap, 2, kGap, 2});
  expression_result.from_expression = true;
  return MakeContext(4, {Metric("m1", {1, 2, kGap, -3}), Metric("m2", {0, kGap, 5, 1e-300}),
                         Metric("m3", {}), pair, expression_result});
}

// Parses and evaluates `expression`; fails the test unless it is OK or InvalidArgument and any
// result keeps the contract. Returns whether it evaluated.
bool Check(const std::string& expression, const Context& ctx) {
  StatusOr<Expr> expr = Parse(expression);
  if (!expr.ok()) {
    EXPECT_EQ(expr.status().code(), StatusCode::kInvalidArgument) << expression;
    return false;
  }
  StatusOr<std::vector<Series>> result = Evaluate(*expr, ctx);
  if (!result.ok()) {
    EXPECT_EQ(result.status().code(), StatusCode::kInvalidArgument) << expression;
    return false;
  }
  for (const Series& s : *result) {
    EXPECT_EQ(s.timestamps_ms.size(), s.values.size()) << expression;
    for (size_t i = 0; i < s.values.size(); ++i) {
      EXPECT_TRUE(std::isfinite(s.values[i])) << expression;
      if (i > 0) {
        EXPECT_LT(s.timestamps_ms[i - 1], s.timestamps_ms[i]) << expression;
      }
    }
  }
  return true;
}

TEST(FuzzTest, RandomBytes) {
  std::mt19937 rng(1);
  const Context ctx = FuzzContext();
  for (int round = 0; round < 20000; ++round) {
    std::string s(rng() % 40, '\0');
    for (char& c : s) c = static_cast<char>(rng() % 256);
    Check(s, ctx);
  }
}

TEST(FuzzTest, TokenSoup) {
  const char* const kTokens[] = {
      "m1",
      "m2",
      "m3",
      "s",
      "e1",
      "m9",
      "(",
      ")",
      "(",
      ")",
      "[",
      "]",
      ",",
      ",",
      "+",
      "-",
      "-",
      "*",
      "/",
      "^",
      "==",
      "!=",
      "<",
      "<=",
      ">",
      ">=",
      "AND",
      "OR",
      "&&",
      "||",
      "0",
      "1",
      "2.5",
      "-1",
      "1e308",
      "1e-308",
      "1e999",
      "\"m\"",
      "\"",
      "REPEAT",
      "LINEAR",
      "SUM",
      "AVG",
      "MIN",
      "MAX",
      "ASC",
      "DESC",
      "ABS(",
      "CEIL(",
      "FLOOR(",
      "LOG(",
      "LOG10(",
      "SQRT(",
      "SUM(",
      "AVG(",
      "MIN(",
      "MAX(",
      "STDDEV(",
      "DATAPOINT_COUNT(",
      "METRIC_COUNT(",
      "METRICS(",
      "METRICS()",
      "DIFF(",
      "RATE(",
      "DIFF_TIME(",
      "RUNNING_SUM(",
      "FILL(",
      "IF(",
      "TIME_SERIES(",
      "PERIOD(",
      "SORT(",
      "SLICE(",
      "FIRST(",
      "LAST(",
      "REMOVE_EMPTY(",
      "MINUTE(",
      "HOUR(",
      "DAY(",
      "DATE(",
      "MONTH(",
      "YEAR(",
      "EPOCH(",
      "SEARCH(",
      "FOO(",
  };
  constexpr size_t kCount = sizeof(kTokens) / sizeof(kTokens[0]);
  std::mt19937 rng(2);
  const Context ctx = FuzzContext();
  int evaluated = 0;
  for (int round = 0; round < 30000; ++round) {
    std::string s;
    const size_t length = 1 + rng() % 16;
    for (size_t i = 0; i < length; ++i) {
      s += kTokens[rng() % kCount];
      if (rng() % 2) s += ' ';
    }
    // Close what was opened, so that more soups get past the parser.
    int open = 0;
    for (char c : s) open += (c == '(') - (c == ')');
    for (; open > 0; --open) s += ')';
    evaluated += Check(s, ctx);
  }
  EXPECT_GT(evaluated, 100);  // the soup reaches the evaluator, not just the parser
}

}  // namespace
}  // namespace vigil::metricmath
