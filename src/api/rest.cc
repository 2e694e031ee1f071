#include "api/rest.h"

#include <algorithm>
#include <cctype>

#include "api/access.h"
#include "api/authenticate.h"
#include "api/text.h"

namespace vigil::api {

http::Response RestJson(int status, const nlohmann::json& body) {
  return http::Response::Text(status, body.dump(2) + "\n", "application/json");
}

http::Response RestError(int status, const std::string& code, const std::string& message) {
  return RestJson(status, nlohmann::json{{"error", {{"code", code}, {"message", message}}}});
}

http::Response RestFromStatus(const Status& status) {
  switch (status.code()) {
    case StatusCode::kNotFound:
      return RestError(404, "ResourceNotFound", status.message());
    case StatusCode::kInvalidArgument:
      return RestError(400, "InvalidParameterValue", status.message());
    case StatusCode::kAlreadyExists:
    case StatusCode::kFailedPrecondition:
      return RestError(409, "Conflict", status.message());
    default:
      return RestError(503, "ServiceUnavailable", status.message());
  }
}

http::Response RestThrottled(int64_t retry_after_ms, const std::string& message) {
  http::Response r =
      RestError(429, std::string(auth::AuthErrorCode(auth::AuthError::kThrottled)), message);
  auth::VerifyResult throttled;
  throttled.error = auth::AuthError::kThrottled;
  throttled.retry_after_ms = std::max<int64_t>(1, retry_after_ms);
  AddRetryAfter(throttled, &r);
  return r;
}

std::optional<std::string> PercentDecode(std::string_view in) {
  std::string out;
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '%') {
      out += in[i];
      continue;
    }
    if (i + 2 >= in.size() || !std::isxdigit(static_cast<unsigned char>(in[i + 1])) ||
        !std::isxdigit(static_cast<unsigned char>(in[i + 2]))) {
      return std::nullopt;
    }
    out += static_cast<char>(std::stoi(std::string(in.substr(i + 1, 2)), nullptr, 16));
    i += 2;
  }
  return out;
}

std::optional<http::Response> RefuseUnauthenticated(const auth::AccessControl& verifier,
                                                    const http::Request& request,
                                                    audit::Trail* trail, Logger* logger,
                                                    auth::VerifyResult* result) {
  const auth::VerifyResult verified =
      Authenticate(verifier, request, {"vigil"}, trail, logger, "vigil",
                   request.method + " " + Printable(request.path, 128));
  if (result != nullptr) *result = verified;
  if (verified.ok()) return std::nullopt;
  if (verified.session_ended) return RestError(401, "Unauthenticated", verified.message);
  const int status = verified.error == auth::AuthError::kThrottled             ? 429
                     : verified.error == auth::AuthError::kIncompleteSignature ? 400
                                                                               : 403;
  http::Response refused =
      RestError(status, std::string(auth::AuthErrorCode(verified.error)), verified.message);
  AddRetryAfter(verified, &refused);
  return refused;
}

std::optional<http::Response> RefuseUnauthorized(const auth::AccessControl& access,
                                                 const http::Request& request,
                                                 const auth::VerifyResult& verified,
                                                 std::string_view action,
                                                 const std::vector<std::string>& resources,
                                                 audit::Trail* trail, Logger* logger,
                                                 nlohmann::json params) {
  const size_t colon = action.find(':');
  const std::string_view source = action.substr(0, colon);
  const std::string_view name = colon == std::string_view::npos ? action : action.substr(colon + 1);
  std::optional<Refusal> refused =
      Authorize(access, action, resources, trail, logger,
                AuditedCall{source, name, &request, &verified, std::move(params), "", ""});
  if (!refused) return std::nullopt;
  return RestError(403, "AccessDenied", refused->message);
}

}  // namespace vigil::api
