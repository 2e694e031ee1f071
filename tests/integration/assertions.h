#pragma once
// Assertion helpers shared by the integration tests.
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "tests/integration/vigil_server.h"

namespace vigil::integration {

using Dims = std::vector<std::pair<std::string, std::string>>;

// Success: exit code 0 (the description is the failure message otherwise).
inline testing::AssertionResult AwsOk(const AwsResult& r) {
  if (r.exit_code == 0) return testing::AssertionSuccess();
  return testing::AssertionFailure() << r.Describe();
}

// A CloudWatch service error with this code, reported the way the CLI reports it.
inline testing::AssertionResult AwsError(Cli cli, const AwsResult& r, const std::string& code) {
  const std::string want = "An error occurred (" + code + ")";
  if (r.exit_code == ServiceErrorExitCode(cli) && r.err.find(want) != std::string::npos) {
    return testing::AssertionSuccess();
  }
  return testing::AssertionFailure()
         << "expected exit " << ServiceErrorExitCode(cli) << " and '" << want << "'\n"
         << r.Describe();
}

// --dimensions in the JSON form (safe for any value).
inline std::string DimsJson(const Dims& dims) {
  nlohmann::json a = nlohmann::json::array();
  for (const auto& [k, v] : dims) a.push_back({{"Name", k}, {"Value", v}});
  return a.dump();
}

struct StatsQuery {
  std::string ns;
  std::string metric;
  Dims dims = {};
  int64_t start = 0;
  int64_t end = 0;
  int period = 60;
  std::string unit = {};    // --unit when set
  bool percentiles = true;  // --extended-statistics p50 p99
};

inline std::vector<std::string> GetStatsArgs(const StatsQuery& q) {
  std::vector<std::string> a = {"cloudwatch",    "get-metric-statistics",
                                "--namespace",   q.ns,
                                "--metric-name", q.metric,
                                "--start-time",  Iso8601(q.start),
                                "--end-time",    Iso8601(q.end),
                                "--period",      std::to_string(q.period),
                                "--statistics",  "SampleCount",
                                "Sum",           "Minimum",
                                "Maximum",       "Average"};
  if (!q.dims.empty()) {
    a.push_back("--dimensions");
    a.push_back(DimsJson(q.dims));
  }
  if (q.percentiles) {
    for (const char* s : {"--extended-statistics", "p50", "p99"}) a.push_back(s);
  }
  if (!q.unit.empty()) {
    a.push_back("--unit");
    a.push_back(q.unit);
  }
  return a;
}

// Relative closeness for statistics that the server may compute approximately.
inline bool Near(double got, double want, double rel = 1e-9) {
  return std::fabs(got - want) <= rel * std::max(1.0, std::fabs(want));
}

struct Expected {
  double sample_count, sum, minimum, maximum;
  std::string unit;
};

inline void ExpectStats(const Stats& s, const Expected& e) {
  ASSERT_TRUE(s.sample_count && s.sum && s.minimum && s.maximum && s.average)
      << "missing statistics";
  EXPECT_DOUBLE_EQ(*s.sample_count, e.sample_count);
  EXPECT_DOUBLE_EQ(*s.sum, e.sum);
  EXPECT_DOUBLE_EQ(*s.minimum, e.minimum);
  EXPECT_DOUBLE_EQ(*s.maximum, e.maximum);
  EXPECT_DOUBLE_EQ(*s.average, e.sum / e.sample_count);
  EXPECT_EQ(s.unit.value_or("<absent>"), e.unit);
}

// A percentile from ExtendedStatistics, or NaN when absent.
inline double Percentile(const Stats& s, const std::string& name) {
  if (!s.extended.is_object() || !s.extended.contains(name) || !s.extended[name].is_number()) {
    return std::nan("");
  }
  return s.extended[name].get<double>();
}

// A percentile is in [lo, hi] give or take 1%: the exact value depends on the estimator
// (nearest rank or interpolation, exact or sketched), as CloudWatch's own does.
inline testing::AssertionResult PercentileIn(const Stats& s, const std::string& name, double lo,
                                             double hi) {
  const double p = Percentile(s, name);
  if (!std::isnan(p) && p >= lo - 0.01 * std::fabs(lo) && p <= hi + 0.01 * std::fabs(hi)) {
    return testing::AssertionSuccess();
  }
  return testing::AssertionFailure() << name << " = " << p << ", want [" << lo << ", " << hi
                                     << "]; ExtendedStatistics: " << s.extended.dump();
}

}  // namespace vigil::integration
