// GetMetricStatistics's rules (CloudWatch API reference, GetMetricStatistics).
#include <string>

#include "api/cloudwatch_ops.h"

namespace vigil::api {
namespace {

int64_t FloorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

}  // namespace

ApiOr<StatisticsPlan> PlanGetMetricStatistics(const GetMetricStatisticsInput& in) {
  if (auto e = CheckNamespace(in.ns, /*for_write=*/false)) return *e;
  if (auto e = CheckMetricName(in.metric_name, "MetricName")) return *e;
  auto dims = CheckDimensions(in.dimensions, "Dimensions");
  if (!dims.ok()) return dims.error();
  if (!in.start_ms) return MissingParameter("StartTime");
  if (!in.end_ms) return MissingParameter("EndTime");
  if (auto e = CheckPeriod(in.period, "Period")) return *e;
  if (auto e = CheckUnit(in.unit, "Unit")) return *e;

  StatisticsPlan plan;
  if (in.statistics.empty() && in.extended_statistics.empty()) {
    return ApiError{ErrorCode::kMissingParameter,
                    "At least one of the parameters Statistics and ExtendedStatistics must be "
                    "specified."};
  }
  if (in.statistics.size() > 5) {
    return ApiError{ErrorCode::kInvalidParameterValue,
                    "The collection Statistics must not have a size greater than 5."};
  }
  if (in.statistics.size() + in.extended_statistics.size() > 10) {
    return ApiError{ErrorCode::kInvalidParameterCombination,
                    "No more than 10 Statistics and ExtendedStatistics may be requested in "
                    "total."};
  }
  for (size_t i = 0; i < in.statistics.size(); ++i) {
    const auto stat = ParseStatistic(in.statistics[i]);
    if (!stat || stat->kind == Statistic::Kind::kPercentile) {
      ApiError e = InvalidValue(in.statistics[i], "Statistics.member." + std::to_string(i + 1));
      e.message += " Valid statistics are SampleCount, Average, Sum, Minimum and Maximum.";
      return e;
    }
    plan.statistics.push_back(*stat);
  }
  for (size_t i = 0; i < in.extended_statistics.size(); ++i) {
    const auto p = ParsePercentile(in.extended_statistics[i]);
    if (!p) {
      ApiError e = InvalidValue(in.extended_statistics[i],
                                "ExtendedStatistics.member." + std::to_string(i + 1));
      e.message += " Extended statistics are percentiles p0.0 to p100 (pNN or pNN.NN).";
      return e;
    }
    plan.query.percentiles.push_back(*p);
    plan.extended_names.push_back(in.extended_statistics[i]);
  }
  if (*in.start_ms >= *in.end_ms) {
    return ApiError{ErrorCode::kInvalidParameterValue,
                    "The parameter StartTime must be less than the parameter EndTime."};
  }
  const int64_t period_ms = *in.period * 1000;
  const int64_t aligned_start = FloorDiv(*in.start_ms, period_ms) * period_ms;
  const int64_t requested = (*in.end_ms - aligned_start + period_ms - 1) / period_ms;
  if (requested > kMaxStatisticsDatapoints) {
    return ApiError{ErrorCode::kInvalidParameterCombination,
                    "You have requested up to " + std::to_string(requested) +
                        " datapoints, which exceeds the limit of 1440. You may reduce the "
                        "datapoints requested by increasing Period, or decreasing the time "
                        "range."};
  }

  plan.query.key = tsdb::SeriesKey{*in.ns, *in.metric_name, std::move(dims).value()};
  plan.query.unit = in.unit;
  plan.query.start_ms = *in.start_ms;
  plan.query.end_ms = *in.end_ms;
  plan.query.period_ms = period_ms;
  plan.label = *in.metric_name;
  return plan;
}

GetMetricStatisticsOutput MakeStatisticsOutput(const StatisticsPlan& plan,
                                               const std::vector<tsdb::Datapoint>& datapoints) {
  GetMetricStatisticsOutput out;
  out.label = plan.label;
  out.datapoints.reserve(datapoints.size());
  for (const tsdb::Datapoint& dp : datapoints) {
    StatisticsDatapoint p;
    p.timestamp_ms = dp.timestamp_ms;
    p.unit = dp.unit.empty() ? "None" : dp.unit;
    for (const Statistic& stat : plan.statistics) {
      const double v = *StatisticValue(dp, stat, 0);
      switch (stat.kind) {
        case Statistic::Kind::kSampleCount:
          p.sample_count = v;
          break;
        case Statistic::Kind::kAverage:
          p.average = v;
          break;
        case Statistic::Kind::kSum:
          p.sum = v;
          break;
        case Statistic::Kind::kMinimum:
          p.minimum = v;
          break;
        case Statistic::Kind::kMaximum:
          p.maximum = v;
          break;
        case Statistic::Kind::kPercentile:
          break;
      }
    }
    for (size_t i = 0; i < plan.extended_names.size() && i < dp.percentiles.size(); ++i) {
      if (dp.percentiles[i]) p.extended.emplace_back(plan.extended_names[i], *dp.percentiles[i]);
    }
    // A period of statistic sets asked only for percentiles has nothing to show.
    if (plan.statistics.empty() && p.extended.empty()) continue;
    out.datapoints.push_back(std::move(p));
  }
  return out;
}

}  // namespace vigil::api
