#include "api/cloudwatch_validate.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>

#include "api/text.h"

namespace vigil::api {
namespace {

constexpr std::array<std::string_view, 27> kUnits = {
    "Seconds",
    "Microseconds",
    "Milliseconds",
    "Bytes",
    "Kilobytes",
    "Megabytes",
    "Gigabytes",
    "Terabytes",
    "Bits",
    "Kilobits",
    "Megabits",
    "Gigabits",
    "Terabits",
    "Percent",
    "Count",
    "Bytes/Second",
    "Kilobytes/Second",
    "Megabytes/Second",
    "Gigabytes/Second",
    "Terabytes/Second",
    "Bits/Second",
    "Kilobits/Second",
    "Megabits/Second",
    "Gigabits/Second",
    "Terabits/Second",
    "Count/Second",
    "None",
};

// Characters (code points) of valid UTF-8 text.
size_t CharCount(std::string_view text) {
  return std::count_if(text.begin(), text.end(),
                       [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; });
}

}  // namespace

std::optional<ApiError> CheckText(const std::string& text, std::string_view path,
                                  size_t max_chars) {
  if (text.empty()) {
    return ApiError{ErrorCode::kInvalidParameterValue,
                    "The parameter " + std::string(path) + " must not be empty."};
  }
  if (!IsValidText(text)) {
    return ApiError{ErrorCode::kInvalidParameterValue,
                    "The value " + Printable(text, 128) + " for parameter " + std::string(path) +
                        " is not valid: it contains invalid characters."};
  }
  if (CharCount(text) > max_chars) {
    return ApiError{ErrorCode::kInvalidParameterValue,
                    "The parameter " + std::string(path) + " must be at most " +
                        std::to_string(max_chars) + " characters long."};
  }
  return std::nullopt;
}

std::optional<ApiError> CheckNamespace(const std::optional<std::string>& ns, bool for_write,
                                       std::string_view path) {
  if (!ns) return MissingParameter(path);
  if (auto e = CheckText(*ns, path, kMaxNameLength)) return e;
  if (ns->front() == ':') return InvalidValue(*ns, path);
  if (for_write && ns->starts_with("AWS/")) {
    ApiError e = InvalidValue(*ns, path);
    e.message += " The namespace prefix AWS/ is reserved for AWS services.";
    return e;
  }
  return std::nullopt;
}

std::optional<ApiError> CheckMetricName(const std::optional<std::string>& name,
                                        std::string_view path) {
  if (!name) return MissingParameter(path);
  return CheckText(*name, path, kMaxNameLength);
}

ApiOr<std::vector<tsdb::Dimension>> CheckDimensions(const std::vector<DimensionInput>& dims,
                                                    std::string_view list_path) {
  if (dims.size() > kMaxDimensions) {
    return ApiError{
        ErrorCode::kInvalidParameterValue,
        "The collection " + std::string(list_path) + " must not have a size greater than 30."};
  }
  std::vector<tsdb::Dimension> out;
  out.reserve(dims.size());
  for (size_t i = 0; i < dims.size(); ++i) {
    const std::string p = std::string(list_path) + ".member." + std::to_string(i + 1) + ".";
    if (!dims[i].name) return MissingParameter(p + "Name");
    if (!dims[i].value) return MissingParameter(p + "Value");
    if (auto e = CheckText(*dims[i].name, p + "Name", kMaxNameLength)) return *e;
    if (auto e = CheckText(*dims[i].value, p + "Value", kMaxDimensionValueLength)) return *e;
    out.push_back({*dims[i].name, *dims[i].value});
  }
  std::sort(out.begin(), out.end());
  for (size_t i = 1; i < out.size(); ++i) {
    if (out[i].name == out[i - 1].name) {
      return ApiError{ErrorCode::kInvalidParameterValue, "The dimension name " + out[i].name +
                                                             " is used more than once in " +
                                                             std::string(list_path) + "."};
    }
  }
  return out;
}

std::optional<ApiError> CheckUnit(const std::optional<std::string>& unit, std::string_view path) {
  if (!unit) return std::nullopt;
  if (std::find(kUnits.begin(), kUnits.end(), *unit) != kUnits.end()) return std::nullopt;
  ApiError e = InvalidValue(*unit, path);
  e.message +=
      " Valid units are Seconds, Microseconds, Milliseconds, Bytes, Kilobytes, "
      "Megabytes, Gigabytes, Terabytes, Bits, Kilobits, Megabits, Gigabits, Terabits, "
      "Percent, Count, Bytes/Second, Kilobytes/Second, Megabytes/Second, "
      "Gigabytes/Second, Terabytes/Second, Bits/Second, Kilobits/Second, "
      "Megabits/Second, Gigabits/Second, Terabits/Second, Count/Second and None.";
  return e;
}

std::optional<ApiError> CheckPeriod(const std::optional<int64_t>& period, std::string_view path) {
  if (!period) return MissingParameter(path);
  const int64_t p = *period;
  if (p < 1 || p > 366LL * 86400) return InvalidValue(std::to_string(p), path);
  if (p == 1 || p == 5 || p == 10 || p == 30 || p % 60 == 0) return std::nullopt;
  return ApiError{
      ErrorCode::kInvalidParameterValue,
      "The parameter " + std::string(path) + " must be 1, 5, 10, 30, or a multiple of 60."};
}

bool IsStorableValue(double v) {
  if (!std::isfinite(v)) return false;
  const double a = std::fabs(v);
  return a <= std::ldexp(1.0, 360) && (a == 0 || a >= std::ldexp(1.0, -260));
}

std::string ValueText(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "Infinity" : "-Infinity";
  std::string text;
  AppendAwsDouble(&text, v);
  return text;
}

std::optional<ApiError> CheckValue(double v, std::string_view path) {
  if (IsStorableValue(v)) return std::nullopt;
  ApiError e = InvalidValue(ValueText(v), path);
  e.message +=
      " Values must be finite, within -2^360..2^360, and not smaller than 2^-260 in "
      "magnitude unless 0.";
  return e;
}

std::optional<double> ParsePercentile(std::string_view text) {
  // 'p', 1-3 integer digits, optionally '.' and 1-2 fraction digits; within [0, 100].
  if (text.size() < 2 || text[0] != 'p') return std::nullopt;
  const std::string_view number = text.substr(1);
  const size_t dot = number.find('.');
  const std::string_view int_part = number.substr(0, dot);
  const std::string_view frac_part =
      dot == std::string_view::npos ? std::string_view() : number.substr(dot + 1);
  auto all_digits = [](std::string_view s) {
    return std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
  };
  if (int_part.empty() || int_part.size() > 3 || !all_digits(int_part)) return std::nullopt;
  if (dot != std::string_view::npos &&
      (frac_part.empty() || frac_part.size() > 2 || !all_digits(frac_part))) {
    return std::nullopt;
  }
  double value = 0;
  std::from_chars(number.data(), number.data() + number.size(), value);
  if (value > 100) return std::nullopt;
  return value;
}

std::optional<Statistic> ParseStatistic(std::string_view text) {
  using Kind = Statistic::Kind;
  if (text == "SampleCount") return Statistic{Kind::kSampleCount};
  if (text == "Average") return Statistic{Kind::kAverage};
  if (text == "Sum") return Statistic{Kind::kSum};
  if (text == "Minimum") return Statistic{Kind::kMinimum};
  if (text == "Maximum") return Statistic{Kind::kMaximum};
  if (auto p = ParsePercentile(text)) return Statistic{Kind::kPercentile, *p};
  return std::nullopt;
}

std::optional<double> StatisticValue(const tsdb::Datapoint& dp, const Statistic& stat,
                                     size_t percentile_index) {
  switch (stat.kind) {
    case Statistic::Kind::kSampleCount:
      return dp.sample_count;
    case Statistic::Kind::kAverage:
      return dp.average();
    case Statistic::Kind::kSum:
      return dp.sum;
    case Statistic::Kind::kMinimum:
      return dp.minimum;
    case Statistic::Kind::kMaximum:
      return dp.maximum;
    case Statistic::Kind::kPercentile:
      if (percentile_index < dp.percentiles.size()) return dp.percentiles[percentile_index];
      return std::nullopt;
  }
  return std::nullopt;
}

}  // namespace vigil::api
