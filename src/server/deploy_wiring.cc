#include "server/deploy_wiring.h"

#include <algorithm>

namespace vigil::server {
namespace {

constexpr int64_t kDefaultAlarmPeriodS = 10;

alarms::MetricStat LbMetric(const std::string& app, const std::string& metric,
                            const std::string& stat) {
  alarms::MetricStat m;
  m.namespace_name = "Vigil/LoadBalancer";
  m.metric_name = metric;
  m.dimensions = {{"App", app}};
  m.period_s = kDefaultAlarmPeriodS;
  m.stat = stat;
  return m;
}

}  // namespace

std::string FiveXxAlarmName(const std::string& app) { return app + "-target-5xx-rate"; }
std::string HealthyHostsAlarmName(const std::string& app) { return app + "-healthy-hosts"; }

Status EnsureDefaultAlarms(alarms::Engine* engine, const std::vector<fleet::AppSpec>& apps) {
  for (const fleet::AppSpec& app : apps) {
    if (app.listen_host.empty()) continue;
    alarms::AlarmFilter existing;
    existing.names = {FiveXxAlarmName(app.name), HealthyHostsAlarmName(app.name)};
    std::vector<alarms::MetricAlarmInfo> found = engine->DescribeMetricAlarms(existing);
    auto has = [&](const std::string& name) {
      return std::any_of(found.begin(), found.end(),
                         [&](const auto& info) { return info.alarm.name == name; });
    };
    if (!has(FiveXxAlarmName(app.name))) {
      alarms::MetricAlarm a;
      a.name = FiveXxAlarmName(app.name);
      a.description = "Vigil default alarm: more than 5% of " + app.name +
                      "'s requests answered 5xx by its instances over 10 s (deployments roll "
                      "back on it)";
      alarms::MetricQuery errors, requests, rate;
      errors.id = "errors";
      errors.metric = LbMetric(app.name, "HTTPCode_Target_5XX_Count", "Sum");
      errors.return_data = false;
      requests.id = "requests";
      requests.metric = LbMetric(app.name, "RequestCount", "Sum");
      requests.return_data = false;
      rate.id = "rate";
      rate.expression = "100 * FILL(errors, 0) / requests";
      rate.label = "5xx rate (%)";
      a.metrics = {errors, requests, rate};
      a.threshold = 5;
      a.comparison = alarms::Comparison::kGreaterThanThreshold;
      a.treat_missing_data = alarms::MissingData::kNotBreaching;
      RETURN_IF_ERROR(engine->PutMetricAlarm(a));
    }
    if (!has(HealthyHostsAlarmName(app.name))) {
      alarms::MetricAlarm a;
      a.name = HealthyHostsAlarmName(app.name);
      a.description = "Vigil default alarm: " + app.name +
                      " had no healthy instance in rotation during 10 s";
      a.metric = LbMetric(app.name, "HealthyHostCount", "Minimum");
      a.threshold = 1;
      a.comparison = alarms::Comparison::kLessThanThreshold;
      a.treat_missing_data = alarms::MissingData::kNotBreaching;
      RETURN_IF_ERROR(engine->PutMetricAlarm(a));
    }
  }
  return OkStatus();
}

StatusOr<deploy::Watch::Alarm> DeployWatch::AlarmState(const std::string& name) {
  if (alarms_ == nullptr) return UnavailableError("alarms are not running yet");
  alarms::AlarmFilter filter;
  filter.names = {name};
  filter.composite_alarms = true;
  for (const alarms::MetricAlarmInfo& info : alarms_->DescribeMetricAlarms(filter)) {
    return Alarm{info.state.value == alarms::StateValue::kAlarm, info.state.updated_ms,
                 info.state.reason};
  }
  for (const alarms::CompositeAlarmInfo& info : alarms_->DescribeCompositeAlarms(filter)) {
    return Alarm{info.state.value == alarms::StateValue::kAlarm, info.state.updated_ms,
                 info.state.reason};
  }
  return NotFoundError("no alarm named '" + name + "'");
}

std::vector<std::string> DeployWatch::DefaultAlarms(const std::string& app) {
  for (const fleet::AppSpec& spec : apps_) {
    if (spec.name == app && !spec.listen_host.empty()) {
      return {FiveXxAlarmName(app), HealthyHostsAlarmName(app)};
    }
  }
  return {};
}

Status DeployWatch::CanaryExists(const std::string& name) {
  if (!canary_exists) return NotFoundError("no canary named '" + name + "' (none configured)");
  return canary_exists(name);
}

Status DeployWatch::RunCanary(const std::string& name, const std::string& base_url) {
  if (!run_canary) return NotFoundError("no canary named '" + name + "' (none configured)");
  return run_canary(name, base_url);
}

Status EngineRollbacks::Rollback(const std::string& app, const std::string& why) {
  return engine_->Rollback(app, "", why).status();
}

}  // namespace vigil::server
