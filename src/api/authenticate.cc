#include "api/authenticate.h"

#include <string>

#include "api/audit_hook.h"
#include "api/text.h"

namespace vigil::api {

JsonAuthError JsonAuthErrorOf(const auth::VerifyResult& verified) {
  switch (verified.error) {
    case auth::AuthError::kInvalidClientTokenId:
      return {"UnrecognizedClientException", 400};
    case auth::AuthError::kSignatureDoesNotMatch:
      return {"InvalidSignatureException", 403};
    case auth::AuthError::kThrottled:
      return {"ThrottlingException", 400};
    case auth::AuthError::kIncompleteSignature:
      return {"IncompleteSignatureException", 400};
    default:
      return {std::string(auth::AuthErrorCode(verified.error)) + "Exception", 403};
  }
}

void AddRetryAfter(const auth::VerifyResult& verified, http::Response* response) {
  if (verified.error != auth::AuthError::kThrottled || verified.ok()) return;
  response->headers.emplace_back("Retry-After",
                                 std::to_string((verified.retry_after_ms + 999) / 1000));
}

std::string_view ClaimedAccessKeyId(const http::Request& request) {
  const std::optional<std::string_view> header = request.Header("Authorization");
  if (!header) return "";
  constexpr std::string_view kCredential = "Credential=";
  const size_t at = header->find(kCredential);
  if (at == std::string_view::npos) return "";
  std::string_view id = header->substr(at + kCredential.size());
  return id.substr(0, id.find_first_of("/, "));
}

auth::VerifyResult Authenticate(const auth::AccessControl& access, const http::Request& request,
                                std::initializer_list<std::string_view> services,
                                audit::Trail* trail, Logger* logger, std::string_view source,
                                std::string_view operation) {
  const auth::SignedRequest signed_request{request.method,   request.path, request.query,
                                           &request.headers, request.body, request.PeerAddress()};
  auth::VerifyResult verified = access.Verify(signed_request);
  if (verified.ok() && !verified.identity->session) {
    bool scoped = false;
    for (std::string_view s : services) scoped = scoped || verified.identity->service == s;
    if (!scoped) {
      const std::string_view want = services.size() > 0 ? *services.begin() : "";
      auth::VerifyResult refused;
      refused.error = auth::AuthError::kSignatureDoesNotMatch;
      refused.message = "Credential should be scoped to correct service: '" + std::string(want) +
                        "', not '" + Printable(verified.identity->service, 64) + "'.";
      verified = std::move(refused);
    }
  }
  if (verified.ok() || verified.error == auth::AuthError::kThrottled || trail == nullptr) {
    return verified;
  }
  audit::Record r;
  r.event_source = std::string(source);
  r.event_name = operation.empty() ? "Unknown" : Printable(operation, 128);
  r.access_key_id = Printable(ClaimedAccessKeyId(request), 128);
  r.source_address = std::string(request.PeerAddress());
  r.error_code = std::string(auth::AuthErrorCode(verified.error));
  r.error_message = verified.message;
  if (Status s = trail->Append(std::move(r)); !s.ok() && logger != nullptr) {
    logger->Error("audit", "recording a failed authentication: " + s.message());
  }
  return verified;
}

}  // namespace vigil::api
