#include "api/rest.h"

#include <cctype>

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

std::optional<http::Response> RefuseUnauthenticated(const auth::Authenticator& verifier,
                                                    const http::Request& request,
                                                    auth::VerifyResult* result) {
  const auth::SignedRequest sr{request.method, request.path, request.query, &request.headers,
                               request.body};
  const auth::VerifyResult verified = verifier.Verify(sr);
  if (result != nullptr) *result = verified;
  if (verified.ok()) return std::nullopt;
  return RestError(verified.error == auth::AuthError::kIncompleteSignature ? 400 : 403,
                   std::string(auth::AuthErrorCode(verified.error)), verified.message);
}

}  // namespace vigil::api
