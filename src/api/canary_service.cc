// Vigil's REST API for synthetic checks: GET /v1/canaries, GET /v1/canaries/{name} and
// POST /v1/canaries/{name}/run, answered in JSON.
#include <nlohmann/json.hpp>

#include "api/access.h"
#include "api/api.h"
#include "api/audit_hook.h"
#include "api/rest.h"
#include "api/text.h"
#include "canary/canary.h"

namespace vigil::api {
namespace {

using nlohmann::json;

json OrNull(const std::string& s) { return s.empty() ? json(nullptr) : json(s); }

json RunJson(const canary::RunResult& run) {
  json steps = json::array();
  for (const canary::StepResult& s : run.steps) {
    steps.push_back({{"name", s.name},
                     {"ok", s.ok},
                     {"status", s.status},
                     {"latency_ms", s.latency_ms},
                     {"detail", s.detail}});
  }
  return {{"canary", run.canary},
          {"target", run.target},
          {"trigger", run.trigger},
          {"ok", run.ok},
          {"started_at", FormatIsoTimestamp(run.started_ms)},
          {"duration_ms", run.duration_ms},
          {"failure", run.failure},
          {"steps", std::move(steps)}};
}

// What the list shows of a canary; Get adds the steps and the recent runs.
json SummaryJson(const canary::CanaryInfo& info) {
  return {{"name", info.spec.name},
          {"app", OrNull(info.spec.app)},
          {"url", OrNull(info.spec.url)},
          {"ca_bundle", OrNull(info.spec.ca_bundle)},  // a path: what the canary trusts
          {"interval_ms", info.spec.interval_ms},
          {"runs", info.runs},
          {"failures", info.failures},
          {"last", info.last ? RunJson(*info.last) : json(nullptr)}};
}

// Header values are left out: they may hold credentials.
json StepJson(const canary::Step& step) {
  json headers = json::array();
  for (const auto& [name, value] : step.headers) headers.push_back(name);
  json checks = json::object();
  for (const auto& [path, expected] : step.json_equals) checks[path] = expected;
  return {{"name", step.name},
          {"method", step.method},
          {"path", step.path},
          {"headers", std::move(headers)},
          {"expect_status", step.expect_status},
          {"body_contains", step.body_contains},
          {"json", std::move(checks)},
          {"max_latency_ms", step.max_latency_ms}};
}

json DetailJson(const canary::CanaryInfo& info) {
  json j = SummaryJson(info);
  j["timeout_ms"] = info.spec.timeout_ms;
  json steps = json::array();
  for (const canary::Step& s : info.spec.steps) steps.push_back(StepJson(s));
  j["steps"] = std::move(steps);
  json recent = json::array();
  for (const canary::RunResult& r : info.recent) recent.push_back(RunJson(r));
  j["recent"] = std::move(recent);
  return j;
}

http::Response ErrorResponse(const Status& s) {
  if (s.code() == StatusCode::kNotFound) return RestError(404, "NotFound", s.message());
  if (s.code() == StatusCode::kInvalidArgument) {
    return RestError(400, "InvalidParameterValue", s.message());
  }
  return RestError(503, "ServiceUnavailable", s.message());
}

}  // namespace

CanaryService::CanaryService(canary::Canaries* canaries, const auth::AccessControl* verifier,
                             audit::Trail* trail, Logger* logger)
    : canaries_(canaries), verifier_(verifier), trail_(trail), logger_(logger) {}

http::Response CanaryService::Handle(const http::Request& request) const {
  auth::VerifyResult verified;
  if (auto refused = RefuseUnauthenticated(*verifier_, request, trail_, logger_, &verified)) return *refused;
  constexpr std::string_view kPrefix = "/v1/canaries";
  std::string_view rest = std::string_view(request.path).substr(kPrefix.size());
  const bool get = request.method == "GET";
  if (rest.empty() || rest == "/") {
    if (!get) return RestError(405, "MethodNotAllowed", "use GET " + request.path);
    if (auto no = RefuseUnauthorized(*verifier_, request, verified, "vigil:ListCanaries", {},
                                     trail_, logger_)) {
      return *no;
    }
    json list = json::array();
    for (const canary::CanaryInfo& info : canaries_->List()) list.push_back(SummaryJson(info));
    return RestJson(200, json{{"canaries", std::move(list)}});
  }
  rest.remove_prefix(1);
  const size_t slash = rest.find('/');
  const std::string name(rest.substr(0, slash));
  const std::string_view what = slash == std::string_view::npos ? "" : rest.substr(slash);
  if (what.empty()) {
    if (!get) return RestError(405, "MethodNotAllowed", "use GET " + request.path);
    if (auto no =
            RefuseUnauthorized(*verifier_, request, verified, "vigil:GetCanary", {CanaryArn(name)},
                               trail_, logger_, json{{"CanaryName", name}})) {
      return *no;
    }
    StatusOr<canary::CanaryInfo> info = canaries_->Get(name);
    if (!info.ok()) return ErrorResponse(info.status());
    return RestJson(200, DetailJson(*info));
  }
  if (what != "/run") return RestError(404, "NotFound", "no such resource: " + request.path);
  if (get) return RestError(405, "MethodNotAllowed", "use POST " + request.path);
  if (auto no =
          RefuseUnauthorized(*verifier_, request, verified, "vigil:RunCanary", {CanaryArn(name)},
                             trail_, logger_, json{{"CanaryName", name}})) {
    return *no;
  }
  StatusOr<canary::RunResult> run = canaries_->Run(name, "manual");
  const Status st = run.status();
  RecordCall(trail_, logger_,
             {"vigil", "RunCanary", &request, &verified, json{{"CanaryName", name}},
              st.ok() ? "" : std::string(StatusCodeName(st.code())), st.ok() ? "" : st.message()});
  if (!run.ok()) return ErrorResponse(st);
  return RestJson(200, RunJson(*run));
}

}  // namespace vigil::api
