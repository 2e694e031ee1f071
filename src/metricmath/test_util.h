#pragma once
// Test helpers: inputs written as one value per grid period, results printed as text so that
// expectations read like the CloudWatch guide's tables.

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <initializer_list>
#include <limits>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "metricmath/metricmath.h"

namespace vigil::metricmath::testutil {

inline constexpr int64_t kMinute = 60'000;
// Marks a period without a point in Metric().
inline constexpr double kGap = std::numeric_limits<double>::quiet_NaN();

// A series labelled `label` with points[k] at start_ms + k minutes, none where kGap.
inline Series MakeSeries(std::string label, const std::vector<double>& points,
                         int64_t start_ms = 0) {
  Series s;
  s.label = std::move(label);
  for (size_t k = 0; k < points.size(); ++k) {
    if (std::isnan(points[k])) continue;
    s.timestamps_ms.push_back(start_ms + static_cast<int64_t>(k) * kMinute);
    s.values.push_back(points[k]);
  }
  return s;
}

// A MetricStat input `id` whose one series is labelled `id`.
inline Input Metric(std::string id, const std::vector<double>& points, int64_t start_ms = 0) {
  Input input;
  input.series.push_back(MakeSeries(id, points, start_ms));
  input.id = std::move(id);
  return input;
}

// A context of `minutes` one-minute periods from start_ms.
inline Context MakeContext(int minutes, std::vector<Input> inputs, int64_t start_ms = 0) {
  Context c;
  c.start_ms = start_ms;
  c.end_ms = start_ms + minutes * kMinute;
  c.period_ms = kMinute;
  c.inputs = std::move(inputs);
  return c;
}

// "label[v0, v1, -, v3]": a value per grid period of c, "-" where s has no point, printed
// with %.6g. A point off the grid is appended as " off-grid@<t>".
inline std::string Show(const Series& s, const Context& c) {
  const int64_t periods = (c.end_ms - c.start_ms) / c.period_ms;
  std::vector<std::string> cells(static_cast<size_t>(periods), "-");
  std::string off_grid;
  for (size_t i = 0; i < s.values.size(); ++i) {
    const int64_t offset = s.timestamps_ms[i] - c.start_ms;
    const int64_t k = offset / c.period_ms;
    if (offset < 0 || offset % c.period_ms != 0 || k >= periods) {
      off_grid += " off-grid@" + std::to_string(s.timestamps_ms[i]);
      continue;
    }
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.6g", s.values[i] + 0.0);  // + 0.0: no "-0"
    cells[static_cast<size_t>(k)] = buf;
  }
  std::string out = s.label + "[";
  for (size_t k = 0; k < cells.size(); ++k) out += (k > 0 ? ", " : "") + cells[k];
  return out + "]" + off_grid;
}

inline StatusOr<std::vector<Series>> ParseAndEvaluate(std::string_view expression,
                                                      const Context& c) {
  ASSIGN_OR_RETURN(Expr expr, Parse(expression));
  return Evaluate(expr, c);
}

// Parses and evaluates `expression`: each resulting series as Show() prints it (or only its
// label), separated by spaces; or "error: <message>".
inline std::string Compute(std::string_view expression, const Context& c,
                           bool labels_only = false) {
  StatusOr<std::vector<Series>> result = ParseAndEvaluate(expression, c);
  if (!result.ok()) return "error: " + result.status().message();
  std::string out;
  for (const Series& s : *result) {
    out += (out.empty() ? "" : " ") + (labels_only ? s.label : Show(s, c));
  }
  return out;
}
inline std::string ComputeLabels(std::string_view expression, const Context& c) {
  return Compute(expression, c, /*labels_only=*/true);
}

// An expression and what Compute() (or ComputeLabels()) should print for it.
struct Case {
  const char* expression;
  std::string want;
};

// Expects Compute() to print want_prefix + want for each case.
inline void ExpectComputes(const Context& c, std::span<const Case> cases,
                           std::string_view want_prefix = "") {
  for (const Case& k : cases) {
    EXPECT_EQ(Compute(k.expression, c), std::string(want_prefix) + k.want) << k.expression;
  }
}
inline void ExpectComputes(const Context& c, std::initializer_list<Case> cases,
                           std::string_view want_prefix = "") {
  ExpectComputes(c, std::span<const Case>(cases.begin(), cases.size()), want_prefix);
}

}  // namespace vigil::metricmath::testutil
