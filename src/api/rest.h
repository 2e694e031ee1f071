#pragma once
// Private to vigil::api: what Vigil's REST services (FleetService, AlarmService, ...) share —
// JSON answers, their error shape, and the authentication in front of every call.
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "auth/auth.h"
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
// %XX escapes of a path segment decoded ('+' stays '+'); nullopt on a broken escape.
std::optional<std::string> PercentDecode(std::string_view in);

// A deployment as GET /v1/deployments/{id} shows it (deploy_service.cc).
nlohmann::json DeploymentJson(const deploy::Deployment& d);

// The answer to a request that does not authenticate — no signature or session, or one that
// does not verify: 403, or 400 when the signature is incomplete; nullopt when it does. The
// verification goes to *result when it is not null.
std::optional<http::Response> RefuseUnauthenticated(const auth::Authenticator& verifier,
                                                    const http::Request& request,
                                                    auth::VerifyResult* result = nullptr);

}  // namespace vigil::api
