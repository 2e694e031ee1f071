#pragma once
// Private to vigil::api: one authenticated call to /v1/iam (iam_service.cc and
// iam_signin_routes.cc) — authorize it as an IAM action on a resource, run it, audit it, answer.
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "audit/audit.h"
#include "auth/auth.h"
#include "common/logging.h"
#include "http/http.h"

namespace vigil::api {

// "arn:vigil:iam:::<kind>/<name>"
std::string IamArn(std::string_view kind, std::string_view name);
// An ISO 8601 time, or null for 0 (never).
nlohmann::json IamTimestamp(int64_t ms);

class IamCall {
 public:
  using Run = std::function<StatusOr<nlohmann::json>()>;
  // All must outlive the call.
  IamCall(const http::Request& request, const auth::VerifyResult& verified,
          const auth::AccessControl& access, audit::Trail* trail, Logger* logger)
      : request(request), verified(verified), access_(access), trail_(trail), logger_(logger) {}

  // A change: refused (403, audited) unless `action` is allowed on `resource`; else runs `run`,
  // audits it as iam.amazonaws.com with `params` (redacted) and answers `ok_status` with its
  // JSON (204: no body) or the error of its Status (RestFromStatus, or `error_answer` when set).
  http::Response Change(std::string_view action, const std::string& resource, nlohmann::json params,
                        const Run& run, int ok_status) const;
  // A read: authorized (refusals audited), not audited when allowed.
  http::Response Read(std::string_view action, const std::string& resource, const Run& run) const;
  // The JSON body (an empty body is {}); nullopt when it is not a JSON object.
  std::optional<nlohmann::json> Body() const;
  // The caller's principal ("" when unauthenticated).
  std::string Caller() const { return verified.identity ? verified.identity->principal : ""; }

  const http::Request& request;
  const auth::VerifyResult& verified;
  // How a failed change answers; RestFromStatus when unset.
  std::function<http::Response(const Status&)> error_answer;

 private:
  const auth::AccessControl& access_;
  audit::Trail* trail_;
  Logger* logger_;
};

}  // namespace vigil::api
