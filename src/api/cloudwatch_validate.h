#pragma once
// CloudWatch's rules for the members several operations share (namespaces, dimensions,
// units, periods, statistics, datapoint values). Each check returns nullopt when the member
// is valid, or the ApiError CloudWatch answers with; `path` names the member in messages.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/api_error.h"
#include "api/cloudwatch_types.h"
#include "tsdb/tsdb_types.h"

namespace vigil::api {

inline constexpr size_t kMaxDimensions = 30;
inline constexpr size_t kMaxNameLength = 255;             // namespaces, metric and dim names
inline constexpr size_t kMaxDimensionValueLength = 1024;  // DimensionValue in the model

// Non-empty valid text (IsValidText) of at most max_chars characters.
std::optional<ApiError> CheckText(const std::string& text, std::string_view path, size_t max_chars);

// Required; 1..255 characters, valid text, not starting with ':'. When `for_write`, also not
// in the reserved "AWS/" namespace.
std::optional<ApiError> CheckNamespace(const std::optional<std::string>& ns, bool for_write,
                                       std::string_view path = "Namespace");
// Required; 1..255 characters of valid text.
std::optional<ApiError> CheckMetricName(const std::optional<std::string>& name,
                                        std::string_view path);

// Dimensions of a metric: at most 30, Name and Value required and non-empty, names unique.
// The result is sorted by name (the store's canonical order).
ApiOr<std::vector<tsdb::Dimension>> CheckDimensions(const std::vector<DimensionInput>& dims,
                                                    std::string_view list_path);

// A unit from CloudWatch's StandardUnit enum.
std::optional<ApiError> CheckUnit(const std::optional<std::string>& unit, std::string_view path);

// Required; 1, 5, 10, 30 or a multiple of 60 seconds.
std::optional<ApiError> CheckPeriod(const std::optional<int64_t>& period, std::string_view path);

// A datapoint value CloudWatch stores: finite, |v| <= 2^360, and 0 or |v| >= 2^-260.
bool IsStorableValue(double v);
// `v` as text for messages: "NaN", "Infinity", "12.5".
std::string ValueText(double v);
std::optional<ApiError> CheckValue(double v, std::string_view path);

// A statistic: SampleCount, Average, Sum, Minimum, Maximum, or a percentile pNN / pNN.NN.
struct Statistic {
  enum class Kind { kSampleCount, kAverage, kSum, kMinimum, kMaximum, kPercentile };
  Kind kind;
  double percentile = 0;  // for kPercentile, in [0, 100]
};
std::optional<Statistic> ParseStatistic(std::string_view text);
// Just the percentile form; nullopt for anything else.
std::optional<double> ParsePercentile(std::string_view text);

// The value of `stat` in a datapoint; nullopt for a percentile the datapoint cannot give
// (`percentile_index` indexes Datapoint::percentiles).
std::optional<double> StatisticValue(const tsdb::Datapoint& dp, const Statistic& stat,
                                     size_t percentile_index);

}  // namespace vigil::api
