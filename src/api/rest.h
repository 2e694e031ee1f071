#pragma once
// Private to vigil::api: what Vigil's REST services (FleetService, AlarmService, ...) share —
// JSON answers, their error shape, and the authentication in front of every call.
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "audit/audit.h"
#include "auth/auth.h"
#include "common/logging.h"
#include "deploy/deploy.h"
#include "http/http.h"

namespace vigil::api {

// `body` as indented JSON.
http::Response RestJson(int status, const nlohmann::json& body);
// {"error": {"code": CODE, "message": MESSAGE}}
http::Response RestError(int status, const std::string& code, const std::string& message);
// The answer to a request whose signature does not verify (403, or 400 when incomplete);
// An engine's error as a REST answer: NotFound 404, InvalidArgument 400, AlreadyExists and
// FailedPrecondition 409, anything else 503.
http::Response RestFromStatus(const Status& status);
// 429 Throttling "<message>" with Retry-After: the wait in whole seconds (at least 1).
http::Response RestThrottled(int64_t retry_after_ms, const std::string& message);
// %XX escapes of a path segment decoded ('+' stays '+'); nullopt on a broken escape.
std::optional<std::string> PercentDecode(std::string_view in);

// A deployment as GET /v1/deployments/{id} shows it (deploy_service.cc).
nlohmann::json DeploymentJson(const deploy::Deployment& d);

// The answer to a request that does not authenticate (api::Authenticate, for signatures scoped
// to "vigil") — no signature or session, or one that does not verify: 403, 400 when the
// signature is incomplete, 429 with Retry-After when its address is throttled, 401 when the
// session has ended (expired, idle, revoked: the dashboard signs in again); nullopt when it
// does. A failure is recorded in `trail`. The verification goes to *result when not null.
std::optional<http::Response> RefuseUnauthenticated(const auth::AccessControl& verifier,
                                                    const http::Request& request,
                                                    audit::Trail* trail, Logger* logger,
                                                    auth::VerifyResult* result = nullptr);

// The answer to a call the caller may not make: 403 {"error": {"code": "AccessDenied",
// "message"}} after recording the refusal in `trail` as vigil:<action's name> with `params`;
// nullopt when `action` is allowed on every one of `resources` (on "*" when none). See
// access.h.
std::optional<http::Response> RefuseUnauthorized(const auth::AccessControl& access,
                                                 const http::Request& request,
                                                 const auth::VerifyResult& verified,
                                                 std::string_view action,
                                                 const std::vector<std::string>& resources,
                                                 audit::Trail* trail, Logger* logger,
                                                 nlohmann::json params = nlohmann::json::object());

}  // namespace vigil::api
