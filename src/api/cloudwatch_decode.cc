#include "api/cloudwatch_decode.h"

#include <array>

#include "api/form.h"
#include "api/input_reader.h"
#include "api/text.h"

namespace vigil::api {
namespace {

using Json = nlohmann::json;

constexpr std::string_view kApiVersion = "2010-08-01";

// The 38 operations of the CloudWatch model (2010-08-01).
constexpr std::array<std::string_view, 38> kModelOperations = {
    "DeleteAlarms",
    "DeleteAnomalyDetector",
    "DeleteDashboards",
    "DeleteInsightRules",
    "DeleteMetricStream",
    "DescribeAlarmHistory",
    "DescribeAlarms",
    "DescribeAlarmsForMetric",
    "DescribeAnomalyDetectors",
    "DescribeInsightRules",
    "DisableAlarmActions",
    "DisableInsightRules",
    "EnableAlarmActions",
    "EnableInsightRules",
    "GetDashboard",
    "GetInsightRuleReport",
    "GetMetricData",
    "GetMetricStatistics",
    "GetMetricStream",
    "GetMetricWidgetImage",
    "ListDashboards",
    "ListManagedInsightRules",
    "ListMetricStreams",
    "ListMetrics",
    "ListTagsForResource",
    "PutAnomalyDetector",
    "PutCompositeAlarm",
    "PutDashboard",
    "PutInsightRule",
    "PutManagedInsightRules",
    "PutMetricAlarm",
    "PutMetricData",
    "PutMetricStream",
    "SetAlarmState",
    "StartMetricStreams",
    "StopMetricStreams",
    "TagResource",
    "UntagResource",
};

std::string ElementPrefix(std::string_view list_path, size_t index) {
  std::string prefix(list_path);
  prefix += ".member.";
  prefix += std::to_string(index + 1);
  prefix += '.';
  return prefix;
}

std::vector<DimensionInput> ReadDimensions(InputReader& r, const Json& object,
                                           std::string_view prefix) {
  std::vector<DimensionInput> out;
  const Json* list = r.List(object, "Dimensions", prefix);
  if (list == nullptr) return out;
  const std::string list_path = std::string(prefix) + "Dimensions";
  out.reserve(list->size());
  for (size_t i = 0; i < list->size(); ++i) {
    const Json& item = (*list)[i];
    const std::string p = ElementPrefix(list_path, i);
    if (!item.is_object()) {
      r.Fail(InvalidValue(InputReader::Describe(item), p.substr(0, p.size() - 1)));
      break;
    }
    out.push_back({r.String(item, "Name", p), r.String(item, "Value", p)});
  }
  return out;
}

std::optional<std::vector<double>> ReadDoubles(InputReader& r, const Json& object,
                                               std::string_view name, std::string_view prefix) {
  const Json* list = r.List(object, name, prefix);
  if (list == nullptr) return std::nullopt;
  std::vector<double> out;
  out.reserve(list->size());
  const std::string list_path = std::string(prefix) + std::string(name);
  for (size_t i = 0; i < list->size(); ++i) {
    auto v = r.DoubleValue((*list)[i], list_path + ".member." + std::to_string(i + 1));
    if (!v) break;
    out.push_back(*v);
  }
  return out;
}

std::vector<std::string> ReadStrings(InputReader& r, const Json& object, std::string_view name) {
  std::vector<std::string> out;
  const Json* list = r.List(object, name);
  if (list == nullptr) return out;
  for (size_t i = 0; i < list->size(); ++i) {
    auto v = r.StringValue((*list)[i], std::string(name) + ".member." + std::to_string(i + 1));
    if (!v) break;
    out.push_back(std::move(*v));
  }
  return out;
}

PutMetricDataInput DecodePutMetricData(InputReader& r, const Json& doc) {
  PutMetricDataInput in;
  in.ns = r.String(doc, "Namespace");
  const Json* list = r.List(doc, "MetricData");
  if (list == nullptr) return in;
  in.metric_data.emplace();
  in.metric_data->reserve(list->size());
  for (size_t i = 0; i < list->size() && r.ok(); ++i) {
    const Json& item = (*list)[i];
    const std::string p = ElementPrefix("MetricData", i);
    if (!item.is_object()) {
      r.Fail(InvalidValue(InputReader::Describe(item), p.substr(0, p.size() - 1)));
      break;
    }
    MetricDatumInput& d = in.metric_data->emplace_back();
    d.metric_name = r.String(item, "MetricName", p);
    d.dimensions = ReadDimensions(r, item, p);
    d.timestamp_ms = r.Timestamp(item, "Timestamp", p);
    d.value = r.Double(item, "Value", p);
    d.values = ReadDoubles(r, item, "Values", p);
    d.counts = ReadDoubles(r, item, "Counts", p);
    if (const Json* set = r.Struct(item, "StatisticValues", p)) {
      const std::string sp = p + "StatisticValues.";
      d.statistic_values =
          StatisticSetInput{r.Double(*set, "SampleCount", sp), r.Double(*set, "Sum", sp),
                            r.Double(*set, "Minimum", sp), r.Double(*set, "Maximum", sp)};
    }
    d.unit = r.String(item, "Unit", p);
    d.storage_resolution = r.Integer(item, "StorageResolution", p);
  }
  return in;
}

GetMetricStatisticsInput DecodeGetMetricStatistics(InputReader& r, const Json& doc) {
  GetMetricStatisticsInput in;
  in.ns = r.String(doc, "Namespace");
  in.metric_name = r.String(doc, "MetricName");
  in.dimensions = ReadDimensions(r, doc, "");
  in.start_ms = r.Timestamp(doc, "StartTime");
  in.end_ms = r.Timestamp(doc, "EndTime");
  in.period = r.Integer(doc, "Period");
  in.statistics = ReadStrings(r, doc, "Statistics");
  in.extended_statistics = ReadStrings(r, doc, "ExtendedStatistics");
  in.unit = r.String(doc, "Unit");
  return in;
}

MetricStatInput DecodeMetricStat(InputReader& r, const Json& stat, const std::string& prefix) {
  MetricStatInput in;
  if (const Json* metric = r.Struct(stat, "Metric", prefix)) {
    const std::string mp = prefix + "Metric.";
    in.has_metric = true;
    in.ns = r.String(*metric, "Namespace", mp);
    in.metric_name = r.String(*metric, "MetricName", mp);
    in.dimensions = ReadDimensions(r, *metric, mp);
  }
  in.period = r.Integer(stat, "Period", prefix);
  in.stat = r.String(stat, "Stat", prefix);
  in.unit = r.String(stat, "Unit", prefix);
  return in;
}

// A list of MetricDataQuery (GetMetricData's MetricDataQueries, PutMetricAlarm's Metrics).
std::optional<std::vector<MetricDataQueryInput>> ReadMetricDataQueries(InputReader& r,
                                                                       const Json& doc,
                                                                       std::string_view name) {
  const Json* list = r.List(doc, name);
  if (list == nullptr) return std::nullopt;
  std::vector<MetricDataQueryInput> queries;
  queries.reserve(list->size());
  for (size_t i = 0; i < list->size() && r.ok(); ++i) {
    const Json& item = (*list)[i];
    const std::string p = ElementPrefix(name, i);
    if (!item.is_object()) {
      r.Fail(InvalidValue(InputReader::Describe(item), p.substr(0, p.size() - 1)));
      break;
    }
    MetricDataQueryInput& q = queries.emplace_back();
    q.id = r.String(item, "Id", p);
    if (const Json* stat = r.Struct(item, "MetricStat", p)) {
      q.metric_stat = DecodeMetricStat(r, *stat, p + "MetricStat.");
    }
    q.expression = r.String(item, "Expression", p);
    q.label = r.String(item, "Label", p);
    q.return_data = r.Bool(item, "ReturnData", p);
    q.period = r.Integer(item, "Period", p);
  }
  return queries;
}

GetMetricDataInput DecodeGetMetricData(InputReader& r, const Json& doc) {
  GetMetricDataInput in;
  in.queries = ReadMetricDataQueries(r, doc, "MetricDataQueries");
  in.start_ms = r.Timestamp(doc, "StartTime");
  in.end_ms = r.Timestamp(doc, "EndTime");
  in.next_token = r.String(doc, "NextToken");
  in.scan_by = r.String(doc, "ScanBy");
  in.max_datapoints = r.Integer(doc, "MaxDatapoints");
  return in;
}

std::vector<TagInput> ReadTags(InputReader& r, const Json& doc) {
  std::vector<TagInput> out;
  const Json* list = r.List(doc, "Tags");
  if (list == nullptr) return out;
  for (size_t i = 0; i < list->size() && r.ok(); ++i) {
    const Json& item = (*list)[i];
    const std::string p = ElementPrefix("Tags", i);
    if (!item.is_object()) {
      r.Fail(InvalidValue(InputReader::Describe(item), p.substr(0, p.size() - 1)));
      break;
    }
    out.push_back({r.String(item, "Key", p), r.String(item, "Value", p)});
  }
  return out;
}

AlarmActionsInput ReadAlarmActions(InputReader& r, const Json& doc) {
  AlarmActionsInput a;
  a.actions_enabled = r.Bool(doc, "ActionsEnabled");
  a.ok_actions = ReadStrings(r, doc, "OKActions");
  a.alarm_actions = ReadStrings(r, doc, "AlarmActions");
  a.insufficient_data_actions = ReadStrings(r, doc, "InsufficientDataActions");
  return a;
}

PutMetricAlarmInput DecodePutMetricAlarm(InputReader& r, const Json& doc) {
  PutMetricAlarmInput in;
  in.alarm_name = r.String(doc, "AlarmName");
  in.alarm_description = r.String(doc, "AlarmDescription");
  in.actions = ReadAlarmActions(r, doc);
  in.metric_name = r.String(doc, "MetricName");
  in.ns = r.String(doc, "Namespace");
  in.statistic = r.String(doc, "Statistic");
  in.extended_statistic = r.String(doc, "ExtendedStatistic");
  in.dimensions = ReadDimensions(r, doc, "");
  in.period = r.Integer(doc, "Period");
  in.unit = r.String(doc, "Unit");
  in.evaluation_periods = r.Integer(doc, "EvaluationPeriods");
  in.datapoints_to_alarm = r.Integer(doc, "DatapointsToAlarm");
  in.threshold = r.Double(doc, "Threshold");
  in.comparison_operator = r.String(doc, "ComparisonOperator");
  in.treat_missing_data = r.String(doc, "TreatMissingData");
  in.evaluate_low_sample_count_percentile = r.String(doc, "EvaluateLowSampleCountPercentile");
  in.threshold_metric_id = r.String(doc, "ThresholdMetricId");
  in.metrics = ReadMetricDataQueries(r, doc, "Metrics");
  in.tags = ReadTags(r, doc);
  return in;
}

PutCompositeAlarmInput DecodePutCompositeAlarm(InputReader& r, const Json& doc) {
  PutCompositeAlarmInput in;
  in.alarm_name = r.String(doc, "AlarmName");
  in.alarm_description = r.String(doc, "AlarmDescription");
  in.alarm_rule = r.String(doc, "AlarmRule");
  in.actions = ReadAlarmActions(r, doc);
  in.tags = ReadTags(r, doc);
  return in;
}

DescribeAlarmsInput DecodeDescribeAlarms(InputReader& r, const Json& doc) {
  DescribeAlarmsInput in;
  in.alarm_names = ReadStrings(r, doc, "AlarmNames");
  in.alarm_name_prefix = r.String(doc, "AlarmNamePrefix");
  in.alarm_types = ReadStrings(r, doc, "AlarmTypes");
  in.children_of_alarm_name = r.String(doc, "ChildrenOfAlarmName");
  in.parents_of_alarm_name = r.String(doc, "ParentsOfAlarmName");
  in.state_value = r.String(doc, "StateValue");
  in.action_prefix = r.String(doc, "ActionPrefix");
  in.max_records = r.Integer(doc, "MaxRecords");
  in.next_token = r.String(doc, "NextToken");
  return in;
}

DescribeAlarmsForMetricInput DecodeDescribeAlarmsForMetric(InputReader& r, const Json& doc) {
  DescribeAlarmsForMetricInput in;
  in.metric_name = r.String(doc, "MetricName");
  in.ns = r.String(doc, "Namespace");
  in.statistic = r.String(doc, "Statistic");
  in.extended_statistic = r.String(doc, "ExtendedStatistic");
  in.dimensions = ReadDimensions(r, doc, "");
  in.period = r.Integer(doc, "Period");
  in.unit = r.String(doc, "Unit");
  return in;
}

DescribeAlarmHistoryInput DecodeDescribeAlarmHistory(InputReader& r, const Json& doc) {
  DescribeAlarmHistoryInput in;
  in.alarm_name = r.String(doc, "AlarmName");
  in.alarm_types = ReadStrings(r, doc, "AlarmTypes");
  in.history_item_type = r.String(doc, "HistoryItemType");
  in.start_ms = r.Timestamp(doc, "StartDate");
  in.end_ms = r.Timestamp(doc, "EndDate");
  in.max_records = r.Integer(doc, "MaxRecords");
  in.next_token = r.String(doc, "NextToken");
  in.scan_by = r.String(doc, "ScanBy");
  return in;
}

SetAlarmStateInput DecodeSetAlarmState(InputReader& r, const Json& doc) {
  SetAlarmStateInput in;
  in.alarm_name = r.String(doc, "AlarmName");
  in.state_value = r.String(doc, "StateValue");
  in.state_reason = r.String(doc, "StateReason");
  in.state_reason_data = r.String(doc, "StateReasonData");
  return in;
}

ListMetricsInput DecodeListMetrics(InputReader& r, const Json& doc) {
  ListMetricsInput in;
  in.ns = r.String(doc, "Namespace");
  in.metric_name = r.String(doc, "MetricName");
  in.dimensions = ReadDimensions(r, doc, "");
  in.next_token = r.String(doc, "NextToken");
  in.recently_active = r.String(doc, "RecentlyActive");
  return in;
}

}  // namespace

std::string_view OperationName(Operation op) {
  static constexpr std::array<std::string_view, kOperationCount> kNames = {
      "PutMetricData",        "GetMetricStatistics", "GetMetricData",  "ListMetrics",
      "PutMetricAlarm",       "PutCompositeAlarm",   "DescribeAlarms", "DescribeAlarmsForMetric",
      "DescribeAlarmHistory", "DeleteAlarms",        "SetAlarmState",  "EnableAlarmActions",
      "DisableAlarmActions",
  };
  const auto i = static_cast<size_t>(op);
  return i < kNames.size() ? kNames[i] : "Unknown";
}

std::optional<Operation> ParseOperation(std::string_view name) {
  for (int i = 0; i < kOperationCount; ++i) {
    if (OperationName(static_cast<Operation>(i)) == name) return static_cast<Operation>(i);
  }
  return std::nullopt;
}

bool IsCloudWatchOperation(std::string_view name) {
  for (std::string_view op : kModelOperations) {
    if (op == name) return true;
  }
  return false;
}

ApiError InvalidActionError(std::string_view action) {
  return {ErrorCode::kInvalidAction,
          "The action " + Printable(action, 128) + " is not valid for this web service."};
}

ApiOr<CloudWatchInput> DecodeInput(Operation op, Protocol protocol, const Json& document) {
  InputReader r(protocol);
  CloudWatchInput input;
  switch (op) {
    case Operation::kPutMetricData:
      input = DecodePutMetricData(r, document);
      break;
    case Operation::kGetMetricStatistics:
      input = DecodeGetMetricStatistics(r, document);
      break;
    case Operation::kGetMetricData:
      input = DecodeGetMetricData(r, document);
      break;
    case Operation::kListMetrics:
      input = DecodeListMetrics(r, document);
      break;
    case Operation::kPutMetricAlarm:
      input = DecodePutMetricAlarm(r, document);
      break;
    case Operation::kPutCompositeAlarm:
      input = DecodePutCompositeAlarm(r, document);
      break;
    case Operation::kDescribeAlarms:
      input = DecodeDescribeAlarms(r, document);
      break;
    case Operation::kDescribeAlarmsForMetric:
      input = DecodeDescribeAlarmsForMetric(r, document);
      break;
    case Operation::kDescribeAlarmHistory:
      input = DecodeDescribeAlarmHistory(r, document);
      break;
    case Operation::kDeleteAlarms:
    case Operation::kEnableAlarmActions:
    case Operation::kDisableAlarmActions:
      input = AlarmNamesInput{ReadStrings(r, document, "AlarmNames")};
      break;
    case Operation::kSetAlarmState:
      input = DecodeSetAlarmState(r, document);
      break;
  }
  if (!r.ok()) return r.error();
  return input;
}

ApiOr<DecodedRequest> DecodeQueryRequest(std::string_view body, std::string* action) {
  auto pairs = ParseFormPairs(body);
  if (!pairs.ok()) return pairs.error();
  std::optional<std::string> version;
  std::optional<std::string> action_field;
  FormPairs params;
  params.reserve(pairs->size());
  for (auto& [key, value] : pairs.value()) {
    if (key == "Action") {
      action_field = std::move(value);
    } else if (key == "Version") {
      version = std::move(value);
    } else {
      params.emplace_back(std::move(key), std::move(value));
    }
  }
  if (!action_field || action_field->empty()) {
    return ApiError{ErrorCode::kMissingAction, "The request must contain the parameter Action."};
  }
  *action = *action_field;
  if (!version) return MissingParameter("Version");
  if (*version != kApiVersion) {
    return ApiError{ErrorCode::kInvalidAction, "Could not find operation " +
                                                   Printable(*action_field, 128) + " for version " +
                                                   Printable(*version, 64)};
  }
  const std::optional<Operation> op = ParseOperation(*action_field);
  if (!op) return InvalidActionError(*action_field);
  auto document = FormToDocument(params);
  if (!document.ok()) return document.error();
  auto input = DecodeInput(*op, Protocol::kQuery, document.value());
  if (!input.ok()) return input.error();
  return DecodedRequest{*op, std::move(input).value()};
}

ApiOr<DecodedRequest> DecodeJsonRequest(std::string_view operation, std::string_view body) {
  const std::optional<Operation> op = ParseOperation(operation);
  if (!op && IsCloudWatchOperation(operation)) return InvalidActionError(operation);
  if (!op) {
    return ApiError{ErrorCode::kUnknownOperation,
                    "Unknown operation " + Printable(operation, 128) + "."};
  }
  Json document = Json::object();
  if (!body.empty()) {
    // nlohmann reports the reason (and offset) only by exception; it does not leave here.
    try {
      document = Json::parse(body);
    } catch (const Json::exception& e) {
      return ApiError{ErrorCode::kInvalidFormat,
                      "The request body is not valid JSON: " + std::string(e.what())};
    }
  }
  if (!document.is_object()) {
    return ApiError{ErrorCode::kInvalidFormat, "The request body is not a JSON object."};
  }
  auto input = DecodeInput(*op, Protocol::kJson, document);
  if (!input.ok()) return input.error();
  return DecodedRequest{*op, std::move(input).value()};
}

}  // namespace vigil::api
