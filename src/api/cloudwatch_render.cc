#include "api/cloudwatch_render.h"

#include "api/text.h"

namespace vigil::api {
namespace {

void WriteStatistics(const GetMetricStatisticsOutput& out, OutputWriter& w) {
  w.String("Label", out.label);
  w.BeginList("Datapoints");
  for (const StatisticsDatapoint& dp : out.datapoints) {
    w.BeginStruct("");
    w.Timestamp("Timestamp", dp.timestamp_ms);
    if (dp.sample_count) w.Double("SampleCount", *dp.sample_count);
    if (dp.average) w.Double("Average", *dp.average);
    if (dp.sum) w.Double("Sum", *dp.sum);
    if (dp.minimum) w.Double("Minimum", *dp.minimum);
    if (dp.maximum) w.Double("Maximum", *dp.maximum);
    w.String("Unit", dp.unit);
    if (!dp.extended.empty()) {
      w.BeginMap("ExtendedStatistics");
      for (const auto& [name, value] : dp.extended) w.Double(name, value);
      w.EndMap();
    }
    w.EndStruct();
  }
  w.EndList();
}

void WriteMetricData(const GetMetricDataOutput& out, OutputWriter& w) {
  w.BeginList("MetricDataResults");
  for (const MetricDataResult& r : out.results) {
    w.BeginStruct("");
    w.String("Id", r.id);
    w.String("Label", r.label);
    w.BeginList("Timestamps");
    for (int64_t ts : r.timestamps_ms) w.Timestamp("", ts);
    w.EndList();
    w.BeginList("Values");
    for (double v : r.values) w.Double("", v);
    w.EndList();
    w.String("StatusCode", r.status_code);
    w.EndStruct();
  }
  w.EndList();
  if (out.next_token) w.String("NextToken", *out.next_token);
  w.BeginList("Messages");
  w.EndList();
}

void WriteListMetrics(const ListMetricsOutput& out, OutputWriter& w) {
  w.BeginList("Metrics");
  for (const tsdb::SeriesKey& key : out.metrics) {
    w.BeginStruct("");
    w.String("Namespace", key.ns);
    w.String("MetricName", key.metric);
    w.BeginList("Dimensions");
    for (const tsdb::Dimension& d : key.dimensions) {
      w.BeginStruct("");
      w.String("Name", d.name);
      w.String("Value", d.value);
      w.EndStruct();
    }
    w.EndList();
    w.EndStruct();
  }
  w.EndList();
  if (out.next_token) w.String("NextToken", *out.next_token);
}

void WriteStrings(std::string_view name, const std::vector<std::string>& list, OutputWriter& w) {
  w.BeginList(name);
  for (const std::string& s : list) w.String("", s);
  w.EndList();
}

void WriteDimensions(const alarms::Dimensions& dims, OutputWriter& w) {
  w.BeginList("Dimensions");
  for (const auto& [name, value] : dims) {
    w.BeginStruct("");
    w.String("Name", name);
    w.String("Value", value);
    w.EndStruct();
  }
  w.EndList();
}

void WriteActions(const alarms::Actions& a, OutputWriter& w) {
  w.Bool("ActionsEnabled", a.enabled);
  WriteStrings("OKActions", a.ok, w);
  WriteStrings("AlarmActions", a.alarm, w);
  WriteStrings("InsufficientDataActions", a.insufficient_data, w);
}

void WriteState(const alarms::AlarmState& s, OutputWriter& w) {
  w.String("StateValue", alarms::StateValueName(s.value));
  w.String("StateReason", s.reason);
  if (!s.reason_data.empty()) w.String("StateReasonData", s.reason_data);
  w.Timestamp("StateUpdatedTimestamp", s.updated_ms);
  w.Timestamp("StateTransitionedTimestamp", s.updated_ms);
}

// The members both kinds of alarm start with, up to their state.
void WriteAlarmHead(const std::string& name, const std::string& arn, const std::string& description,
                    const std::string* rule, const alarms::Actions& actions,
                    const alarms::AlarmState& state, OutputWriter& w) {
  w.String("AlarmName", name);
  w.String("AlarmArn", arn);
  if (!description.empty()) w.String("AlarmDescription", description);
  if (rule != nullptr) w.String("AlarmRule", *rule);
  w.Timestamp("AlarmConfigurationUpdatedTimestamp", state.config_updated_ms);
  WriteActions(actions, w);
  WriteState(state, w);
}

bool IsPercentile(const std::string& stat) { return !stat.empty() && stat[0] == 'p'; }

void WriteMetricAlarm(const alarms::MetricAlarmInfo& info, OutputWriter& w) {
  const alarms::MetricAlarm& a = info.alarm;
  w.BeginStruct("");
  WriteAlarmHead(a.name, info.arn, a.description, nullptr, a.actions, info.state, w);
  if (a.metric) {
    const alarms::MetricStat& m = *a.metric;
    w.String("MetricName", m.metric_name);
    w.String("Namespace", m.namespace_name);
    w.String(IsPercentile(m.stat) ? "ExtendedStatistic" : "Statistic", m.stat);
    WriteDimensions(m.dimensions, w);
    w.Integer("Period", m.period_s);
    if (!m.unit.empty()) w.String("Unit", m.unit);
  }
  w.Integer("EvaluationPeriods", a.evaluation_periods);
  if (a.datapoints_to_alarm > 0) w.Integer("DatapointsToAlarm", a.datapoints_to_alarm);
  w.Double("Threshold", a.threshold);
  w.String("ComparisonOperator", alarms::ComparisonName(a.comparison));
  w.String("TreatMissingData", alarms::MissingDataName(a.treat_missing_data));
  if (!a.evaluate_low_sample_count_percentile.empty()) {
    w.String("EvaluateLowSampleCountPercentile", a.evaluate_low_sample_count_percentile);
  }
  if (!a.metrics.empty()) {
    w.BeginList("Metrics");
    for (const alarms::MetricQuery& q : a.metrics) {
      w.BeginStruct("");
      w.String("Id", q.id);
      if (q.metric) {
        w.BeginStruct("MetricStat");
        w.BeginStruct("Metric");
        w.String("Namespace", q.metric->namespace_name);
        w.String("MetricName", q.metric->metric_name);
        WriteDimensions(q.metric->dimensions, w);
        w.EndStruct();
        w.Integer("Period", q.metric->period_s);
        w.String("Stat", q.metric->stat);
        if (!q.metric->unit.empty()) w.String("Unit", q.metric->unit);
        w.EndStruct();
      }
      if (!q.expression.empty()) w.String("Expression", q.expression);
      if (!q.label.empty()) w.String("Label", q.label);
      w.Bool("ReturnData", q.return_data);
      if (q.period_s > 0) w.Integer("Period", q.period_s);
      w.EndStruct();
    }
    w.EndList();
  }
  w.EndStruct();
}

void WriteCompositeAlarm(const alarms::CompositeAlarmInfo& info, OutputWriter& w) {
  const alarms::CompositeAlarm& a = info.alarm;
  w.BeginStruct("");
  WriteAlarmHead(a.name, info.arn, a.description, &a.rule, a.actions, info.state, w);
  w.EndStruct();
}

void WriteDescribeAlarms(const DescribeAlarmsOutput& out, OutputWriter& w) {
  w.BeginList("MetricAlarms");
  for (const alarms::MetricAlarmInfo& a : out.metric_alarms) WriteMetricAlarm(a, w);
  w.EndList();
  if (out.for_metric) return;
  w.BeginList("CompositeAlarms");
  for (const alarms::CompositeAlarmInfo& a : out.composite_alarms) WriteCompositeAlarm(a, w);
  w.EndList();
  if (out.next_token) w.String("NextToken", *out.next_token);
}

void WriteAlarmHistory(const DescribeAlarmHistoryOutput& out, OutputWriter& w) {
  w.BeginList("AlarmHistoryItems");
  for (const alarms::HistoryItem& h : out.items) {
    w.BeginStruct("");
    w.String("AlarmName", h.alarm_name);
    w.String("AlarmType", h.composite ? "CompositeAlarm" : "MetricAlarm");
    w.Timestamp("Timestamp", h.timestamp_ms);
    w.String("HistoryItemType", alarms::HistoryTypeName(h.type));
    w.String("HistorySummary", h.summary);
    w.String("HistoryData", h.data);
    w.EndStruct();
  }
  w.EndList();
  if (out.next_token) w.String("NextToken", *out.next_token);
}

}  // namespace

void WriteOutput(const CloudWatchOutput& output, OutputWriter& writer) {
  std::visit(
      [&](const auto& out) {
        using T = std::decay_t<decltype(out)>;
        if constexpr (std::is_same_v<T, GetMetricStatisticsOutput>) {
          WriteStatistics(out, writer);
        } else if constexpr (std::is_same_v<T, GetMetricDataOutput>) {
          WriteMetricData(out, writer);
        } else if constexpr (std::is_same_v<T, ListMetricsOutput>) {
          WriteListMetrics(out, writer);
        } else if constexpr (std::is_same_v<T, DescribeAlarmsOutput>) {
          WriteDescribeAlarms(out, writer);
        } else if constexpr (std::is_same_v<T, DescribeAlarmHistoryOutput>) {
          WriteAlarmHistory(out, writer);
        }
      },
      output);
}

std::string RenderXmlResponse(Operation op, const CloudWatchOutput& output,
                              std::string_view request_id) {
  const std::string_view name = OperationName(op);
  std::string body;
  body.reserve(256);
  body += '<';
  body += name;
  body += "Response xmlns=\"";
  body += kXmlNamespace;
  body += "\">";
  if (!std::holds_alternative<std::monostate>(output)) {
    body += '<';
    body += name;
    body += "Result>";
    XmlWriter writer(&body);
    WriteOutput(output, writer);
    body += "</";
    body += name;
    body += "Result>";
  }
  body += "<ResponseMetadata><RequestId>";
  AppendXmlEscaped(&body, request_id);
  body += "</RequestId></ResponseMetadata></";
  body += name;
  body += "Response>\n";
  return body;
}

std::string RenderJsonResponse(const CloudWatchOutput& output) {
  std::string body;
  // Sized once for the common large answers (about 80 bytes a datapoint, 30 a value), rather
  // than grown by doubling and copying.
  if (const auto* stats = std::get_if<GetMetricStatisticsOutput>(&output)) {
    body.reserve(256 + 96 * stats->datapoints.size());
  } else if (const auto* data = std::get_if<GetMetricDataOutput>(&output)) {
    size_t points = 0;
    for (const MetricDataResult& r : data->results) points += r.values.size();
    body.reserve(256 + 128 * data->results.size() + 32 * points);
  }
  JsonWriter writer(&body);
  WriteOutput(output, writer);
  writer.Finish();
  return body;
}

std::string RenderXmlError(const ApiError& error, std::string_view request_id) {
  const ErrorInfo& info = GetErrorInfo(error.code);
  std::string body = "<ErrorResponse xmlns=\"";
  body += kXmlNamespace;
  body += "\"><Error><Type>";
  body += info.sender_fault ? "Sender" : "Receiver";
  body += "</Type><Code>";
  body += info.query_code;
  body += "</Code><Message>";
  AppendXmlEscaped(&body, Printable(error.message, 4096));
  body += "</Message></Error><RequestId>";
  AppendXmlEscaped(&body, request_id);
  body += "</RequestId></ErrorResponse>\n";
  return body;
}

std::string RenderJsonError(const ApiError& error) {
  const ErrorInfo& info = GetErrorInfo(error.code);
  std::string body = "{\"__type\":";
  AppendJsonString(&body, info.json_type);
  body += ",\"message\":";
  AppendJsonString(&body, Printable(error.message, 4096));
  body += '}';
  return body;
}

std::string QueryErrorHeader(const ApiError& error) {
  const ErrorInfo& info = GetErrorInfo(error.code);
  std::string value(info.query_code);
  value += info.sender_fault ? ";Sender" : ";Receiver";
  return value;
}

}  // namespace vigil::api
