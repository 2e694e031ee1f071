#pragma once
// What the deployment engine needs from the rest of Vigil, adapted here: alarm states (and each
// app's default alarms, created at start), canary runs, and the `vigil:rollback:<app>` action.
#include <functional>
#include <string>
#include <vector>

#include "alarms/alarms.h"
#include "deploy/deploy.h"
#include "server/alarm_wiring.h"

namespace vigil::server {

// The names of an app's default alarms: the target 5xx rate over 10 s above 5%, and fewer than
// one healthy host.
std::string FiveXxAlarmName(const std::string& app);
std::string HealthyHostsAlarmName(const std::string& app);

// Creates the default alarms of every app with a load balancer that lacks them (an alarm a user
// changed is left as it is).
Status EnsureDefaultAlarms(alarms::Engine* engine, const std::vector<fleet::AppSpec>& apps);

class DeployWatch final : public deploy::Watch {
 public:
  // The alarm engine opens after the deployment engine; deployments start after both.
  void SetAlarms(alarms::Engine* engine, std::vector<fleet::AppSpec> apps) {
    alarms_ = engine;
    apps_ = std::move(apps);
  }
  // The canaries, when any are configured.
  std::function<Status(const std::string& name)> canary_exists;
  std::function<Status(const std::string& name, const std::string& base_url)> run_canary;

  StatusOr<Alarm> AlarmState(const std::string& name) override;
  std::vector<std::string> DefaultAlarms(const std::string& app) override;
  Status CanaryExists(const std::string& name) override;
  Status RunCanary(const std::string& name, const std::string& base_url) override;

 private:
  alarms::Engine* alarms_ = nullptr;
  std::vector<fleet::AppSpec> apps_;
};

// `vigil:rollback:<app>`: the deployment engine's rollback.
class EngineRollbacks final : public Rollbacks {
 public:
  explicit EngineRollbacks(deploy::Engine* engine) : engine_(engine) {}
  Status Rollback(const std::string& app, const std::string& why) override;

 private:
  deploy::Engine* engine_;
};

}  // namespace vigil::server
