#include "server/canary_config.h"

#include <utility>

#include "http/client.h"

namespace vigil::server {
namespace {

using canary::CanarySpec;
using canary::Step;
using yaml::AnyText;
using yaml::DurationIn;
using yaml::Expected;
using yaml::IntIn;
using yaml::NonEmptyText;
using yaml::Reader;
using yaml::UrlPath;

StatusOr<std::string> CanaryName(const std::string& t) {
  if (canary::IsValidCanaryName(t)) return t;
  return Expected("expected 1 to 64 letters, digits, '_' or '-'", t);
}

StatusOr<std::string> BaseUrl(const std::string& t) {
  StatusOr<http::Url> url = http::ParseUrl(t);
  if (url.ok()) return t;
  return Expected("expected a base URL such as http://127.0.0.1:9000", t);
}

// 0: on demand (and after deploy batches) only; otherwise at least a second.
StatusOr<int64_t> Interval(const std::string& t) {
  if (t == "0") return 0;
  StatusOr<int64_t> ms = DurationIn(1000)(t);
  if (ms.ok()) return ms;
  return Expected("expected a duration of at least 1s, or 0 (on demand only)", t);
}

StatusOr<std::string> Method(const std::string& t) {
  Step probe;
  probe.method = t;
  if (canary::ValidateStep(probe).ok()) return t;
  return Expected("expected an upper-case HTTP method such as GET or POST", t);
}

using Pairs = std::vector<std::pair<std::string, std::string>>;

// A mapping of text to text, in file order; `check` (may be null) may refuse an entry, the
// error placed at its value.
Status ReadTextPairs(const Reader& r, const YAML::Node& node, const std::string& path, Pairs* out,
                     Status (*check)(const std::string& key, const std::string& value)) {
  out->clear();
  return r.Entries(node, path,
                   [&](const std::string& key, const YAML::Node&, const YAML::Node& value,
                       const std::string& sub) -> Status {
                     ASSIGN_OR_RETURN(std::string text, r.Text(value, sub));
                     if (check != nullptr) {
                       Status s = check(key, text);
                       if (!s.ok()) return r.Error(value, sub, s.message());
                     }
                     out->emplace_back(key, std::move(text));
                     return OkStatus();
                   });
}

Status ReadHeaders(const Reader& r, const YAML::Node& node, const std::string& path,
                   Pairs* headers) {
  return ReadTextPairs(r, node, path, headers, nullptr);
}

// `json: { "$.items[0].id": "2" }`: each value is JSON text.
Status ReadJsonChecks(const Reader& r, const YAML::Node& node, const std::string& path,
                      Pairs* checks) {
  return ReadTextPairs(r, node, path, checks, canary::ValidateJsonCheck);
}

Status ReadStep(const Reader& r, const YAML::Node& node, const std::string& path, Step* step) {
  RETURN_IF_ERROR(r.Map(
      node, path,
      {r.Set("name", &step->name, NonEmptyText), r.Set("method", &step->method, Method),
       r.Set("path", &step->path, UrlPath), r.Call("headers", ReadHeaders, &step->headers),
       r.Set("body", &step->body, AnyText), r.Set("status", &step->expect_status, IntIn(100, 599)),
       r.Set("body_contains", &step->body_contains, NonEmptyText),
       r.Call("json", ReadJsonChecks, &step->json_equals),
       r.Set("max_latency", &step->max_latency_ms, DurationIn(1))}));
  Status s = canary::ValidateStep(*step);  // what the keys alone do not say (a path's spaces)
  if (!s.ok()) return r.Error(node, path, s.message());
  return OkStatus();
}

Status ReadSteps(const Reader& r, const YAML::Node& node, const std::string& path,
                 std::vector<Step>* steps) {
  return r.List(node, path, "steps", ReadStep, steps);
}

Status ReadCanary(const Reader& r, const YAML::Node& node, const std::string& path, CanarySpec* c) {
  RETURN_IF_ERROR(
      r.Map(node, path,
            {r.Set("name", &c->name, CanaryName), r.Set("app", &c->app, NonEmptyText),
             r.Set("url", &c->url, BaseUrl), r.Set("ca_bundle", &c->ca_bundle, NonEmptyText),
             r.Set("interval", &c->interval_ms, Interval),
             r.Set("timeout", &c->timeout_ms, DurationIn(1, 300'000)),
             r.Call("steps", ReadSteps, &c->steps)}));
  if (c->name.empty()) return r.Error(node, path, "missing required key 'name'");
  if (c->app.empty() == c->url.empty())
    return r.Error(node, path, "give exactly one of app and url");
  if (c->steps.empty()) return r.Error(node, path, "needs at least one step");
  if (!c->ca_bundle.empty()) {
    Status s = canary::ValidateCaBundle(c->url, c->ca_bundle);
    if (!s.ok()) return r.Error(node["ca_bundle"], path + ".ca_bundle", s.message());
  }
  Status s = canary::ValidateSpec(*c);  // the rules above are all of it; this is a safety net
  if (!s.ok()) return r.Error(node, path, s.message());
  return OkStatus();
}

}  // namespace

Status ReadCanaries(const Reader& r, const YAML::Node& node, const std::string& path,
                    std::vector<CanarySpec>* out) {
  return r.List(node, path, "canaries", ReadCanary, out);
}

std::optional<ListConflict> FindCanaryConflict(const Config& config) {
  for (size_t i = 0; i < config.canaries.size(); ++i) {
    const CanarySpec& c = config.canaries[i];
    for (size_t j = 0; j < i; ++j) {
      if (config.canaries[j].name == c.name) {
        return ListConflict{"canaries", i, "name",
                            "duplicate canary name (also canaries[" + std::to_string(j) + "])"};
      }
    }
    if (c.app.empty()) continue;
    const fleet::AppSpec* app = nullptr;
    for (const fleet::AppSpec& a : config.apps) {
      if (a.name == c.app) app = &a;
    }
    if (app == nullptr) {
      return ListConflict{"canaries", i, "app", "no app named '" + c.app + "' in apps"};
    }
    if (app->listen_host.empty()) {
      return ListConflict{"canaries", i, "app",
                          "app '" + c.app + "' has no load balancer (no listen:); use url:"};
    }
  }
  return std::nullopt;
}

}  // namespace vigil::server
