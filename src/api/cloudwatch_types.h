#pragma once
// The protocol-neutral form of each CloudWatch operation's input and output. Inputs are what
// the client sent (optional where the client may omit a member), decoded from either protocol
// by cloudwatch_decode.cc; outputs are rendered to either protocol by cloudwatch_render.cc.
// Member names follow the CloudWatch model.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "alarms/alarm_types.h"
#include "tsdb/tsdb_types.h"

namespace vigil::api {

enum class Protocol { kQuery, kJson };

enum class Operation {
  kPutMetricData,
  kGetMetricStatistics,
  kGetMetricData,
  kListMetrics,
  kPutMetricAlarm,
  kPutCompositeAlarm,
  kDescribeAlarms,
  kDescribeAlarmsForMetric,
  kDescribeAlarmHistory,
  kDeleteAlarms,
  kSetAlarmState,
  kEnableAlarmActions,
  kDisableAlarmActions,
};
inline constexpr int kOperationCount = 13;
std::string_view OperationName(Operation op);
// The operation named `name`; nullopt for anything else.
std::optional<Operation> ParseOperation(std::string_view name);
// True for every operation of the CloudWatch model (DescribeAlarms, ...), implemented or not.
bool IsCloudWatchOperation(std::string_view name);

struct DimensionInput {
  std::optional<std::string> name;
  std::optional<std::string> value;
};

struct StatisticSetInput {
  std::optional<double> sample_count, sum, minimum, maximum;
};

struct MetricDatumInput {
  std::optional<std::string> metric_name;
  std::vector<DimensionInput> dimensions;
  std::optional<int64_t> timestamp_ms;
  std::optional<double> value;
  std::optional<std::vector<double>> values;
  std::optional<std::vector<double>> counts;
  std::optional<StatisticSetInput> statistic_values;
  std::optional<std::string> unit;
  std::optional<int64_t> storage_resolution;
};

struct PutMetricDataInput {
  std::optional<std::string> ns;
  std::optional<std::vector<MetricDatumInput>> metric_data;
};

struct GetMetricStatisticsInput {
  std::optional<std::string> ns;
  std::optional<std::string> metric_name;
  std::vector<DimensionInput> dimensions;
  std::optional<int64_t> start_ms, end_ms;
  std::optional<int64_t> period;  // seconds
  std::vector<std::string> statistics;
  std::vector<std::string> extended_statistics;
  std::optional<std::string> unit;
};

struct MetricStatInput {
  bool has_metric = false;
  std::optional<std::string> ns;
  std::optional<std::string> metric_name;
  std::vector<DimensionInput> dimensions;
  std::optional<int64_t> period;
  std::optional<std::string> stat;
  std::optional<std::string> unit;
};

struct MetricDataQueryInput {
  std::optional<std::string> id;
  std::optional<MetricStatInput> metric_stat;
  std::optional<std::string> expression;
  std::optional<std::string> label;
  std::optional<bool> return_data;
  std::optional<int64_t> period;
};

struct GetMetricDataInput {
  std::optional<std::vector<MetricDataQueryInput>> queries;
  std::optional<int64_t> start_ms, end_ms;
  std::optional<std::string> next_token;
  std::optional<std::string> scan_by;
  std::optional<int64_t> max_datapoints;
};

struct ListMetricsInput {
  std::optional<std::string> ns;
  std::optional<std::string> metric_name;
  std::vector<DimensionInput> dimensions;
  std::optional<std::string> next_token;
  std::optional<std::string> recently_active;
};

struct TagInput {
  std::optional<std::string> key, value;
};

struct AlarmActionsInput {
  std::optional<bool> actions_enabled;
  std::vector<std::string> ok_actions, alarm_actions, insufficient_data_actions;
};

struct PutMetricAlarmInput {
  std::optional<std::string> alarm_name, alarm_description;
  AlarmActionsInput actions;
  std::optional<std::string> metric_name, ns, statistic, extended_statistic, unit;
  std::vector<DimensionInput> dimensions;
  std::optional<int64_t> period, evaluation_periods, datapoints_to_alarm;
  std::optional<double> threshold;
  std::optional<std::string> comparison_operator, treat_missing_data;
  std::optional<std::string> evaluate_low_sample_count_percentile, threshold_metric_id;
  std::optional<std::vector<MetricDataQueryInput>> metrics;
  std::vector<TagInput> tags;
};

struct PutCompositeAlarmInput {
  std::optional<std::string> alarm_name, alarm_description, alarm_rule;
  AlarmActionsInput actions;
  std::vector<TagInput> tags;
};

struct DescribeAlarmsInput {
  std::vector<std::string> alarm_names;
  std::optional<std::string> alarm_name_prefix;
  std::vector<std::string> alarm_types;
  std::optional<std::string> children_of_alarm_name, parents_of_alarm_name;
  std::optional<std::string> state_value, action_prefix;
  std::optional<int64_t> max_records;
  std::optional<std::string> next_token;
};

struct DescribeAlarmsForMetricInput {
  std::optional<std::string> metric_name, ns, statistic, extended_statistic, unit;
  std::vector<DimensionInput> dimensions;
  std::optional<int64_t> period;
};

struct DescribeAlarmHistoryInput {
  std::optional<std::string> alarm_name;
  std::vector<std::string> alarm_types;
  std::optional<std::string> history_item_type;
  std::optional<int64_t> start_ms, end_ms;
  std::optional<int64_t> max_records;
  std::optional<std::string> next_token, scan_by;
};

struct AlarmNamesInput {  // DeleteAlarms, EnableAlarmActions, DisableAlarmActions
  std::vector<std::string> alarm_names;
};

struct SetAlarmStateInput {
  std::optional<std::string> alarm_name, state_value, state_reason, state_reason_data;
};

using CloudWatchInput =
    std::variant<PutMetricDataInput, GetMetricStatisticsInput, GetMetricDataInput, ListMetricsInput,
                 PutMetricAlarmInput, PutCompositeAlarmInput, DescribeAlarmsInput,
                 DescribeAlarmsForMetricInput, DescribeAlarmHistoryInput, AlarmNamesInput,
                 SetAlarmStateInput>;

struct DecodedRequest {
  Operation op;
  CloudWatchInput input;
};

// Outputs.

struct StatisticsDatapoint {
  int64_t timestamp_ms = 0;
  std::optional<double> sample_count, average, sum, minimum, maximum;
  std::string unit;
  std::vector<std::pair<std::string, double>> extended;  // ExtendedStatistics, request order
};

struct GetMetricStatisticsOutput {
  std::string label;
  std::vector<StatisticsDatapoint> datapoints;
};

struct MetricDataResult {
  std::string id;
  std::string label;
  std::vector<int64_t> timestamps_ms;
  std::vector<double> values;
  std::string status_code = "Complete";  // or "PartialData"
};

struct GetMetricDataOutput {
  std::vector<MetricDataResult> results;
  std::optional<std::string> next_token;
};

struct ListMetricsOutput {
  std::vector<tsdb::SeriesKey> metrics;
  std::optional<std::string> next_token;
};

struct DescribeAlarmsOutput {
  std::vector<alarms::MetricAlarmInfo> metric_alarms;
  std::vector<alarms::CompositeAlarmInfo> composite_alarms;
  std::optional<std::string> next_token;
  bool for_metric = false;  // DescribeAlarmsForMetric: MetricAlarms only
};

struct DescribeAlarmHistoryOutput {
  std::vector<alarms::HistoryItem> items;
  std::optional<std::string> next_token;
};

// monostate: an operation without output (PutMetricData, PutMetricAlarm, ...).
using CloudWatchOutput =
    std::variant<std::monostate, GetMetricStatisticsOutput, GetMetricDataOutput, ListMetricsOutput,
                 DescribeAlarmsOutput, DescribeAlarmHistoryOutput>;

}  // namespace vigil::api
