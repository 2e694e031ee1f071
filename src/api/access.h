#pragma once
// Private to vigil::api: authorization, the step every service takes after authentication —
// what a call does (an IAM action) on which resources (Vigil's ARNs), decided by the server's
// auth::AccessControl, a refusal recorded in the audit trail.
//
// Vigil's ARNs, as policies name resources:
//   arn:vigil:cloudwatch:::alarm:NAME     arn:vigil:logs:::log-group:NAME
//   arn:vigil:vigil:::app/NAME            arn:vigil:vigil:::canary/NAME
//   arn:vigil:iam:::user/NAME             arn:vigil:iam:::group/NAME   arn:vigil:iam:::policy/NAME
// Actions are the AWS ones where the call is an AWS API ("cloudwatch:PutMetricAlarm",
// "logs:FilterLogEvents", "cloudtrail:LookupEvents") and "vigil:..." for Vigil's own.
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/audit_hook.h"
#include "auth/auth.h"
#include "http/http.h"

namespace vigil::api {

// The ARN of a resource of an audit resource type ("AWS::CloudWatch::Alarm", "Vigil::App",
// ...); log streams and metric filters are authorized on their log group, deployments on their
// app. "" for a type policies do not name.
std::string ResourceArn(std::string_view type, std::string_view name);
// The ARNs of what a call's parameters name (ResourcesOf); empty when they name nothing.
std::vector<std::string> ResourceArns(const nlohmann::json& params);
std::string AppArn(std::string_view app);
std::string CanaryArn(std::string_view canary);

struct Refusal {
  std::string action;
  std::string resource;
  std::string message;  // IAM's: "User: ... is not authorized to perform: ... on resource: ..."
};

// Whether the caller `call.verified` may do `action` on every one of `resources` (on "*" when
// there are none). nullopt when it may; otherwise the first refusal, recorded in `trail` as
// `call` with error code AccessDenied (the call's parameters as given). The request context
// holds aws:SourceIp (the peer's address), aws:SecureTransport ("true" when the request came
// over TLS) and aws:PrincipalType.
std::optional<Refusal> Authorize(const auth::AccessControl& access, std::string_view action,
                                 const std::vector<std::string>& resources, audit::Trail* trail,
                                 Logger* logger, const AuditedCall& call);

}  // namespace vigil::api
