#pragma once
// Private to vigil::api: what Vigil's REST services (FleetService, AlarmService) share — JSON
// answers, their error shape, and the SigV4 check in front of every call.
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "auth/auth.h"
#include "http/http.h"

namespace vigil::api {

// `body` as indented JSON.
http::Response RestJson(int status, const nlohmann::json& body);
// {"error": {"code": CODE, "message": MESSAGE}}
http::Response RestError(int status, const std::string& code, const std::string& message);
// The answer to a request whose signature does not verify (403, or 400 when incomplete);
// nullopt when it does. The verification goes to *result when it is not null.
// An engine's error as a REST answer: NotFound 404, InvalidArgument 400, AlreadyExists and
// FailedPrecondition 409, anything else 503.
http::Response RestFromStatus(const Status& status);
// %XX escapes of a path segment decoded ('+' stays '+'); nullopt on a broken escape.
std::optional<std::string> PercentDecode(std::string_view in);

std::optional<http::Response> RefuseUnsigned(const auth::SigV4Verifier& verifier,
                                             const http::Request& request,
                                             auth::VerifyResult* result = nullptr);

}  // namespace vigil::api
