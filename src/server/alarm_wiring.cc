#include "server/alarm_wiring.h"

#include <ctime>
#include <nlohmann/json.hpp>

#include "api/cloudwatch_ops.h"
#include "auth/auth.h"

namespace vigil::server {
namespace {

using Json = nlohmann::json;

constexpr std::string_view kRestart = "vigil:restart:";
constexpr std::string_view kRollback = "vigil:rollback:";

api::MetricStatInput StatInput(const alarms::MetricStat& m) {
  api::MetricStatInput in;
  in.has_metric = true;
  in.ns = m.namespace_name;
  in.metric_name = m.metric_name;
  for (const auto& [name, value] : m.dimensions) in.dimensions.push_back({name, value});
  in.period = m.period_s;
  in.stat = m.stat;
  if (!m.unit.empty()) in.unit = m.unit;
  return in;
}

Status CheckApp(const fleet::Fleet* fleet, const std::string& action, std::string_view app) {
  if (app.empty()) return InvalidArgumentError("action '" + action + "' names no app");
  if (fleet == nullptr || !fleet->App(app).ok()) {
    return InvalidArgumentError("action '" + action + "': no app named '" + std::string(app) +
                                "' in this server's configuration");
  }
  return OkStatus();
}

Json TriggerJson(const alarms::MetricAlarm& a) {
  Json t = {{"EvaluationPeriods", a.evaluation_periods},
            {"DatapointsToAlarm", a.m()},
            {"ComparisonOperator", alarms::ComparisonName(a.comparison)},
            {"Threshold", a.threshold},
            {"TreatMissingData", alarms::MissingDataName(a.treat_missing_data)},
            {"EvaluateLowSampleCountPercentile", a.evaluate_low_sample_count_percentile}};
  if (a.metric) {
    const alarms::MetricStat& m = *a.metric;
    t["MetricName"] = m.metric_name;
    t["Namespace"] = m.namespace_name;
    const bool percentile = !m.stat.empty() && m.stat[0] == 'p';
    t["StatisticType"] = percentile ? "ExtendedStatistic" : "Statistic";
    if (percentile) {
      t["ExtendedStatistic"] = m.stat;
    } else {
      std::string upper = m.stat;
      for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      t["Statistic"] = upper;
    }
    t["Unit"] = m.unit.empty() ? Json() : Json(m.unit);
    Json dims = Json::array();
    for (const auto& [name, value] : m.dimensions)
      dims.push_back({{"value", value}, {"name", name}});
    t["Dimensions"] = std::move(dims);
    t["Period"] = m.period_s;
  } else {
    Json metrics = Json::array();
    for (const alarms::MetricQuery& q : a.metrics) {
      Json jq = {{"Id", q.id}, {"ReturnData", q.return_data}};
      if (!q.expression.empty()) jq["Expression"] = q.expression;
      if (!q.label.empty()) jq["Label"] = q.label;
      if (q.metric) {
        jq["MetricStat"] = {
            {"Metric",
             {{"Namespace", q.metric->namespace_name}, {"MetricName", q.metric->metric_name}}},
            {"Period", q.metric->period_s},
            {"Stat", q.metric->stat}};
      }
      metrics.push_back(std::move(jq));
    }
    t["Metrics"] = std::move(metrics);
    t["Period"] = a.period_s();
  }
  return t;
}

}  // namespace

StatusOr<std::vector<std::optional<double>>> StoreMetricReader::Read(
    const alarms::MetricAlarm& alarm, int64_t start_ms, int count) {
  const int64_t period_ms = alarm.period_s() * 1000;
  api::GetMetricDataInput in;
  in.queries.emplace();
  if (alarm.metric) {
    api::MetricDataQueryInput q;
    q.id = "m";
    q.metric_stat = StatInput(*alarm.metric);
    q.return_data = true;
    in.queries->push_back(std::move(q));
  } else {
    for (const alarms::MetricQuery& m : alarm.metrics) {
      api::MetricDataQueryInput q;
      q.id = m.id;
      if (m.metric) q.metric_stat = StatInput(*m.metric);
      if (!m.expression.empty()) q.expression = m.expression;
      q.return_data = m.return_data;
      q.period = m.period_s > 0         ? std::optional<int64_t>(m.period_s)
                 : m.expression.empty() ? std::nullopt
                                        : std::optional<int64_t>(alarm.period_s());
      in.queries->push_back(std::move(q));
    }
  }
  in.start_ms = start_ms;
  in.end_ms = start_ms + count * period_ms;
  in.scan_by = "TimestampAscending";
  api::ApiOr<api::MetricDataPlan> plan = api::PlanGetMetricData(in);
  if (!plan.ok()) return InvalidArgumentError(plan.error().message);
  api::ApiOr<api::GetMetricDataOutput> out = api::RunGetMetricData(plan.value(), *db_);
  if (!out.ok()) return UnavailableError(out.error().message);
  std::vector<std::optional<double>> values(static_cast<size_t>(count));
  if (out->results.empty()) return values;
  const api::MetricDataResult& r = out->results.front();  // the one query returning data
  for (size_t i = 0; i < r.timestamps_ms.size() && i < r.values.size(); ++i) {
    const int64_t slot = (r.timestamps_ms[i] - start_ms) / period_ms;
    if (slot >= 0 && slot < count) values[static_cast<size_t>(slot)] = r.values[i];
  }
  return values;
}

Status NoDeployments::Rollback(const std::string& app, const std::string&) {
  return FailedPreconditionError("nothing to roll back: app '" + app +
                                 "' runs the version from Vigil's configuration and has never "
                                 "been deployed, so there is no earlier version");
}

Status ActionDispatcher::Validate(const std::string& action) const {
  if (action.rfind("http://", 0) == 0 || action.rfind("https://", 0) == 0) {
    StatusOr<http::Url> url = http::ParseUrl(action);
    if (!url.ok())
      return InvalidArgumentError("action '" + action + "': " + url.status().message());
    return OkStatus();
  }
  if (action.rfind(kRestart, 0) == 0)
    return CheckApp(fleet_, action, action.substr(kRestart.size()));
  if (action.rfind(kRollback, 0) == 0) {
    return CheckApp(fleet_, action, action.substr(kRollback.size()));
  }
  return InvalidArgumentError("unsupported action '" + action +
                              "': Vigil runs http:// and https:// webhooks, vigil:restart:<app> "
                              "and vigil:rollback:<app>");
}

std::string ActionDispatcher::Message(const alarms::Notification& n) const {
  Json m = {{"AlarmName", n.alarm_name},
            {"AlarmDescription", n.description.empty() ? Json() : Json(n.description)},
            {"AWSAccountId", options_.account},
            {"NewStateValue", alarms::StateValueName(n.new_state.value)},
            {"NewStateReason", n.new_state.reason},
            {"StateChangeTime", FormatUtcMillis(n.new_state.updated_ms, "+0000")},
            {"Region", options_.region},
            {"AlarmArn", n.alarm_arn},
            {"OldStateValue", alarms::StateValueName(n.old_state)}};
  const alarms::Actions* actions = nullptr;
  if (n.metric_alarm) {
    actions = &n.metric_alarm->actions;
    m["AlarmConfigurationUpdatedTimestamp"] =
        FormatUtcMillis(n.new_state.config_updated_ms, "+0000");
    m["Trigger"] = TriggerJson(*n.metric_alarm);
  } else if (n.composite_alarm) {
    actions = &n.composite_alarm->actions;
    m["AlarmRule"] = n.composite_alarm->rule;
  }
  if (actions != nullptr) {
    m["OKActions"] = actions->ok;
    m["AlarmActions"] = actions->alarm;
    m["InsufficientDataActions"] = actions->insufficient_data;
  }
  return m.dump();
}

std::string ActionDispatcher::Signature(const std::string& timestamp,
                                        const std::string& body) const {
  return "sha256=" + auth::HexEncode(auth::HmacSha256(options_.secret, timestamp + "." + body));
}

Status ActionDispatcher::Run(const std::string& action, const alarms::Notification& n) {
  const std::string why =
      "alarm '" + n.alarm_name + "' is " + std::string(alarms::StateValueName(n.new_state.value));
  if (action.rfind(kRestart, 0) == 0) {
    if (fleet_ == nullptr) return FailedPreconditionError("no apps are configured");
    ASSIGN_OR_RETURN(int restarted, fleet_->RestartUnhealthy(action.substr(kRestart.size()), why));
    logger_->Info("alarms",
                  action + ": restarted " + std::to_string(restarted) + " unhealthy instance(s)");
    return OkStatus();
  }
  if (action.rfind(kRollback, 0) == 0) {
    return rollbacks_->Rollback(action.substr(kRollback.size()), why);
  }
  const std::string body = Message(n);
  const std::string ts = std::to_string(std::time(nullptr));
  http::ClientRequest request;
  request.method = "POST";
  request.target = "";  // the URL's own path
  request.headers = {{"Content-Type", "application/json"},
                     {"User-Agent", "Vigil-Alarms/1.0"},
                     {"X-Vigil-Timestamp", ts},
                     {"X-Vigil-Signature", Signature(ts, body)}};
  request.body = body;
  ASSIGN_OR_RETURN(http::ClientResponse response, http::Fetch(action, request, options_.fetch));
  if (response.status >= 200 && response.status < 300) return OkStatus();
  const std::string what = "webhook answered " + std::to_string(response.status);
  if (response.status >= 400 && response.status < 500 && response.status != 408 &&
      response.status != 429) {
    return FailedPreconditionError(what + " (a client error: not retried)");
  }
  return UnavailableError(what);
}

}  // namespace vigil::server
