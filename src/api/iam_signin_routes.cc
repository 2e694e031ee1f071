// /v1/iam's routes for people's sign-in: login profiles, changing one's own password, virtual
// MFA devices, and the dashboard's sessions (list, revoke). See api.h.
#include <nlohmann/json.hpp>

#include "api/api.h"
#include "api/form.h"
#include "api/iam_call.h"
#include "api/rest.h"
#include "api/text.h"
#include "auth/iam.h"
#include "common/ascii.h"

namespace vigil::api {
namespace {

using nlohmann::json;

json ProfileJson(const auth::LoginProfile& p) {
  return {{"user", p.user},
          {"created_at", IamTimestamp(p.created_ms)},
          {"changed_at", IamTimestamp(p.changed_ms)}};
}

json SessionJson(const auth::Session& s, const std::string& caller_session) {
  return {{"id", s.id},
          {"user", s.principal},
          {"method", std::string(auth::SignInMethodName(s.method))},
          {"mfa", s.mfa_at_ms > 0},
          {"access_key_id", s.access_key_id.empty() ? json(nullptr) : json(s.access_key_id)},
          {"created_at", IamTimestamp(s.created_at_ms)},
          {"last_seen_at", IamTimestamp(s.last_seen_ms)},
          {"expires_at", IamTimestamp(s.expires_at_ms)},
          {"source_ip", s.source_ip},
          {"user_agent", s.user_agent},
          {"current", s.id == caller_session}};
}

StatusOr<json> Done() { return json::object(); }

}  // namespace

std::optional<http::Response> IamService::HandleSignIn(const IamCall& call,
                                                       const std::vector<std::string>& s) const {
  const std::string& m = call.request.method;
  const bool profile = s.size() == 3 && s[0] == "users" && s[2] == "login-profile";
  const bool mfa = s.size() >= 3 && s.size() <= 4 && s[0] == "users" && s[2] == "mfa-device";
  const bool sessions = !s.empty() && s[0] == "sessions" && s.size() <= 2;
  const bool change_password = s.size() == 1 && s[0] == "change-password";
  if (!profile && !mfa && !sessions && !change_password) return std::nullopt;
  const json body = call.Body().value_or(json::object());
  auto field = [&](const char* name) {
    return body.contains(name) && body[name].is_string() ? body[name].get<std::string>() : "";
  };

  if (profile) {
    const std::string& user = s[1];
    const std::string arn = auth::IamUserArn(user);
    const json params = {{"userName", user}};
    if (m == "GET") {
      return call.Read("iam:GetLoginProfile", arn, [&]() -> StatusOr<json> {
        ASSIGN_OR_RETURN(auth::LoginProfile p, iam_->GetLoginProfile(user));
        return ProfileJson(p);
      });
    }
    if (m == "POST" || m == "PUT") {
      const bool create = m == "POST";
      return call.Change(
          create ? "iam:CreateLoginProfile" : "iam:UpdateLoginProfile", arn, params,
          [&]() -> StatusOr<json> {
            RETURN_IF_ERROR(create ? iam_->CreateLoginProfile(user, field("password"))
                                   : iam_->UpdateLoginProfile(user, field("password")));
            ASSIGN_OR_RETURN(auth::LoginProfile p, iam_->GetLoginProfile(user));
            return ProfileJson(p);
          },
          create ? 201 : 200);
    }
    if (m == "DELETE") {
      return call.Change(
          "iam:DeleteLoginProfile", arn, params,
          [&]() -> StatusOr<json> {
            RETURN_IF_ERROR(iam_->DeleteLoginProfile(user));
            return Done();
          },
          204);
    }
  }

  if (change_password && m == "POST") {
    const std::string caller = call.Caller();
    if (caller == auth::kRootPrincipal) {
      return RestError(400, "InvalidParameterValue",
                       "the root key has no password: change-password is for IAM users");
    }
    // A stolen session guessing the current password is throttled like a sign-in.
    std::string key = "user:" + caller;
    for (char& c : key) c = AsciiLower(c);
    if (const int64_t wait = limiter_ == nullptr ? 0 : limiter_->RetryAfterMs(key); wait > 0) {
      return RestThrottled(wait, "Too many wrong passwords; try again in " +
                                     std::to_string((wait + 999) / 1000) + " s.");
    }
    IamCall changing = call;
    changing.error_answer = [&](const Status& st) {
      if (st.code() != StatusCode::kUnauthenticated) return RestFromStatus(st);
      if (limiter_ != nullptr) limiter_->RecordFailure(key);
      return RestError(403, "InvalidPassword", st.message());
    };
    return changing.Change(
        "iam:ChangePassword", auth::IamUserArn(caller), {{"userName", caller}},
        [&]() -> StatusOr<json> {
          RETURN_IF_ERROR(
              iam_->ChangePassword(caller, field("old_password"), field("new_password")));
          if (limiter_ != nullptr) limiter_->RecordSuccess(key);
          return Done();
        },
        204);
  }

  if (mfa) {
    const std::string& user = s[1];
    const std::string arn = auth::IamUserArn(user);
    const json params = {{"userName", user}, {"serialNumber", "arn:vigil:iam:::mfa/" + user}};
    if (s.size() == 3 && m == "GET") {
      return call.Read("iam:ListMFADevices", arn, [&]() -> StatusOr<json> {
        RETURN_IF_ERROR(iam_->GetUser(user).status());
        json devices = json::array();
        if (std::optional<auth::MfaDevice> d = iam_->GetMfaDevice(user)) {
          devices.push_back({{"serial", d->serial},
                             {"user", d->user},
                             {"enabled", d->enabled},
                             {"created_at", IamTimestamp(d->created_ms)},
                             {"enabled_at", IamTimestamp(d->enabled_ms)}});
        }
        return json{{"devices", std::move(devices)}};
      });
    }
    if (s.size() == 3 && m == "POST") {
      return call.Change(
          "iam:CreateVirtualMFADevice", arn, params,
          [&]() -> StatusOr<json> {
            ASSIGN_OR_RETURN(auth::NewVirtualMfa d, iam_->CreateVirtualMfaDevice(user));
            return json{{"serial", d.serial},
                        {"secret_base32", d.secret_base32},
                        {"otpauth_uri", d.otpauth_uri}};
          },
          201);
    }
    if (s.size() == 4 && s[3] == "enable" && m == "POST") {
      return call.Change(
          "iam:EnableMFADevice", arn, params,
          [&]() -> StatusOr<json> {
            RETURN_IF_ERROR(iam_->EnableMfaDevice(user, field("code1"), field("code2")));
            return json{{"serial", "arn:vigil:iam:::mfa/" + user}, {"enabled", true}};
          },
          200);
    }
    if (s.size() == 3 && m == "DELETE") {
      return call.Change(
          "iam:DeactivateMFADevice", arn, params,
          [&]() -> StatusOr<json> {
            RETURN_IF_ERROR(iam_->DeactivateMfaDevice(user));
            return Done();
          },
          204);
    }
  }

  if (sessions && sessions_ != nullptr) {
    const std::string current =
        call.verified.identity ? call.verified.identity->session_id : std::string();
    if (s.size() == 1 && m == "GET") {
      std::string user;
      if (ApiOr<FormPairs> query = ParseFormPairs(call.request.query); query.ok()) {
        for (const auto& [k, v] : *query) {
          if (k == "user") user = v;
        }
      }
      return call.Read("iam:ListSessions", user.empty() ? "*" : auth::IamUserArn(user),
                       [&]() -> StatusOr<json> {
                         json list = json::array();
                         for (const auth::Session& x : sessions_->List(user)) {
                           list.push_back(SessionJson(x, current));
                         }
                         return json{{"sessions", std::move(list)}};
                       });
    }
    if (s.size() == 2 && m == "DELETE") {
      const std::optional<auth::Session> target = sessions_->FindById(s[1]);
      // An unknown id is NotFound after authorization on "*", as an unknown access key.
      return call.Change(
          "iam:RevokeSession", target ? auth::IamUserArn(target->principal) : "*",
          {{"sessionId", s[1]}, {"userName", target ? target->principal : ""}},
          [&]() -> StatusOr<json> {
            RETURN_IF_ERROR(sessions_->Revoke(s[1]));
            return Done();
          },
          204);
    }
  }
  return RestError(404, "NotFound", "no such resource: " + m + " " + call.request.path);
}

}  // namespace vigil::api
