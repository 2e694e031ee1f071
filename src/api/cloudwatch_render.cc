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
