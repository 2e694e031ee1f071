#pragma once
// Private to vigil::api: turning a control-plane call into an audit record — the one place
// where each service says who called what, on which resources, and how it ended.
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "audit/audit.h"
#include "auth/auth.h"
#include "common/logging.h"
#include "http/http.h"

namespace vigil::api {

struct AuditedCall {
  std::string_view source;  // "monitoring.amazonaws.com", "logs.amazonaws.com", "vigil"
  std::string_view name;    // the operation
  const http::Request* request = nullptr;
  const auth::VerifyResult* verified = nullptr;          // null: not authenticated
  nlohmann::json parameters;                             // as sent; redacted here
  std::string error_code, error_message;                 // empty on success
  nlohmann::json additional = nlohmann::json::object();  // CloudTrail's additionalEventData
};

// The resources a call's parameters name, as (type, name): alarm names (AlarmName,
// AlarmNames[.member.N]) "AWS::CloudWatch::Alarm", log groups, streams and metric filters
// "AWS::Logs::*", App "Vigil::App", DeploymentId "Vigil::Deployment".
std::vector<std::pair<std::string, std::string>> ResourcesOf(const nlohmann::json& params);

// Appends the call to `trail` (nothing when it is null). Resources come from the parameters:
// alarm names (AlarmName, AlarmNames[.member.N]) and log groups, streams and metric filters.
// A trail that cannot be written is reported in `logger` (may be null); the call's answer
// stands.
void RecordCall(audit::Trail* trail, Logger* logger, AuditedCall call);

}  // namespace vigil::api
