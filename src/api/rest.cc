#include "api/rest.h"

namespace vigil::api {

http::Response RestJson(int status, const nlohmann::json& body) {
  return http::Response::Text(status, body.dump(2) + "\n", "application/json");
}

http::Response RestError(int status, const std::string& code, const std::string& message) {
  return RestJson(status, nlohmann::json{{"error", {{"code", code}, {"message", message}}}});
}

std::optional<http::Response> RefuseUnsigned(const auth::SigV4Verifier& verifier,
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
