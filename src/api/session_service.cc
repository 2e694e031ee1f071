// The dashboard's sign-in: a person's user name and password (and TOTP code), or an access key
// pair, exchanged for a session cookie (POST), the session read back by a page load (GET),
// sign-out (DELETE). Failed attempts are throttled per source address and per user name (or key
// id); sign-ins are audited as CloudTrail's ConsoleLogin.
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
  return {{"principal", s.principal},  {"access_key_id", s.access_key_id},
          {"session_id", s.id},        {"method", std::string(auth::SignInMethodName(s.method))},
          {"mfa", s.mfa_at_ms > 0},    {"expires_at", FormatIsoTimestamp(s.expires_at_ms)},
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

bool IsString(const json& body, const char* name) {
  return body.contains(name) && body[name].is_string();
}

std::string Lower(std::string s) {
  for (char& c : s) c = AsciiLower(c);
  return s;
}

}  // namespace

SessionService::SessionService(auth::Sessions* sessions, const Clock* clock, audit::Trail* trail,
                               Logger* logger, bool secure_cookie, auth::Iam* iam,
                               auth::AttemptLimiter* limiter)
    : sessions_(sessions),
      clock_(clock),
      trail_(trail),
      logger_(logger),
      secure_cookie_(secure_cookie),
      iam_(iam),
      limiter_(limiter) {}

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
  return SignIn(request);
}

http::Response SessionService::SignIn(const http::Request& request) const {
  const json body = json::parse(request.body, nullptr, /*allow_exceptions=*/false);
  const bool by_password = body.is_object() && IsString(body, "username") &&
                           IsString(body, "password") &&
                           (!body.contains("totp") || body["totp"].is_string());
  const bool by_key =
      body.is_object() && IsString(body, "access_key_id") && IsString(body, "secret_access_key");
  if (by_password == by_key || (by_password && iam_ == nullptr)) {
    return RestError(400, "InvalidParameterValue",
                     iam_ == nullptr
                         ? "The body must be {\"access_key_id\": ..., \"secret_access_key\": ...}."
                         : "The body must be {\"username\": ..., \"password\": ...[, \"totp\": "
                           "...]} or {\"access_key_id\": ..., \"secret_access_key\": ...}.");
  }
  const std::string name =
      by_password ? body["username"].get<std::string>() : body["access_key_id"].get<std::string>();
  const auth::SignInContext context{std::string(request.PeerAddress()),
                                    std::string(request.Header("User-Agent").value_or(""))};
  const std::string ip_key = "ip:" + context.source_ip;
  const std::string name_key = (by_password ? "user:" : "key:") + Lower(name);
  json params = by_password ? json{{"userName", Printable(name, 128)}}
                            : json{{"access_key_id", Printable(name, 128)}};

  // Refused before any hashing: a guesser gets no answer about the password while it waits.
  const int64_t wait = limiter_ == nullptr ? 0
                                           : std::max(limiter_->RetryAfterMs(ip_key),
                                                      limiter_->RetryAfterMs(name_key));
  if (wait > 0) {
    const std::string message =
        "Too many failed sign-ins; try again in " + std::to_string((wait + 999) / 1000) + " s.";
    RecordCall(trail_, logger_,
               {"signin.amazonaws.com", "ConsoleLogin", &request, nullptr, std::move(params),
                "Throttling", message});
    return RestThrottled(wait, message);
  }

  StatusOr<std::pair<std::string, auth::Session>> signed_in = UnavailableError("not signed in");
  bool mfa_used = false;
  if (by_password) {
    const std::string totp = body.value("totp", "");
    StatusOr<auth::PasswordSignIn> checked =
        iam_->CheckSignIn(name, body["password"].get<std::string>(), std::string(TrimBlanks(totp)));
    if (checked.ok()) {
      mfa_used = checked->mfa_used;
      signed_in = sessions_->Start(
          checked->user,
          mfa_used ? auth::SignInMethod::kPasswordMfa : auth::SignInMethod::kPassword, context);
    } else {
      signed_in = checked.status();
    }
  } else {
    signed_in = sessions_->SignIn(name, body["secret_access_key"].get<std::string>(), context);
  }
  const StatusCode code = signed_in.status().code();
  const bool refused = code == StatusCode::kUnauthenticated;
  const bool mfa_required = code == StatusCode::kFailedPrecondition;
  if (limiter_ != nullptr && refused) {
    limiter_->RecordFailure(ip_key);
    limiter_->RecordFailure(name_key);
  } else if (limiter_ != nullptr && signed_in.ok()) {
    limiter_->RecordSuccess(ip_key);
    limiter_->RecordSuccess(name_key);
  }

  auth::VerifyResult who;
  if (signed_in.ok()) {
    const auth::Session& s = signed_in->second;
    who.identity =
        auth::Identity{s.access_key_id, s.principal, "", "", /*session=*/true, s.id, s.mfa_at_ms};
  }
  const std::string error_code = signed_in.ok() ? ""
                                 : refused      ? "Failed authentication"
                                 : mfa_required ? "MfaCodeRequired"
                                                : "ServiceUnavailable";
  AuditedCall call{"signin.amazonaws.com",
                   "ConsoleLogin",
                   &request,
                   &who,
                   std::move(params),
                   error_code,
                   signed_in.ok() ? "" : signed_in.status().message()};
  call.additional = {{"MFAUsed", mfa_used ? "Yes" : "No"},
                     {"LoginMethod", by_password ? "password" : "access-key"}};
  RecordCall(trail_, logger_, std::move(call));
  if (refused) return RestError(401, "Unauthenticated", signed_in.status().message());
  if (mfa_required) return RestError(401, "MfaCodeRequired", signed_in.status().message());
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
