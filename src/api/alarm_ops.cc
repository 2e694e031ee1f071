// The alarm operations (PutMetricAlarm, DescribeAlarms, ...): CloudWatch's request rules,
// then the alarms engine.
#include "api/alarm_ops.h"

#include <algorithm>

#include "alarms/alarms.h"
#include "api/cloudwatch_validate.h"
#include "api/text.h"

namespace vigil::api {
namespace {

constexpr int64_t kDefaultDescribeRecords = 50;
constexpr int64_t kDefaultHistoryRecords = 100;
constexpr size_t kMaxAlarmNames = 100;

ApiError Combination(std::string message) {
  return {ErrorCode::kInvalidParameterCombination, std::move(message)};
}

ApiOr<alarms::Dimensions> ToDimensions(const std::vector<DimensionInput>& in,
                                       std::string_view path) {
  auto dims = CheckDimensions(in, path);
  if (!dims.ok()) return dims.error();
  alarms::Dimensions out;
  for (const tsdb::Dimension& d : dims.value()) out.emplace_back(d.name, d.value);
  return out;
}

ApiOr<alarms::MetricStat> ToMetricStat(const MetricStatInput& in, const std::string& prefix) {
  if (!in.has_metric) return MissingParameter(prefix + "Metric");
  alarms::MetricStat m;
  if (auto e = CheckNamespace(in.ns, false, prefix + "Metric.Namespace")) return *e;
  if (auto e = CheckMetricName(in.metric_name, prefix + "Metric.MetricName")) return *e;
  auto dims = ToDimensions(in.dimensions, prefix + "Metric.Dimensions");
  if (!dims.ok()) return dims.error();
  if (auto e = CheckPeriod(in.period, prefix + "Period")) return *e;
  if (!in.stat) return MissingParameter(prefix + "Stat");
  if (!ParseStatistic(*in.stat)) return InvalidValue(*in.stat, prefix + "Stat");
  if (auto e = CheckUnit(in.unit, prefix + "Unit")) return *e;
  m.namespace_name = *in.ns;
  m.metric_name = *in.metric_name;
  m.dimensions = std::move(dims.value());
  m.period_s = *in.period;
  m.stat = *in.stat;
  m.unit = in.unit.value_or("");
  return m;
}

ApiOr<alarms::Actions> ToActions(const AlarmActionsInput& in) {
  alarms::Actions a;
  a.enabled = in.actions_enabled.value_or(true);
  a.ok = in.ok_actions;
  a.alarm = in.alarm_actions;
  a.insufficient_data = in.insufficient_data_actions;
  return a;
}

ApiOr<alarms::Dimensions> ToTags(const std::vector<TagInput>& in) {
  alarms::Dimensions tags;
  for (size_t i = 0; i < in.size(); ++i) {
    const std::string p = "Tags.member." + std::to_string(i + 1) + ".";
    if (!in[i].key) return MissingParameter(p + "Key");
    if (!in[i].value) return MissingParameter(p + "Value");
    tags.emplace_back(*in[i].key, *in[i].value);
  }
  return tags;
}

ApiOr<alarms::MetricAlarm> PlanPutMetricAlarm(const PutMetricAlarmInput& in) {
  alarms::MetricAlarm a;
  if (!in.alarm_name) return MissingParameter("AlarmName");
  a.name = *in.alarm_name;
  a.description = in.alarm_description.value_or("");
  auto actions = ToActions(in.actions);
  if (!actions.ok()) return actions.error();
  a.actions = std::move(actions.value());
  if (in.threshold_metric_id) {
    return ApiError{ErrorCode::kInvalidParameterValue,
                    "ThresholdMetricId (an anomaly detection band) is not supported: Vigil "
                    "alarms compare against a static Threshold."};
  }
  if (!in.evaluation_periods) return MissingParameter("EvaluationPeriods");
  if (*in.evaluation_periods < 1 || *in.evaluation_periods > 100'000) {
    return InvalidValue(std::to_string(*in.evaluation_periods), "EvaluationPeriods");
  }
  a.evaluation_periods = static_cast<int>(*in.evaluation_periods);
  if (in.datapoints_to_alarm) {
    if (*in.datapoints_to_alarm < 1 || *in.datapoints_to_alarm > a.evaluation_periods) {
      return InvalidValue(std::to_string(*in.datapoints_to_alarm), "DatapointsToAlarm");
    }
    a.datapoints_to_alarm = static_cast<int>(*in.datapoints_to_alarm);
  }
  if (!in.threshold) return MissingParameter("Threshold");
  a.threshold = *in.threshold;
  if (!in.comparison_operator) return MissingParameter("ComparisonOperator");
  const auto op = alarms::ParseComparison(*in.comparison_operator);
  if (!op) {
    ApiError e = InvalidValue(*in.comparison_operator, "ComparisonOperator");
    e.message +=
        " Vigil supports GreaterThanOrEqualToThreshold, GreaterThanThreshold, "
        "LessThanThreshold and LessThanOrEqualToThreshold.";
    return e;
  }
  a.comparison = *op;
  if (in.treat_missing_data) {
    const auto t = alarms::ParseMissingData(*in.treat_missing_data);
    if (!t) return InvalidValue(*in.treat_missing_data, "TreatMissingData");
    a.treat_missing_data = *t;
  }
  a.evaluate_low_sample_count_percentile = in.evaluate_low_sample_count_percentile.value_or("");

  const bool single = in.metric_name || in.ns || in.statistic || in.extended_statistic ||
                      in.period || !in.dimensions.empty();
  if (single && in.metrics) {
    return Combination(
        "Metrics cannot be combined with MetricName, Namespace, Statistic, ExtendedStatistic, "
        "Dimensions or Period.");
  }
  if (in.metrics) {
    if (in.unit) return Combination("Unit cannot be combined with Metrics.");
    for (size_t i = 0; i < in.metrics->size(); ++i) {
      const MetricDataQueryInput& q = (*in.metrics)[i];
      const std::string p = "Metrics.member." + std::to_string(i + 1) + ".";
      alarms::MetricQuery out;
      if (!q.id) return MissingParameter(p + "Id");
      out.id = *q.id;
      out.expression = q.expression.value_or("");
      out.label = q.label.value_or("");
      out.return_data = q.return_data.value_or(true);
      out.period_s = q.period.value_or(0);
      if (q.metric_stat) {
        auto m = ToMetricStat(*q.metric_stat, p + "MetricStat.");
        if (!m.ok()) return m.error();
        out.metric = std::move(m.value());
      }
      a.metrics.push_back(std::move(out));
    }
  } else {
    if (auto e = CheckNamespace(in.ns, false)) return *e;
    if (auto e = CheckMetricName(in.metric_name, "MetricName")) return *e;
    if (in.statistic.has_value() == in.extended_statistic.has_value()) {
      return Combination("Exactly one of Statistic and ExtendedStatistic must be given.");
    }
    alarms::MetricStat m;
    if (in.statistic) {
      const auto s = ParseStatistic(*in.statistic);
      if (!s || s->kind == Statistic::Kind::kPercentile) {
        return InvalidValue(*in.statistic, "Statistic");
      }
      m.stat = *in.statistic;
    } else {
      if (!ParsePercentile(*in.extended_statistic)) {
        return InvalidValue(*in.extended_statistic, "ExtendedStatistic");
      }
      m.stat = *in.extended_statistic;
    }
    if (auto e = CheckPeriod(in.period, "Period")) return *e;
    if (auto e = CheckUnit(in.unit, "Unit")) return *e;
    auto dims = ToDimensions(in.dimensions, "Dimensions");
    if (!dims.ok()) return dims.error();
    m.namespace_name = *in.ns;
    m.metric_name = *in.metric_name;
    m.dimensions = std::move(dims.value());
    m.period_s = *in.period;
    m.unit = in.unit.value_or("");
    a.metric = std::move(m);
  }
  auto tags = ToTags(in.tags);
  if (!tags.ok()) return tags.error();
  a.tags = std::move(tags.value());
  return a;
}

ApiOr<alarms::CompositeAlarm> PlanPutCompositeAlarm(const PutCompositeAlarmInput& in) {
  alarms::CompositeAlarm a;
  if (!in.alarm_name) return MissingParameter("AlarmName");
  if (!in.alarm_rule) return MissingParameter("AlarmRule");
  a.name = *in.alarm_name;
  a.description = in.alarm_description.value_or("");
  a.rule = *in.alarm_rule;
  auto actions = ToActions(in.actions);
  if (!actions.ok()) return actions.error();
  a.actions = std::move(actions.value());
  auto tags = ToTags(in.tags);
  if (!tags.ok()) return tags.error();
  a.tags = std::move(tags.value());
  return a;
}

// AlarmTypes ("MetricAlarm", "CompositeAlarm") into the two kinds wanted; an empty list
// leaves them as they are.
std::optional<ApiError> ParseAlarmTypes(const std::vector<std::string>& types, bool* metric,
                                        bool* composite) {
  if (types.empty()) return std::nullopt;
  *metric = *composite = false;
  for (const std::string& t : types) {
    if (t == "MetricAlarm") {
      *metric = true;
    } else if (t == "CompositeAlarm") {
      *composite = true;
    } else {
      return InvalidValue(t, "AlarmTypes");
    }
  }
  return std::nullopt;
}

std::optional<ApiError> CheckAlarmNames(const std::vector<std::string>& names, bool required) {
  if (required && names.empty()) return MissingParameter("AlarmNames");
  if (names.size() > kMaxAlarmNames) {
    return ApiError{ErrorCode::kInvalidParameterValue,
                    "The collection AlarmNames must not have a size greater than 100."};
  }
  return std::nullopt;
}

ApiOr<int64_t> Records(const std::optional<int64_t>& max, int64_t fallback) {
  if (!max) return fallback;
  if (*max < 1 || *max > 100) return InvalidValue(std::to_string(*max), "MaxRecords");
  return *max;
}

// Paging by position: NextToken is the base64 of the index of the next record.
ApiOr<size_t> PageStart(const std::optional<std::string>& token) {
  if (!token) return size_t{0};
  const std::optional<std::string> raw = Base64Decode(*token);
  if (!raw || raw->empty() || raw->size() > 12 ||
      !std::all_of(raw->begin(), raw->end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return ApiError{ErrorCode::kInvalidNextToken, "The NextToken is not valid."};
  }
  return static_cast<size_t>(std::stoull(*raw));
}

std::optional<std::string> NextToken(size_t next, size_t total) {
  if (next >= total) return std::nullopt;
  return Base64Encode(std::to_string(next));
}

ApiOr<CloudWatchOutput> RunDescribeAlarms(const DescribeAlarmsInput& in,
                                          const alarms::Engine& engine) {
  if (auto e = CheckAlarmNames(in.alarm_names, false)) return *e;
  alarms::AlarmFilter f;
  f.names = in.alarm_names;
  if (in.alarm_name_prefix) {
    if (!in.alarm_names.empty()) {
      return Combination("AlarmNames and AlarmNamePrefix cannot be combined.");
    }
    f.name_prefix = *in.alarm_name_prefix;
  }
  f.action_prefix = in.action_prefix.value_or("");
  if (in.state_value) {
    f.state = alarms::ParseStateValue(*in.state_value);
    if (!f.state) return InvalidValue(*in.state_value, "StateValue");
  }
  if (auto e = ParseAlarmTypes(in.alarm_types, &f.metric_alarms, &f.composite_alarms)) return *e;
  if (in.children_of_alarm_name && in.parents_of_alarm_name) {
    return Combination("ChildrenOfAlarmName and ParentsOfAlarmName cannot be combined.");
  }
  f.children_of = in.children_of_alarm_name.value_or("");
  f.parents_of = in.parents_of_alarm_name.value_or("");
  auto max = Records(in.max_records, kDefaultDescribeRecords);
  if (!max.ok()) return max.error();
  auto start = PageStart(in.next_token);
  if (!start.ok()) return start.error();

  // One page over both kinds, in name order.
  std::vector<alarms::MetricAlarmInfo> metric = engine.DescribeMetricAlarms(f);
  std::vector<alarms::CompositeAlarmInfo> composite = engine.DescribeCompositeAlarms(f);
  const size_t total = metric.size() + composite.size();
  DescribeAlarmsOutput out;
  size_t mi = 0, ci = 0;
  for (size_t i = 0; i < total && i < *start + static_cast<size_t>(*max); ++i) {
    const bool take_metric =
        ci >= composite.size() ||
        (mi < metric.size() && metric[mi].alarm.name < composite[ci].alarm.name);
    if (i < *start) {
      (take_metric ? mi : ci)++;
      continue;
    }
    if (take_metric) {
      out.metric_alarms.push_back(std::move(metric[mi++]));
    } else {
      out.composite_alarms.push_back(std::move(composite[ci++]));
    }
  }
  out.next_token = NextToken(mi + ci, total);
  return CloudWatchOutput(std::move(out));
}

ApiOr<CloudWatchOutput> RunDescribeAlarmsForMetric(const DescribeAlarmsForMetricInput& in,
                                                   const alarms::Engine& engine) {
  if (auto e = CheckNamespace(in.ns, false)) return *e;
  if (auto e = CheckMetricName(in.metric_name, "MetricName")) return *e;
  if (in.statistic && in.extended_statistic) {
    return Combination("Statistic and ExtendedStatistic cannot be combined.");
  }
  if (in.period) {
    if (auto e = CheckPeriod(in.period, "Period")) return *e;
  }
  auto dims = ToDimensions(in.dimensions, "Dimensions");
  if (!dims.ok()) return dims.error();
  alarms::MetricFilter f;
  f.namespace_name = *in.ns;
  f.metric_name = *in.metric_name;
  f.dimensions = std::move(dims.value());
  f.stat = in.statistic ? *in.statistic : in.extended_statistic.value_or("");
  f.period_s = in.period.value_or(0);
  f.unit = in.unit.value_or("");
  DescribeAlarmsOutput out;
  out.for_metric = true;
  out.metric_alarms = engine.DescribeAlarmsForMetric(f);
  return CloudWatchOutput(std::move(out));
}

ApiOr<CloudWatchOutput> RunDescribeAlarmHistory(const DescribeAlarmHistoryInput& in,
                                                const alarms::Engine& engine) {
  alarms::HistoryQuery q;
  q.alarm_name = in.alarm_name.value_or("");
  if (in.history_item_type) {
    q.type = alarms::ParseHistoryType(*in.history_item_type);
    if (!q.type) return InvalidValue(*in.history_item_type, "HistoryItemType");
  }
  // Without AlarmTypes: a named alarm's history whatever its kind, else metric alarms only
  // (CloudWatch's default).
  q.composite_alarms = !q.alarm_name.empty();
  if (auto e = ParseAlarmTypes(in.alarm_types, &q.metric_alarms, &q.composite_alarms)) return *e;
  q.start_ms = in.start_ms.value_or(0);
  q.end_ms = in.end_ms.value_or(INT64_MAX);
  if (in.scan_by) {
    if (*in.scan_by != "TimestampDescending" && *in.scan_by != "TimestampAscending") {
      return InvalidValue(*in.scan_by, "ScanBy");
    }
    q.newest_first = *in.scan_by == "TimestampDescending";
  }
  auto max = Records(in.max_records, kDefaultHistoryRecords);
  if (!max.ok()) return max.error();
  auto start = PageStart(in.next_token);
  if (!start.ok()) return start.error();
  auto items = engine.History(q);
  if (!items.ok()) return ErrorFromStatus(items.status());
  DescribeAlarmHistoryOutput out;
  const size_t total = items->size();
  const size_t end = std::min(total, *start + static_cast<size_t>(*max));
  for (size_t i = *start; i < end; ++i) out.items.push_back(std::move((*items)[i]));
  out.next_token = NextToken(end, total);
  return CloudWatchOutput(std::move(out));
}

ApiOr<CloudWatchOutput> Done(const Status& st) {
  if (!st.ok()) return ErrorFromStatus(st);
  return CloudWatchOutput(std::monostate{});
}

}  // namespace

ApiOr<CloudWatchOutput> ExecuteAlarmOperation(const DecodedRequest& request,
                                              alarms::Engine& engine) {
  switch (request.op) {
    case Operation::kPutMetricAlarm: {
      auto alarm = PlanPutMetricAlarm(std::get<PutMetricAlarmInput>(request.input));
      if (!alarm.ok()) return alarm.error();
      return Done(engine.PutMetricAlarm(alarm.value()));
    }
    case Operation::kPutCompositeAlarm: {
      auto alarm = PlanPutCompositeAlarm(std::get<PutCompositeAlarmInput>(request.input));
      if (!alarm.ok()) return alarm.error();
      return Done(engine.PutCompositeAlarm(alarm.value()));
    }
    case Operation::kDescribeAlarms:
      return RunDescribeAlarms(std::get<DescribeAlarmsInput>(request.input), engine);
    case Operation::kDescribeAlarmsForMetric:
      return RunDescribeAlarmsForMetric(std::get<DescribeAlarmsForMetricInput>(request.input),
                                        engine);
    case Operation::kDescribeAlarmHistory:
      return RunDescribeAlarmHistory(std::get<DescribeAlarmHistoryInput>(request.input), engine);
    case Operation::kDeleteAlarms:
    case Operation::kEnableAlarmActions:
    case Operation::kDisableAlarmActions: {
      const auto& names = std::get<AlarmNamesInput>(request.input).alarm_names;
      if (auto e = CheckAlarmNames(names, true)) return *e;
      if (request.op == Operation::kDeleteAlarms) return Done(engine.DeleteAlarms(names));
      return Done(engine.SetActionsEnabled(names, request.op == Operation::kEnableAlarmActions));
    }
    case Operation::kSetAlarmState: {
      const auto& in = std::get<SetAlarmStateInput>(request.input);
      if (!in.alarm_name) return MissingParameter("AlarmName");
      if (!in.state_value) return MissingParameter("StateValue");
      if (!in.state_reason) return MissingParameter("StateReason");
      const auto value = alarms::ParseStateValue(*in.state_value);
      if (!value) return InvalidValue(*in.state_value, "StateValue");
      return Done(engine.SetAlarmState(*in.alarm_name, *value, *in.state_reason,
                                       in.state_reason_data.value_or("")));
    }
    default:
      return ApiError{ErrorCode::kInternalServiceError, "not an alarm operation"};
  }
}

bool IsAlarmOperation(Operation op) {
  return static_cast<int>(op) >= static_cast<int>(Operation::kPutMetricAlarm);
}

}  // namespace vigil::api
