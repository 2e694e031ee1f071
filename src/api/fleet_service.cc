// Vigil's REST API for the fleet (service discovery): GET /v1/apps, /v1/apps/{name} and
// /v1/apps/{name}/instances, answered in JSON, with each app's version and deployment in
// progress.
#include <algorithm>
#include <ctime>
#include <nlohmann/json.hpp>

#include "api/access.h"
#include "api/api.h"
#include "api/rest.h"
#include "api/text.h"

namespace vigil::api {

using nlohmann::json;

json FleetService::InstanceJson(const fleet::InstanceInfo& in) const {
  json j = {{"id", in.id},           {"pid", in.pid},
            {"address", in.address}, {"state", std::string(fleet::StateName(in.state))},
            {"reason", in.reason},   {"restarts", in.restarts},
            {"version", in.version}, {"in_rotation", in.in_rotation}};
  const bool running = in.started_at_ms > 0;
  j["started_at"] = running ? json(FormatIsoTimestamp(in.started_at_ms)) : json(nullptr);
  j["state_since"] =
      in.state_since_ms > 0 ? json(FormatIsoTimestamp(in.state_since_ms)) : json(nullptr);
  j["uptime_seconds"] =
      running ? json(std::max<int64_t>(0, clock_->NowMillis() - in.started_at_ms) / 1000)
              : json(nullptr);
  j["cpu_percent"] = in.cpu_percent >= 0 ? json(in.cpu_percent) : json(nullptr);
  j["rss_bytes"] = in.rss_bytes >= 0 ? json(in.rss_bytes) : json(nullptr);
  return j;
}

json FleetService::AppJson(const fleet::AppInfo& app) const {
  json instances = json::array();
  for (const fleet::InstanceInfo& in : app.instances) instances.push_back(InstanceJson(in));
  json j = {{"name", app.name},   {"desired", app.desired}, {"healthy", app.healthy},
            {"version", nullptr}, {"deployment", nullptr},  {"instances", std::move(instances)}};
  j["listen"] = app.listen.empty() ? json(nullptr) : json(app.listen);
  if (deployer_ != nullptr) {
    if (StatusOr<std::string> current = deployer_->CurrentVersion(app.name); current.ok()) {
      j["version"] = *current;
    }
    StatusOr<std::vector<deploy::Deployment>> last = deployer_->Deployments(app.name, 1);
    if (last.ok() && !last->empty() &&
        last->front().state == deploy::DeploymentState::kInProgress) {
      j["deployment"] = DeploymentJson(last->front());
    }
  }
  return j;
}

FleetService::FleetService(fleet::Fleet* fleet, deploy::Engine* deployer,
                           const auth::AccessControl* verifier, const Clock* clock,
                           audit::Trail* trail, Logger* logger)
    : fleet_(fleet),
      deployer_(deployer),
      verifier_(verifier),
      clock_(clock),
      trail_(trail),
      logger_(logger) {}

http::Response FleetService::Handle(const http::Request& request) const {
  auth::VerifyResult verified;
  if (auto refused = RefuseUnauthenticated(*verifier_, request, trail_, logger_, &verified)) return *refused;
  constexpr std::string_view kPrefix = "/v1/apps";
  std::string_view rest = std::string_view(request.path).substr(kPrefix.size());
  if (rest.empty() || rest == "/") {
    if (auto no = RefuseUnauthorized(*verifier_, request, verified, "vigil:ListApps", {}, trail_,
                                     logger_)) {
      return *no;
    }
    json apps = json::array();
    if (fleet_ != nullptr) {
      for (const fleet::AppInfo& app : fleet_->Apps()) apps.push_back(AppJson(app));
    }
    return RestJson(200, json{{"apps", std::move(apps)}});
  }
  rest.remove_prefix(1);
  const size_t slash = rest.find('/');
  const std::string name(rest.substr(0, slash));
  const std::string_view what = slash == std::string_view::npos ? "" : rest.substr(slash);
  if (what != "" && what != "/instances") {
    return RestError(404, "NotFound", "no such resource: " + request.path);
  }
  if (auto no = RefuseUnauthorized(*verifier_, request, verified,
                                   what.empty() ? "vigil:GetApp" : "vigil:ListInstances",
                                   {AppArn(name)}, trail_, logger_, json{{"App", name}})) {
    return *no;
  }
  if (fleet_ == nullptr) return RestError(404, "NotFound", "no app named '" + name + "'");
  StatusOr<fleet::AppInfo> app = fleet_->App(name);
  if (!app.ok()) return RestError(404, "NotFound", app.status().message());
  if (what.empty()) return RestJson(200, AppJson(*app));
  json instances = json::array();
  for (const fleet::InstanceInfo& in : app->instances) instances.push_back(InstanceJson(in));
  return RestJson(200, json{{"app", app->name}, {"instances", std::move(instances)}});
}

}  // namespace vigil::api
