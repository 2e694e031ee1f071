// The dashboard's sign-in: an access key pair exchanged for a session cookie (POST), the
// session read back by a page load (GET), sign-out (DELETE). Sign-ins are audited as
// CloudTrail's ConsoleLogin.
#include <nlohmann/json.hpp>

#include "api/api.h"
#include "api/audit_hook.h"
#include "api/rest.h"
#include "api/text.h"
#include "common/ascii.h"

namespace vigil::api {
namespace {

using nlohmann::json;

json SessionJson(const auth::Session& s) {
  return {{"principal", s.principal},
          {"access_key_id", s.access_key_id},
          {"expires_at", FormatIsoTimestamp(s.expires_at_ms)},
          {"csrf_token", s.csrf_token}};
}

std::string_view CookieToken(const http::Request& request) {
  for (const auto& [name, value] : request.headers) {
    if (EqualsIgnoreCase(name, "Cookie")) {
      if (std::string_view v = auth::SessionCookieValue(value); !v.empty()) return v;
    }
  }
  return {};
}

}  // namespace

SessionService::SessionService(auth::Sessions* sessions, const Clock* clock, audit::Trail* trail,
                               Logger* logger, bool secure_cookie)
    : sessions_(sessions),
      clock_(clock),
      trail_(trail),
      logger_(logger),
      secure_cookie_(secure_cookie) {}

std::string SessionService::Cookie(std::string_view value, int64_t max_age_s, bool secure) const {
  std::string c = std::string(auth::kSessionCookie) + "=" + std::string(value) +
                  "; Path=/; HttpOnly; SameSite=Strict; Max-Age=" + std::to_string(max_age_s);
  if (secure_cookie_ || secure) c += "; Secure";
  return c;
}

http::Response SessionService::Handle(const http::Request& request) const {
  if (request.path != "/v1/session") {
    return RestError(404, "NotFound", "no such resource: " + request.path);
  }
  if (request.method == "GET") {
    const std::optional<auth::Session> s = sessions_->Find(CookieToken(request));
    if (!s) return RestError(401, "Unauthenticated", "Not signed in.");
    return RestJson(200, SessionJson(*s));
  }
  if (request.method == "DELETE") {
    // No CSRF check: a forged sign-out only signs someone out.
    if (Status ended = sessions_->SignOut(CookieToken(request)); !ended.ok()) {
      logger_->Warning("api", "sign-out not recorded: " + ended.message());
    }
    http::Response out;
    out.status = 204;
    out.headers.emplace_back("Set-Cookie", Cookie("", 0, request.secure));
    return out;
  }
  if (request.method != "POST") {
    return RestError(405, "MethodNotAllowed", "use GET, POST or DELETE " + request.path);
  }
  const json body = json::parse(request.body, nullptr, /*allow_exceptions=*/false);
  if (!body.is_object() || !body.contains("access_key_id") || !body["access_key_id"].is_string() ||
      !body.contains("secret_access_key") || !body["secret_access_key"].is_string()) {
    return RestError(400, "InvalidParameterValue",
                     "The body must be {\"access_key_id\": ..., \"secret_access_key\": ...}.");
  }
  const std::string key_id = body["access_key_id"].get<std::string>();
  auto signed_in = sessions_->SignIn(key_id, body["secret_access_key"].get<std::string>());
  auth::VerifyResult who;
  if (signed_in.ok()) {
    who.identity = auth::Identity{signed_in->second.access_key_id, signed_in->second.principal, "",
                                  "", /*session=*/true};
  }
  const bool refused = signed_in.status().code() == StatusCode::kUnauthenticated;
  RecordCall(trail_, logger_,
             {"signin.amazonaws.com", "ConsoleLogin", &request, &who,
              json{{"access_key_id", Printable(key_id, 128)}},
              signed_in.ok() ? "" : (refused ? "Failed authentication" : "ServiceUnavailable"),
              signed_in.ok() ? "" : signed_in.status().message()});
  if (refused) return RestError(401, "Unauthenticated", signed_in.status().message());
  if (!signed_in.ok()) return RestError(503, "ServiceUnavailable", signed_in.status().message());
  const auto& [token, session] = *signed_in;
  http::Response out = RestJson(200, SessionJson(session));
  out.headers.emplace_back(
      "Set-Cookie",
      Cookie(token, (session.expires_at_ms - clock_->NowMillis()) / 1000, request.secure));
  out.headers.emplace_back("Cache-Control", "no-store");
  return out;
}

}  // namespace vigil::api
