// Vigil's REST API for the keyring (api.h's KeysService): list the data keys, rotate the master
// key or a purpose's data key, read the webhook signing secret. Authorized as vigil:* actions on
// arn:vigil:vigil:::key/NAME; audited with source "vigil".
#include <nlohmann/json.hpp>

#include "api/access.h"
#include "api/api.h"
#include "api/audit_hook.h"
#include "api/rest.h"
#include "api/text.h"

namespace vigil::api {
namespace {

using nlohmann::json;

std::string KeyArn(std::string_view name) { return "arn:vigil:vigil:::key/" + std::string(name); }

json KeyInfoJson(const auth::Keyring::DataKeyInfo& k) {
  return {{"id", k.id},
          {"purpose", k.purpose},
          {"version", k.version},
          {"created_at", k.created_ms > 0 ? json(FormatIsoTimestamp(k.created_ms)) : json(nullptr)},
          {"current", k.current}};
}

}  // namespace

KeysService::KeysService(auth::Keyring* keyring, std::string webhook_secret,
                         const auth::AccessControl* access, audit::Trail* trail, Logger* logger)
    : keyring_(keyring),
      webhook_secret_(std::move(webhook_secret)),
      access_(access),
      trail_(trail),
      logger_(logger) {}

http::Response KeysService::Handle(const http::Request& request) const {
  auth::VerifyResult verified;
  if (auto refused = RefuseUnauthenticated(*access_, request, trail_, logger_, &verified)) return *refused;
  const std::string& m = request.method;
  const std::string_view path = request.path;
  const json body = request.body.empty()
                        ? json::object()
                        : json::parse(request.body, nullptr, /*allow_exceptions=*/false);
  if (!body.is_object()) {
    return RestError(400, "InvalidParameterValue", "the body must be a JSON object");
  }
  // Authorizes, runs and audits one call.
  auto audited = [&](std::string_view action, const std::string& resource, json params,
                     const std::function<StatusOr<json>()>& run) {
    if (auto no = RefuseUnauthorized(*access_, request, verified, action, {resource}, trail_,
                                     logger_, params)) {
      return *no;
    }
    StatusOr<json> out = run();
    const Status& st = out.status();
    RecordCall(trail_, logger_,
               {"vigil", action.substr(6), &request, &verified, std::move(params),
                st.ok() ? "" : std::string(StatusCodeName(st.code())), st.ok() ? "" : st.message()});
    if (!st.ok()) return RestFromStatus(st);
    return RestJson(200, *out);
  };

  if (m == "GET" && path == "/v1/keys") {
    if (auto no = RefuseUnauthorized(*access_, request, verified, "vigil:ListKeys",
                                     {KeyArn("*")}, trail_, logger_)) {
      return *no;
    }
    json keys = json::array();
    for (const auto& k : keyring_->DataKeys()) keys.push_back(KeyInfoJson(k));
    return RestJson(200, {{"master_fingerprint", keyring_->MasterFingerprint()},
                          {"master_source", keyring_->master_from_environment()
                                                ? "VIGIL_MASTER_KEY"
                                                : "keys/master.key"},
                          {"data_keys", std::move(keys)}});
  }
  if (m == "GET" && path == "/v1/keys/webhook-secret") {
    return audited("vigil:RevealWebhookSecret", KeyArn("webhook-secret"), json::object(),
                   [&]() -> StatusOr<json> { return json{{"secret", webhook_secret_}}; });
  }
  if (m == "POST" && path == "/v1/keys/master/rotate") {
    const std::string given =
        body.contains("master_key") && body["master_key"].is_string() ? body["master_key"] : "";
    // The key itself is never a parameter of the record.
    return audited("vigil:RotateKey", KeyArn("master"),
                   {{"key", "master"}, {"newKeyGiven", !given.empty()}},
                   [&]() -> StatusOr<json> {
                     if (given.empty() && keyring_->master_from_environment()) {
                       return FailedPreconditionError(
                           "the master key comes from VIGIL_MASTER_KEY: give the new one as "
                           "\"master_key\" (64 hex characters), and set VIGIL_MASTER_KEY to it "
                           "before the next start");
                     }
                     ASSIGN_OR_RETURN(std::string fingerprint, keyring_->RotateMasterKey(given));
                     return json{{"master_fingerprint", fingerprint}};
                   });
  }
  constexpr std::string_view kData = "/v1/keys/data/";
  constexpr std::string_view kRotate = "/rotate";
  if (m == "POST" && path.starts_with(kData) && path.ends_with(kRotate) &&
      path.size() > kData.size() + kRotate.size()) {
    std::optional<std::string> purpose =
        PercentDecode(path.substr(kData.size(), path.size() - kData.size() - kRotate.size()));
    if (!purpose || purpose->empty() || purpose->find('/') != std::string::npos) {
      return RestError(400, "InvalidParameterValue", "bad purpose in " + request.path);
    }
    return audited("vigil:RotateKey", KeyArn(*purpose), {{"key", *purpose}},
                   [&]() -> StatusOr<json> {
                     std::string purposes;
                     bool known = false;
                     for (const auto& k : keyring_->DataKeys()) {
                       if (!k.current) continue;
                       known = known || k.purpose == *purpose;
                       purposes += (purposes.empty() ? "" : ", ") + k.purpose;
                     }
                     if (!known) {
                       return NotFoundError("no data key of purpose '" + *purpose +
                                            "' (the keyring has: " + purposes + ")");
                     }
                     RETURN_IF_ERROR(keyring_->RotateDataKey(*purpose));
                     for (const auto& k : keyring_->DataKeys()) {
                       if (k.purpose == *purpose && k.current) return KeyInfoJson(k);
                     }
                     return InternalError("the rotated key is not listed");
                   });
  }
  return RestError(404, "NotFound", "no such keys resource: " + m + " " + request.path);
}

}  // namespace vigil::api
