// Vigil's REST API for the fleet (service discovery): GET /v1/apps, /v1/apps/{name} and
// /v1/apps/{name}/instances, answered in JSON. Signed with SigV4 like every other API.
#include <ctime>
#include <nlohmann/json.hpp>

#include "api/api.h"
#include "api/rest.h"
#include "api/text.h"

namespace vigil::api {
namespace {

using nlohmann::json;

json InstanceJson(const fleet::InstanceInfo& in) {
  json j = {{"id", in.id},           {"pid", in.pid},
            {"address", in.address}, {"state", std::string(fleet::StateName(in.state))},
            {"reason", in.reason},   {"restarts", in.restarts},
            {"version", in.version}, {"in_rotation", in.in_rotation}};
  j["started_at"] =
      in.started_at_ms > 0 ? json(FormatIsoTimestamp(in.started_at_ms)) : json(nullptr);
  j["state_since"] =
      in.state_since_ms > 0 ? json(FormatIsoTimestamp(in.state_since_ms)) : json(nullptr);
  return j;
}

json AppJson(const fleet::AppInfo& app) {
  json instances = json::array();
  for (const fleet::InstanceInfo& in : app.instances) instances.push_back(InstanceJson(in));
  json j = {{"name", app.name},
            {"desired", app.desired},
            {"healthy", app.healthy},
            {"instances", std::move(instances)}};
  j["listen"] = app.listen.empty() ? json(nullptr) : json(app.listen);
  return j;
}

}  // namespace

FleetService::FleetService(fleet::Fleet* fleet, const auth::SigV4Verifier* verifier)
    : fleet_(fleet), verifier_(verifier) {}

http::Response FleetService::Handle(const http::Request& request) const {
  if (auto refused = RefuseUnsigned(*verifier_, request)) return *refused;
  constexpr std::string_view kPrefix = "/v1/apps";
  std::string_view rest = std::string_view(request.path).substr(kPrefix.size());
  if (rest.empty() || rest == "/") {
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
  if (fleet_ == nullptr) return RestError(404, "NotFound", "no app named '" + name + "'");
  StatusOr<fleet::AppInfo> app = fleet_->App(name);
  if (!app.ok()) return RestError(404, "NotFound", app.status().message());
  if (what.empty()) return RestJson(200, AppJson(*app));
  json instances = json::array();
  for (const fleet::InstanceInfo& in : app->instances) instances.push_back(InstanceJson(in));
  return RestJson(200, json{{"app", app->name}, {"instances", std::move(instances)}});
}

}  // namespace vigil::api
