// Authorization: actions on resources decided for the caller; refusals audited.
#include "api/access.h"

namespace vigil::api {
namespace {

std::string CallerArn(const auth::Identity& who) {
  if (who.principal == auth::kRootPrincipal) return "arn:vigil:iam:::root";
  return "arn:vigil:iam:::user/" + who.principal;
}

}  // namespace

std::string AppArn(std::string_view app) { return "arn:vigil:vigil:::app/" + std::string(app); }
std::string CanaryArn(std::string_view canary) {
  return "arn:vigil:vigil:::canary/" + std::string(canary);
}

std::string ResourceArn(std::string_view type, std::string_view name) {
  if (type == "AWS::CloudWatch::Alarm") return "arn:vigil:cloudwatch:::alarm:" + std::string(name);
  if (type == "AWS::Logs::LogGroup") return "arn:vigil:logs:::log-group:" + std::string(name);
  if (type == "Vigil::App") return AppArn(name);
  if (type == "Vigil::Deployment") {  // "<app>-<n>"
    const size_t dash = name.rfind('-');
    return AppArn(dash == std::string_view::npos ? name : name.substr(0, dash));
  }
  if (type == "Vigil::Canary") return CanaryArn(name);
  return "";
}

std::vector<std::string> ResourceArns(const nlohmann::json& params) {
  std::vector<std::string> out;
  for (const auto& [type, name] : ResourcesOf(params)) {
    std::string arn = ResourceArn(type, name);
    if (!arn.empty()) out.push_back(std::move(arn));
  }
  return out;
}

std::optional<Refusal> Authorize(const auth::AccessControl& access, std::string_view action,
                                 const std::vector<std::string>& resources, audit::Trail* trail,
                                 Logger* logger, const AuditedCall& call) {
  const auth::Identity& who = *call.verified->identity;
  auth::AccessRequest request;
  request.action = std::string(action);
  if (call.request != nullptr)
    request.Set("aws:SourceIp", std::string(call.request->PeerAddress()));
  request.Set("aws:SecureTransport", "false");
  request.Set("aws:PrincipalType", who.principal == auth::kRootPrincipal ? "Root" : "User");
  const std::vector<std::string> all = {"*"};
  for (const std::string& resource : resources.empty() ? all : resources) {
    request.resource = resource;
    const auth::Authorization decided = access.Authorize(who, request);
    if (decided.allowed()) continue;
    Refusal refusal{std::string(action), resource, ""};
    refusal.message = "User: " + CallerArn(who) +
                      " is not authorized to perform: " + refusal.action +
                      " on resource: " + resource;
    if (decided.evaluation.decision == auth::Decision::kExplicitDeny) {
      refusal.message += " with an explicit deny in an identity-based policy (" +
                         decided.evaluation.policy + ", " + decided.evaluation.statement + ")";
    } else {
      refusal.message +=
          " because no identity-based policy allows the " + refusal.action + " action";
    }
    AuditedCall denied = call;
    denied.error_code = "AccessDenied";
    denied.error_message = refusal.message;
    RecordCall(trail, logger, std::move(denied));
    return refusal;
  }
  return std::nullopt;
}

}  // namespace vigil::api
