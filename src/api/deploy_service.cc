#include <charconv>

#include "api/access.h"
#include "api/api.h"
#include "api/audit_hook.h"
#include "api/form.h"
#include "api/rest.h"
#include "api/text.h"

namespace vigil::api {
namespace {

using nlohmann::json;

json Timestamp(int64_t ms) { return ms > 0 ? json(FormatIsoTimestamp(ms)) : json(nullptr); }

json VersionJson(const deploy::Version& v) {
  return json{{"app", v.app},           {"label", v.label},
              {"source", v.source},     {"description", v.description},
              {"manifest", v.manifest}, {"created_at", Timestamp(v.created_ms)}};
}

}  // namespace

json DeploymentJson(const deploy::Deployment& d) {
  const deploy::DeployRequest& r = d.request;
  json events = json::array();
  for (const deploy::Event& e : d.events) {
    events.push_back({{"at", FormatIsoTimestamp(e.at_ms)}, {"message", e.message}});
  }
  return json{{"id", d.id},
              {"kind", d.kind},
              {"app", r.app},
              {"version", r.label},
              {"from", d.from_label},
              {"policy", deploy::PolicyName(r.policy)},
              {"batch", std::to_string(r.batch) + (r.batch_percent ? "%" : "")},
              {"bake_ms", r.bake_ms},
              {"health_timeout_ms", r.health_timeout_ms},
              {"alarms", r.alarms},
              {"canaries", r.canaries},
              {"caller", r.caller},
              {"state", deploy::StateName(d.state)},
              {"phase", d.phase},
              {"reason", d.reason},
              {"batches", d.batches},
              {"batches_done", d.batches_done},
              {"created_at", Timestamp(d.created_ms)},
              {"updated_at", Timestamp(d.updated_ms)},
              {"finished_at", Timestamp(d.finished_ms)},
              {"events", std::move(events)}};
}

namespace {

// The path's segments after "/v1/": {"apps", app, what, ...} or {"deployments", id}.
std::vector<std::string> Segments(std::string_view path) {
  std::vector<std::string> out;
  path.remove_prefix(std::string_view("/v1/").size());
  while (!path.empty()) {
    const size_t slash = path.find('/');
    std::optional<std::string> seg = PercentDecode(path.substr(0, slash));
    out.push_back(seg.value_or(""));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return out;
}

// A duration in the body: a number of seconds.
StatusOr<int64_t> Millis(const json& body, const char* key, int64_t fallback) {
  if (!body.contains(key)) return fallback;
  const json& v = body[key];
  if (!v.is_number() || v.get<double>() < 0) {
    return InvalidArgumentError(std::string(key) + " must be a number of seconds, 0 or more");
  }
  return static_cast<int64_t>(v.get<double>() * 1000);
}

StatusOr<std::vector<std::string>> Names(const json& body, const char* key) {
  std::vector<std::string> out;
  if (!body.contains(key)) return out;
  if (!body[key].is_array()) return InvalidArgumentError(std::string(key) + " must be a list");
  for (const json& v : body[key]) {
    if (!v.is_string()) return InvalidArgumentError(std::string(key) + " must list names");
    out.push_back(v.get<std::string>());
  }
  return out;
}

// The body of POST /v1/apps/{app}/deployments.
StatusOr<deploy::DeployRequest> ParseDeploy(const std::string& app, const std::string& text) {
  const json body = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!body.is_object()) return InvalidArgumentError("the body must be a JSON object");
  deploy::DeployRequest r;
  r.app = app;
  if (!body.contains("version") || !body["version"].is_string()) {
    return InvalidArgumentError("version (the label to deploy) is required");
  }
  r.label = body["version"].get<std::string>();
  if (body.contains("policy")) {
    if (!body["policy"].is_string()) return InvalidArgumentError("policy must be a name");
    ASSIGN_OR_RETURN(r.policy, deploy::ParsePolicy(body["policy"].get<std::string>()));
  }
  if (body.contains("batch")) {
    const json& b = body["batch"];
    std::string text = b.is_number_integer() ? std::to_string(b.get<int64_t>())
                                             : (b.is_string() ? b.get<std::string>() : "");
    r.batch_percent = !text.empty() && text.back() == '%';
    if (r.batch_percent) text.pop_back();
    int n = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
    if (text.empty() || ec != std::errc() || end != text.data() + text.size() || n < 1) {
      return InvalidArgumentError("batch must be a number of instances or a percentage (25%)");
    }
    r.batch = n;
  }
  ASSIGN_OR_RETURN(r.bake_ms, Millis(body, "bake_seconds", r.bake_ms));
  ASSIGN_OR_RETURN(r.health_timeout_ms,
                   Millis(body, "health_timeout_seconds", r.health_timeout_ms));
  ASSIGN_OR_RETURN(r.alarms, Names(body, "alarms"));
  ASSIGN_OR_RETURN(r.canaries, Names(body, "canaries"));
  return r;
}

}  // namespace

DeployService::DeployService(deploy::Engine* engine, const auth::AccessControl* verifier,
                             audit::Trail* trail, Logger* logger)
    : engine_(engine), verifier_(verifier), trail_(trail), logger_(logger) {}

bool DeployService::Handles(const http::Request& request) {
  if (request.path.rfind("/v1/deployments/", 0) == 0) return true;
  const std::vector<std::string> s = Segments(request.path);
  return s.size() >= 3 && s[0] == "apps" &&
         (s[2] == "versions" || s[2] == "deployments" || s[2] == "rollback");
}

http::Response DeployService::Handle(const http::Request& request) const {
  auth::VerifyResult verified;
  if (auto refused = RefuseUnauthenticated(*verifier_, request, trail_, logger_, &verified)) return *refused;
  const std::vector<std::string> s = Segments(request.path);
  const bool get = request.method == "GET", post = request.method == "POST";
  // Changes are audited as vigil:<Operation> with the app as resource.
  auto audited = [&](std::string_view name, json params, const Status& st) {
    RecordCall(
        trail_, logger_,
        {"vigil", name, &request, &verified, std::move(params),
         st.ok() ? "" : std::string(StatusCodeName(st.code())), st.ok() ? "" : st.message()});
  };
  const std::string caller =
      verified.identity ? verified.identity->access_key_id : std::string("unknown");
  // Every call is authorized as vigil:<Operation> on its app.
  auto refuse = [&](std::string_view action, const std::string& app, json params) {
    return RefuseUnauthorized(*verifier_, request, verified, action, {AppArn(app)}, trail_, logger_,
                              std::move(params));
  };

  if (s.size() == 2 && s[0] == "deployments" && get) {
    StatusOr<deploy::Deployment> d = engine_->Get(s[1]);
    if (!d.ok()) return RestFromStatus(d.status());
    if (auto no = refuse("vigil:GetDeployment", d->request.app, json{{"DeploymentId", s[1]}})) {
      return *no;
    }
    return RestJson(200, DeploymentJson(*d));
  }
  if (s.size() < 3 || s[0] != "apps") {
    return RestError(404, "NotFound", "no such resource: " + request.path);
  }
  const std::string& app = s[1];
  const std::string& what = s[2];
  if (what == "versions" && s.size() == 3 && get) {
    if (auto no = refuse("vigil:ListVersions", app, json{{"App", app}})) return *no;
    StatusOr<std::vector<deploy::Version>> versions = engine_->Versions(app);
    if (!versions.ok()) return RestFromStatus(versions.status());
    json list = json::array();
    for (const deploy::Version& v : *versions) list.push_back(VersionJson(v));
    StatusOr<std::string> current = engine_->CurrentVersion(app);
    return RestJson(200, json{{"app", app},
                              {"current", current.ok() ? json(*current) : json(nullptr)},
                              {"versions", std::move(list)}});
  }
  if (what == "versions" && s.size() == 4 && post) {
    if (auto no = refuse("vigil:CreateApplicationVersion", app,
                         json{{"App", app}, {"VersionLabel", s[3]}})) {
      return *no;
    }
    std::string description;
    if (ApiOr<FormPairs> query = ParseFormPairs(request.query); query.ok()) {
      for (const auto& [k, v] : *query) {
        if (k == "description") description = v;
      }
    }
    StatusOr<deploy::Version> v = engine_->CreateVersion(app, s[3], request.body, description);
    audited("CreateApplicationVersion", json{{"App", app}, {"VersionLabel", s[3]}}, v.status());
    if (!v.ok()) return RestFromStatus(v.status());
    return RestJson(201, VersionJson(*v));
  }
  if (what == "deployments" && s.size() == 3 && get) {
    if (auto no = refuse("vigil:ListDeployments", app, json{{"App", app}})) return *no;
    size_t limit = 20;
    if (ApiOr<FormPairs> query = ParseFormPairs(request.query); query.ok()) {
      for (const auto& [k, v] : *query) {
        if (k == "limit") limit = static_cast<size_t>(std::max(0L, std::atol(v.c_str())));
      }
    }
    StatusOr<std::vector<deploy::Deployment>> list = engine_->Deployments(app, limit);
    if (!list.ok()) return RestFromStatus(list.status());
    json out = json::array();
    for (const deploy::Deployment& d : *list) out.push_back(DeploymentJson(d));
    return RestJson(200, json{{"app", app}, {"deployments", std::move(out)}});
  }
  if (what == "deployments" && s.size() == 3 && post) {
    if (auto no = refuse("vigil:Deploy", app, json{{"App", app}})) return *no;
    StatusOr<deploy::DeployRequest> r = ParseDeploy(app, request.body);
    StatusOr<deploy::Deployment> d = r.ok() ? [&] {
      r->caller = caller;
      return engine_->Deploy(*r);
    }()
                                            : StatusOr<deploy::Deployment>(r.status());
    audited("Deploy",
            json{{"App", app},
                 {"VersionLabel", r.ok() ? r->label : ""},
                 {"DeploymentId", d.ok() ? d->id : ""}},
            d.status());
    if (!d.ok()) return RestFromStatus(d.status());
    return RestJson(201, DeploymentJson(*d));
  }
  if (what == "rollback" && s.size() == 3 && post) {
    if (auto no = refuse("vigil:Rollback", app, json{{"App", app}})) return *no;
    const json body = request.body.empty()
                          ? json::object()
                          : json::parse(request.body, nullptr, /*allow_exceptions=*/false);
    if (!body.is_object()) return RestError(400, "InvalidParameterValue", "bad JSON body");
    for (const char* field : {"to", "reason"}) {
      if (body.contains(field) && !body[field].is_string()) {
        return RestError(400, "InvalidParameterValue",
                         std::string("\"") + field + "\" must be a string");
      }
    }
    const std::string to = body.value("to", std::string());
    const std::string reason = body.value("reason", std::string("manual rollback by ") + caller);
    StatusOr<deploy::Deployment> d = engine_->Rollback(app, to, reason);
    audited("Rollback",
            json{{"App", app}, {"VersionLabel", to}, {"DeploymentId", d.ok() ? d->id : ""}},
            d.status());
    if (!d.ok()) return RestFromStatus(d.status());
    return RestJson(200, DeploymentJson(*d));
  }
  if (what == "versions" || what == "deployments" || what == "rollback") {
    return RestError(405, "MethodNotAllowed", request.method + " " + request.path);
  }
  return RestError(404, "NotFound", "no such resource: " + request.path);
}

}  // namespace vigil::api
