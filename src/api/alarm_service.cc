// Vigil's REST API for what CloudWatch's alarm API has no word for: an alarm's
// acknowledgement. GET /v1/alarms lists every alarm with it; POST /v1/alarms/{name}/ack sets it.
// Signed with SigV4 like every other API.
#include <nlohmann/json.hpp>

#include "alarms/alarms.h"
#include "api/access.h"
#include "api/api.h"
#include "api/audit_hook.h"
#include "api/rest.h"
#include "api/text.h"

namespace vigil::api {
namespace {

using nlohmann::json;

json AlarmJson(const std::string& name, const std::string& kind, const alarms::AlarmState& s,
               bool actions_enabled) {
  return {{"name", name},
          {"kind", kind},
          {"state", std::string(alarms::StateValueName(s.value))},
          {"reason", s.reason},
          {"updated_at", FormatIsoTimestamp(s.updated_ms)},
          {"acknowledged", s.acknowledged},
          {"actions_enabled", actions_enabled}};
}

}  // namespace

AlarmService::AlarmService(alarms::Engine* engine, const auth::AccessControl* verifier,
                           audit::Trail* trail, Logger* logger)
    : engine_(engine), verifier_(verifier), trail_(trail), logger_(logger) {}

http::Response AlarmService::Handle(const http::Request& request) const {
  auth::VerifyResult verified;
  if (auto refused = RefuseUnauthenticated(*verifier_, request, trail_, logger_, &verified)) return *refused;
  constexpr std::string_view kPrefix = "/v1/alarms";
  std::string_view rest = std::string_view(request.path).substr(kPrefix.size());
  if (rest.empty() || rest == "/") {
    if (request.method != "GET")
      return RestError(405, "MethodNotAllowed", "use GET " + request.path);
    if (auto no = RefuseUnauthorized(*verifier_, request, verified, "cloudwatch:DescribeAlarms", {},
                                     trail_, logger_)) {
      return *no;
    }
    alarms::AlarmFilter all;
    all.composite_alarms = true;
    json list = json::array();
    for (const auto& a : engine_->DescribeMetricAlarms(all)) {
      list.push_back(AlarmJson(a.alarm.name, "metric", a.state, a.alarm.actions.enabled));
    }
    for (const auto& a : engine_->DescribeCompositeAlarms(all)) {
      list.push_back(AlarmJson(a.alarm.name, "composite", a.state, a.alarm.actions.enabled));
    }
    return RestJson(200, json{{"alarms", std::move(list)}});
  }
  rest.remove_prefix(1);
  constexpr std::string_view kAck = "/ack";
  if (rest.size() <= kAck.size() || rest.substr(rest.size() - kAck.size()) != kAck) {
    return RestError(404, "NotFound", "no such resource: " + request.path);
  }
  if (request.method != "POST")
    return RestError(405, "MethodNotAllowed", "use POST " + request.path);
  const std::optional<std::string> name = PercentDecode(rest.substr(0, rest.size() - kAck.size()));
  if (!name || name->empty())
    return RestError(400, "InvalidParameterValue", "bad alarm name in path");
  if (auto no = RefuseUnauthorized(*verifier_, request, verified, "vigil:AcknowledgeAlarm",
                                   {ResourceArn("AWS::CloudWatch::Alarm", *name)}, trail_, logger_,
                                   json{{"AlarmName", *name}})) {
    return *no;
  }
  const Status st = engine_->Acknowledge(*name);
  RecordCall(trail_, logger_,
             {"vigil", "AcknowledgeAlarm", &request, &verified, json{{"AlarmName", *name}},
              st.ok() ? "" : std::string(StatusCodeName(st.code())), st.ok() ? "" : st.message()});
  if (st.code() == StatusCode::kNotFound) return RestError(404, "ResourceNotFound", st.message());
  if (st.code() == StatusCode::kFailedPrecondition) return RestError(409, "Conflict", st.message());
  if (!st.ok()) return RestError(503, "ServiceUnavailable", st.message());
  return RestJson(200, json{{"alarm", *name}, {"acknowledged", true}});
}

}  // namespace vigil::api
