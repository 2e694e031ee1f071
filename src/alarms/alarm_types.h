#pragma once
// The alarm model, in CloudWatch's terms (PutMetricAlarm, PutCompositeAlarm, DescribeAlarms).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace vigil::alarms {

enum class StateValue { kOk, kAlarm, kInsufficientData };
// "OK", "ALARM", "INSUFFICIENT_DATA".
std::string_view StateValueName(StateValue v);
std::optional<StateValue> ParseStateValue(std::string_view name);

// The comparisons of a static threshold (the anomaly-band ones need an anomaly detector,
// which Vigil does not have).
enum class Comparison {
  kGreaterThanOrEqualToThreshold,
  kGreaterThanThreshold,
  kLessThanThreshold,
  kLessThanOrEqualToThreshold,
};
std::string_view ComparisonName(Comparison c);  // "GreaterThanThreshold", ...
std::optional<Comparison> ParseComparison(std::string_view name);

enum class MissingData { kMissing, kBreaching, kNotBreaching, kIgnore };
std::string_view MissingDataName(MissingData m);  // "missing", "breaching", ...
std::optional<MissingData> ParseMissingData(std::string_view name);

using Dimensions = std::vector<std::pair<std::string, std::string>>;

// One metric and statistic over a period (CloudWatch's MetricStat).
struct MetricStat {
  std::string namespace_name;
  std::string metric_name;
  Dimensions dimensions;
  int64_t period_s = 60;
  std::string stat;  // "Average", "Sum", "Minimum", "Maximum", "SampleCount", "p99", ...
  std::string unit;  // empty: any
  bool operator==(const MetricStat&) const = default;
};

// One entry of a metric-math alarm (CloudWatch's MetricDataQuery): a metric or an expression
// over the others' ids. Exactly one entry of an alarm returns data.
struct MetricQuery {
  std::string id;
  std::optional<MetricStat> metric;
  std::string expression;
  std::string label;
  bool return_data = true;
  int64_t period_s = 0;  // an expression's period; 0: its metrics'
  bool operator==(const MetricQuery&) const = default;
};

struct Actions {
  bool enabled = true;
  std::vector<std::string> ok, alarm, insufficient_data;
  const std::vector<std::string>& For(StateValue v) const {
    return v == StateValue::kOk ? ok : v == StateValue::kAlarm ? alarm : insufficient_data;
  }
  bool operator==(const Actions&) const = default;
};

struct MetricAlarm {
  std::string name;
  std::string description;
  Actions actions;
  std::optional<MetricStat> metric;  // a single metric, or
  std::vector<MetricQuery> metrics;  // metric math
  int evaluation_periods = 1;
  int datapoints_to_alarm = 0;  // 0: evaluation_periods
  double threshold = 0;
  Comparison comparison = Comparison::kGreaterThanThreshold;
  MissingData treat_missing_data = MissingData::kMissing;
  // For percentile statistics with few samples: "evaluate" (default) or "ignore".
  std::string evaluate_low_sample_count_percentile;
  Dimensions tags;

  // The period of the evaluated datapoints: the metric's, or the returned query's.
  int64_t period_s() const;
  int m() const { return datapoints_to_alarm > 0 ? datapoints_to_alarm : evaluation_periods; }
  bool operator==(const MetricAlarm&) const = default;
};

// An alarm over other alarms' states: AlarmRule such as
// `ALARM("cpu-high") AND NOT OK(disk) OR (INSUFFICIENT_DATA(x) AND TRUE)`.
struct CompositeAlarm {
  std::string name;
  std::string description;
  Actions actions;
  std::string rule;
  Dimensions tags;
  bool operator==(const CompositeAlarm&) const = default;
};

// An alarm's state, as DescribeAlarms shows it.
struct AlarmState {
  StateValue value = StateValue::kInsufficientData;
  std::string reason = "Unchecked: Initial alarm creation";
  std::string reason_data;  // JSON; empty when none
  int64_t updated_ms = 0;
  int64_t config_updated_ms = 0;
  // Vigil: acknowledged (`vigil alarms ack`): repeats of the ALARM actions are silenced until
  // the alarm returns to OK.
  bool acknowledged = false;
  bool operator==(const AlarmState&) const = default;
};

// An alarm as DescribeAlarms lists it.
struct MetricAlarmInfo {
  MetricAlarm alarm;
  AlarmState state;
  std::string arn;
};
struct CompositeAlarmInfo {
  CompositeAlarm alarm;
  AlarmState state;
  std::string arn;
};

enum class HistoryType { kConfigurationUpdate, kStateUpdate, kAction };
std::string_view HistoryTypeName(HistoryType t);  // "ConfigurationUpdate", "StateUpdate", "Action"
std::optional<HistoryType> ParseHistoryType(std::string_view name);

struct HistoryItem {
  std::string alarm_name;
  bool composite = false;
  HistoryType type = HistoryType::kStateUpdate;
  int64_t timestamp_ms = 0;
  std::string summary;
  std::string data;  // JSON
};

}  // namespace vigil::alarms
