// Vigil's REST API for identities (auth::Iam): users, access keys, groups, policies and the
// policy simulator, in JSON. Every call is authorized as its IAM action on the resource it
// names and audited as iam.amazonaws.com (reads only when refused, as CloudTrail's default).
#include <nlohmann/json.hpp>

#include "api/access.h"
#include "api/api.h"
#include "api/audit_hook.h"
#include "api/iam_call.h"
#include "api/rest.h"
#include "api/text.h"
#include "auth/iam.h"

namespace vigil::api {
namespace {

using nlohmann::json;

json PolicyNames(const std::map<std::string, std::string>& inline_policies,
                 const std::vector<std::string>& attached) {
  json names = json::array();
  for (const auto& [name, _] : inline_policies) names.push_back(name);
  return {{"inline", std::move(names)}, {"attached", attached}};
}

json KeyJson(const auth::AccessKeyMetadata& k) {
  return {{"access_key_id", k.access_key_id},
          {"user", k.user},
          {"status", k.active ? "Active" : "Inactive"},
          {"created_at", IamTimestamp(k.created_ms)},
          {"last_used_at", IamTimestamp(k.last_used_ms)}};
}

// "/v1/iam/a/b/c" -> {"a", "b", "c"}, percent-decoded; nullopt on a bad escape.
std::optional<std::vector<std::string>> Segments(std::string_view path) {
  path.remove_prefix(std::string_view("/v1/iam").size());
  std::vector<std::string> out;
  while (!path.empty()) {
    if (path.front() == '/') path.remove_prefix(1);
    const size_t slash = path.find('/');
    std::optional<std::string> seg = PercentDecode(path.substr(0, slash));
    if (!seg) return std::nullopt;
    if (!seg->empty()) out.push_back(std::move(*seg));
    path = slash == std::string_view::npos ? std::string_view() : path.substr(slash);
  }
  return out;
}

}  // namespace

IamService::IamService(auth::Iam* iam, const auth::AccessControl* access, audit::Trail* trail,
                       Logger* logger, auth::Sessions* sessions, auth::AttemptLimiter* limiter)
    : iam_(iam),
      access_(access),
      trail_(trail),
      logger_(logger),
      sessions_(sessions),
      limiter_(limiter) {}

json IamService::UserJson(const auth::IamUser& u) const {
  json keys = json::array();
  for (const auto& k : iam_->ListAccessKeys(u.name)) keys.push_back(KeyJson(k));
  return {{"name", u.name},
          {"id", u.id},
          {"arn", IamArn("user", u.name)},
          {"created_at", IamTimestamp(u.created_ms)},
          {"groups", u.groups},
          {"policies", PolicyNames(u.inline_policies, u.attached)},
          {"access_keys", std::move(keys)},
          {"login_profile", iam_->GetLoginProfile(u.name).ok()},
          {"mfa_enabled", iam_->GetMfaDevice(u.name).value_or(auth::MfaDevice{}).enabled}};
}

http::Response IamService::Handle(const http::Request& request) const {
  auth::VerifyResult verified;
  if (auto refused = RefuseUnauthenticated(*access_, request, trail_, logger_, &verified)) return *refused;
  const std::optional<std::vector<std::string>> path = Segments(request.path);
  if (!path) return RestError(400, "InvalidParameterValue", "bad escape in " + request.path);
  const std::vector<std::string>& s = *path;
  const std::string& m = request.method;
  IamCall call(request, verified, *access_, trail_, logger_);
  const std::optional<json> parsed = call.Body();
  if (!parsed && m != "PUT") {
    return RestError(400, "InvalidParameterValue", "the body must be a JSON object");
  }
  const json body = parsed.value_or(json::object());
  auto field = [&](const char* name) {
    return body.contains(name) && body[name].is_string() ? body[name].get<std::string>() : "";
  };
  auto change = [&](std::string_view action, const std::string& resource, json params,
                    const IamCall::Run& run, int ok_status) {
    return call.Change(action, resource, std::move(params), run, ok_status);
  };
  auto read = [&](std::string_view action, const std::string& resource, const IamCall::Run& run) {
    return call.Read(action, resource, run);
  };
  auto done = [] { return StatusOr<json>(json::object()); };

  if (std::optional<http::Response> answer = HandleSignIn(call, s)) return *answer;
  if (s.size() == 1 && s[0] == "users" && m == "GET") {
    return read("iam:ListUsers", "*", [&]() -> StatusOr<json> {
      json users = json::array();
      for (const auto& u : iam_->ListUsers()) users.push_back(UserJson(u));
      return json{{"users", std::move(users)}};
    });
  }
  if (s.size() == 1 && s[0] == "users" && m == "POST") {
    const std::string name = field("name");
    return change(
        "iam:CreateUser", IamArn("user", name), {{"userName", name}},
        [&]() -> StatusOr<json> {
          ASSIGN_OR_RETURN(auth::IamUser u, iam_->CreateUser(name));
          return UserJson(u);
        },
        201);
  }
  if (s.size() == 2 && s[0] == "users" && m == "GET") {
    return read("iam:GetUser", IamArn("user", s[1]), [&]() -> StatusOr<json> {
      ASSIGN_OR_RETURN(auth::IamUser u, iam_->GetUser(s[1]));
      json j = UserJson(u);
      j["inline_policies"] = u.inline_policies;
      return j;
    });
  }
  if (s.size() == 2 && s[0] == "users" && m == "DELETE") {
    return change(
        "iam:DeleteUser", IamArn("user", s[1]), {{"userName", s[1]}},
        [&]() -> StatusOr<json> {
          RETURN_IF_ERROR(iam_->DeleteUser(s[1]));
          return done();
        },
        204);
  }
  if (s.size() == 3 && s[0] == "users" && s[2] == "access-keys" && m == "POST") {
    return change(
        "iam:CreateAccessKey", IamArn("user", s[1]), {{"userName", s[1]}},
        [&]() -> StatusOr<json> {
          ASSIGN_OR_RETURN(auth::AccessKey k, iam_->CreateAccessKey(s[1]));
          return json{{"access_key_id", k.access_key_id},
                      {"secret_access_key", k.secret_access_key},
                      {"user", k.principal},
                      {"status", "Active"}};
        },
        201);
  }
  if (s.size() == 2 && s[0] == "access-keys" && (m == "POST" || m == "DELETE")) {
    // The key's user is the resource; an unknown key is NotFound after authorization on "*".
    std::string owner;
    for (const auto& k : iam_->ListAccessKeys("")) {
      if (k.access_key_id == s[1]) owner = k.user;
    }
    const std::string resource = owner.empty() ? "*" : IamArn("user", owner);
    if (m == "DELETE") {
      return change(
          "iam:DeleteAccessKey", resource, {{"accessKeyId", s[1]}},
          [&]() -> StatusOr<json> {
            RETURN_IF_ERROR(iam_->DeleteAccessKey(s[1]));
            return done();
          },
          204);
    }
    const std::string status = field("status");
    if (status != "Active" && status != "Inactive") {
      return RestError(400, "InvalidParameterValue", "status must be \"Active\" or \"Inactive\"");
    }
    return change(
        "iam:UpdateAccessKey", resource, {{"accessKeyId", s[1]}, {"status", status}},
        [&]() -> StatusOr<json> {
          RETURN_IF_ERROR(iam_->SetAccessKeyActive(s[1], status == "Active"));
          return json{{"access_key_id", s[1]}, {"status", status}};
        },
        200);
  }
  if (s.size() == 1 && s[0] == "groups" && m == "GET") {
    return read("iam:ListGroups", "*", [&]() -> StatusOr<json> {
      json groups = json::array();
      for (const auto& g : iam_->ListGroups()) {
        json members = json::array();
        for (const auto& u : iam_->ListUsers()) {
          if (std::find(u.groups.begin(), u.groups.end(), g.name) != u.groups.end()) {
            members.push_back(u.name);
          }
        }
        groups.push_back({{"name", g.name},
                          {"id", g.id},
                          {"arn", IamArn("group", g.name)},
                          {"created_at", IamTimestamp(g.created_ms)},
                          {"members", std::move(members)},
                          {"policies", PolicyNames(g.inline_policies, g.attached)}});
      }
      return json{{"groups", std::move(groups)}};
    });
  }
  if (s.size() == 1 && s[0] == "groups" && m == "POST") {
    const std::string name = field("name");
    return change(
        "iam:CreateGroup", IamArn("group", name), {{"groupName", name}},
        [&]() -> StatusOr<json> {
          ASSIGN_OR_RETURN(auth::IamGroup g, iam_->CreateGroup(name));
          return json{{"name", g.name}, {"id", g.id}, {"arn", IamArn("group", g.name)}};
        },
        201);
  }
  if (s.size() == 2 && s[0] == "groups" && m == "DELETE") {
    return change(
        "iam:DeleteGroup", IamArn("group", s[1]), {{"groupName", s[1]}},
        [&]() -> StatusOr<json> {
          RETURN_IF_ERROR(iam_->DeleteGroup(s[1]));
          return done();
        },
        204);
  }
  if (s.size() == 4 && s[0] == "groups" && s[2] == "users" && (m == "POST" || m == "DELETE")) {
    const bool add = m == "POST";
    return change(
        add ? "iam:AddUserToGroup" : "iam:RemoveUserFromGroup", IamArn("group", s[1]),
        {{"groupName", s[1]}, {"userName", s[3]}},
        [&]() -> StatusOr<json> {
          RETURN_IF_ERROR(add ? iam_->AddUserToGroup(s[3], s[1])
                              : iam_->RemoveUserFromGroup(s[3], s[1]));
          return done();
        },
        204);
  }
  if (s.size() == 1 && s[0] == "policies" && m == "GET") {
    return read("iam:ListPolicies", "*", [&]() -> StatusOr<json> {
      json policies = json::array();
      for (const auto& p : iam_->ListPolicies()) {
        policies.push_back({{"name", p.name},
                            {"arn", IamArn("policy", p.name)},
                            {"description", p.description},
                            {"builtin", p.builtin},
                            {"created_at", IamTimestamp(p.created_ms)},
                            {"document", json::parse(p.document, nullptr, false)}});
      }
      return json{{"policies", std::move(policies)}};
    });
  }
  if (s.size() == 1 && s[0] == "policies" && m == "POST") {
    const std::string name = field("name");
    const std::string document = body.contains("document") ? body["document"].dump() : "";
    return change(
        "iam:CreatePolicy", IamArn("policy", name), {{"policyName", name}},
        [&]() -> StatusOr<json> {
          ASSIGN_OR_RETURN(auth::ManagedPolicy p,
                           iam_->CreatePolicy(name, document, field("description")));
          return json{{"name", p.name}, {"arn", IamArn("policy", p.name)}};
        },
        201);
  }
  if (s.size() == 2 && s[0] == "policies" && m == "DELETE") {
    return change(
        "iam:DeletePolicy", IamArn("policy", s[1]), {{"policyName", s[1]}},
        [&]() -> StatusOr<json> {
          RETURN_IF_ERROR(iam_->DeletePolicy(s[1]));
          return done();
        },
        204);
  }
  // /users|groups/{name}/attached/{policy} and /users|groups/{name}/policies/{policy}
  if (s.size() == 4 && (s[0] == "users" || s[0] == "groups") &&
      (s[2] == "attached" || s[2] == "policies")) {
    const std::string kind = s[0] == "users" ? "user" : "group";
    const std::string who = kind == "user" ? "User" : "Group";
    const json params = {{kind + "Name", s[1]}, {"policyName", s[3]}};
    if (s[2] == "attached" && (m == "POST" || m == "DELETE")) {
      const bool attach = m == "POST";
      return change(
          attach ? "iam:Attach" + who + "Policy" : "iam:Detach" + who + "Policy",
          IamArn(kind, s[1]), params,
          [&]() -> StatusOr<json> {
            RETURN_IF_ERROR(attach ? iam_->AttachPolicy(kind, s[1], s[3])
                                   : iam_->DetachPolicy(kind, s[1], s[3]));
            return done();
          },
          204);
    }
    if (s[2] == "policies" && (m == "PUT" || m == "DELETE")) {
      const bool put = m == "PUT";
      return change(
          put ? "iam:Put" + who + "Policy" : "iam:Delete" + who + "Policy", IamArn(kind, s[1]),
          params,
          [&]() -> StatusOr<json> {
            RETURN_IF_ERROR(put ? iam_->PutInlinePolicy(kind, s[1], s[3], request.body)
                                : iam_->DeleteInlinePolicy(kind, s[1], s[3]));
            return done();
          },
          204);
    }
  }
  if (s.size() == 1 && s[0] == "simulate" && m == "POST") {
    const std::string user = field("user");
    return read("iam:SimulatePrincipalPolicy", IamArn("user", user), [&]() -> StatusOr<json> {
      if (user != auth::kRootPrincipal) RETURN_IF_ERROR(iam_->GetUser(user).status());
      auth::AccessRequest r;
      r.action = field("action");
      r.resource = body.contains("resource") ? field("resource") : "*";
      if (r.action.empty()) return InvalidArgumentError("simulate needs an action");
      if (body.contains("context") && body["context"].is_object()) {
        for (const auto& [k, v] : body["context"].items()) {
          r.Set(k, v.is_string() ? v.get<std::string>() : v.dump());
        }
      }
      const auth::Authorization a = iam_->Authorize(user, r);
      return json{
          {"user", user},
          {"action", r.action},
          {"resource", r.resource},
          {"decision", std::string(auth::DecisionName(a.evaluation.decision))},
          {"allowed", a.allowed()},
          {"policy", a.evaluation.policy.empty() ? json(nullptr) : json(a.evaluation.policy)},
          {"statement",
           a.evaluation.statement.empty() ? json(nullptr) : json(a.evaluation.statement)}};
    });
  }
  return RestError(404, "NotFound", "no such resource: " + m + " " + request.path);
}

}  // namespace vigil::api
