// PutMetricData's rules (CloudWatch API reference, PutMetricData and MetricDatum).
#include <string>

#include "api/cloudwatch_ops.h"

namespace vigil::api {
namespace {

ApiError Exclusive(const std::string& p, std::string_view a, std::string_view b) {
  return {ErrorCode::kInvalidParameterCombination,
          "The parameters " + p + std::string(a) + " and " + p + std::string(b) +
              " are mutually exclusive and you have specified both."};
}

std::optional<ApiError> CheckValues(const std::vector<double>& values, const std::string& path) {
  for (size_t i = 0; i < values.size(); ++i) {
    if (auto e = CheckValue(values[i], path + ".member." + std::to_string(i + 1))) return e;
  }
  return std::nullopt;
}

// Validates one datum and appends its samples to `out`.
std::optional<ApiError> PlanDatum(const std::string& ns, const MetricDatumInput& d,
                                  const std::string& p, int64_t now_ms,
                                  std::vector<tsdb::SeriesSamples>* out) {
  if (auto e = CheckMetricName(d.metric_name, p + "MetricName")) return e;
  auto dims = CheckDimensions(d.dimensions, p + "Dimensions");
  if (!dims.ok()) return dims.error();
  if (auto e = CheckUnit(d.unit, p + "Unit")) return e;
  if (d.storage_resolution && *d.storage_resolution != 1 && *d.storage_resolution != 60) {
    ApiError e = InvalidValue(std::to_string(*d.storage_resolution), p + "StorageResolution");
    e.message += " Valid values are 1 and 60.";
    return e;
  }

  const bool has_values = d.values && !d.values->empty();
  const bool has_counts = d.counts && !d.counts->empty();
  if (d.value && has_values) return Exclusive(p, "Value", "Values");
  if (d.value && d.statistic_values) return Exclusive(p, "Value", "StatisticValues");
  if (has_values && d.statistic_values) return Exclusive(p, "Values", "StatisticValues");
  if (!d.value && !has_values && !d.statistic_values) {
    return ApiError{ErrorCode::kMissingParameter, "At least one of the parameters " + p +
                                                      "Value, " + p + "StatisticValues or " + p +
                                                      "Values must be specified."};
  }
  if (has_counts && !has_values) {
    return ApiError{ErrorCode::kInvalidParameterCombination,
                    "The parameter " + p + "Counts requires " + p + "Values."};
  }

  tsdb::SeriesSamples& s = out->emplace_back();
  s.key = tsdb::SeriesKey{ns, *d.metric_name, std::move(dims).value()};
  s.unit = d.unit.value_or("None");
  const int64_t ts = d.timestamp_ms.value_or(now_ms);

  if (d.value) {
    if (auto e = CheckValue(*d.value, p + "Value")) return e;
    s.raw.push_back({ts, *d.value, 1});
  } else if (has_values) {
    const std::vector<double>& values = *d.values;
    if (values.size() > kMaxValuesPerDatum) {
      return ApiError{ErrorCode::kInvalidParameterValue,
                      "The collection " + p + "Values must not have a size greater than 150."};
    }
    if (has_counts && d.counts->size() != values.size()) {
      return ApiError{
          ErrorCode::kInvalidParameterValue,
          "The parameters " + p + "Values and " + p + "Counts must be arrays of the same size."};
    }
    if (auto e = CheckValues(values, p + "Values")) return e;
    s.raw.reserve(values.size());
    for (size_t i = 0; i < values.size(); ++i) {
      const double count = has_counts ? (*d.counts)[i] : 1.0;
      if (!(count > 0) || !IsStorableValue(count)) {
        ApiError e = InvalidValue(ValueText(count), p + "Counts.member." + std::to_string(i + 1));
        e.message += " Counts must be positive.";
        return e;
      }
      s.raw.push_back({ts, values[i], count});
    }
  } else {
    const StatisticSetInput& set = *d.statistic_values;
    const std::string sp = p + "StatisticValues.";
    if (!set.sample_count) return MissingParameter(sp + "SampleCount");
    if (!set.sum) return MissingParameter(sp + "Sum");
    if (!set.minimum) return MissingParameter(sp + "Minimum");
    if (!set.maximum) return MissingParameter(sp + "Maximum");
    if (auto e = CheckValue(*set.sample_count, sp + "SampleCount")) return e;
    if (auto e = CheckValue(*set.sum, sp + "Sum")) return e;
    if (auto e = CheckValue(*set.minimum, sp + "Minimum")) return e;
    if (auto e = CheckValue(*set.maximum, sp + "Maximum")) return e;
    if (!(*set.sample_count > 0)) {
      ApiError e = InvalidValue(ValueText(*set.sample_count), sp + "SampleCount");
      e.message += " SampleCount must be positive.";
      return e;
    }
    if (*set.minimum > *set.maximum) {
      return ApiError{
          ErrorCode::kInvalidParameterValue,
          "The parameter " + sp + "Minimum must not be greater than " + sp + "Maximum."};
    }
    s.stats.push_back({ts, *set.sample_count, *set.sum, *set.minimum, *set.maximum});
  }
  return std::nullopt;
}

}  // namespace

ApiOr<std::vector<tsdb::SeriesSamples>> PlanPutMetricData(const PutMetricDataInput& in,
                                                          int64_t now_ms) {
  if (auto e = CheckNamespace(in.ns, /*for_write=*/true)) return *e;
  if (!in.metric_data || in.metric_data->empty()) return MissingParameter("MetricData");
  if (in.metric_data->size() > kMaxMetricData) {
    return ApiError{ErrorCode::kInvalidParameterValue,
                    "The collection MetricData must not have a size greater than 1000."};
  }
  std::vector<tsdb::SeriesSamples> batch;
  batch.reserve(in.metric_data->size());
  for (size_t i = 0; i < in.metric_data->size(); ++i) {
    const std::string p = "MetricData.member." + std::to_string(i + 1) + ".";
    if (auto e = PlanDatum(*in.ns, (*in.metric_data)[i], p, now_ms, &batch)) return *e;
  }
  return batch;
}

}  // namespace vigil::api
