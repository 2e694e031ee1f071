#include "api/audit_hook.h"

#include "api/rest.h"

namespace vigil::api {

using Json = nlohmann::json;

std::vector<std::pair<std::string, std::string>> ResourcesOf(const Json& params) {
  std::vector<std::pair<std::string, std::string>> out;
  if (!params.is_object()) return out;
  for (const auto& [key, value] : params.items()) {
    std::string type;
    if (key == "AlarmName" || key.rfind("AlarmNames", 0) == 0) {
      type = "AWS::CloudWatch::Alarm";
    } else if (key == "logGroupName") {
      type = "AWS::Logs::LogGroup";
    } else if (key == "logStreamName") {
      type = "AWS::Logs::LogStream";
    } else if (key == "filterName") {
      type = "AWS::Logs::MetricFilter";
    } else if (key == "App") {
      type = "Vigil::App";
    } else if (key == "DeploymentId") {
      type = "Vigil::Deployment";
    } else {
      continue;
    }
    if (value.is_string()) {
      out.emplace_back(type, value.get<std::string>());
    } else if (value.is_array()) {
      for (const Json& v : value) {
        if (v.is_string()) out.emplace_back(type, v.get<std::string>());
      }
    } else if (value.is_object()) {  // the query protocol's AlarmNames.member.N, as a document
      for (const auto& [k, v] : value.items()) {
        if (v.is_string()) out.emplace_back(type, v.get<std::string>());
        if (v.is_array()) {
          for (const Json& x : v) {
            if (x.is_string()) out.emplace_back(type, x.get<std::string>());
          }
        }
      }
    }
  }
  return out;
}

void RecordCall(audit::Trail* trail, Logger* logger, AuditedCall call) {
  if (trail == nullptr) return;
  audit::Record r;
  r.event_source = std::string(call.source);
  r.event_name = std::string(call.name);
  if (call.verified != nullptr && call.verified->identity) {
    r.access_key_id = call.verified->identity->access_key_id;
    r.username = call.verified->identity->principal;
  }
  if (call.request != nullptr) r.source_address = std::string(call.request->PeerAddress());
  r.resources = ResourcesOf(call.parameters);
  r.parameters = audit::Redact(call.parameters);
  r.error_code = std::move(call.error_code);
  r.error_message = std::move(call.error_message);
  r.additional = std::move(call.additional);
  if (Status s = trail->Append(std::move(r)); !s.ok() && logger != nullptr) {
    logger->Error("audit", "recording " + std::string(call.name) + ": " + s.message());
  }
}

}  // namespace vigil::api
