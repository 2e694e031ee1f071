#pragma once
// Private to vigil::api: the first step of every call — who sent it. One function so that
// every service (CloudWatch, Logs, CloudTrail, remote write, Vigil's REST) authenticates alike:
// the same throttling of guessers, the same scope rule, the same record of a failure.
#include <initializer_list>
#include <string>
#include <string_view>

#include "audit/audit.h"
#include "auth/auth.h"
#include "common/logging.h"
#include "http/http.h"

namespace vigil::api {

// Authenticates `request` with `access` (a SigV4 signature or a dashboard session; an address
// that keeps failing is throttled there). A signature must be scoped to one of `services`
// ("monitoring", "logs", ...), as AWS refuses a credential scoped to another service
// (SignatureDoesNotMatch, naming the right one); a session carries no scope and passes.
// A failure other than throttling is recorded in `trail` (may be null) as a call to
// `source`/`operation` ("" when the request does not say yet) with the failure's code and the
// access key id the request claims — a throttled request was not tried, and recording each
// would let a flood of them fill the trail.
auth::VerifyResult Authenticate(const auth::AccessControl& access, const http::Request& request,
                                std::initializer_list<std::string_view> services,
                                audit::Trail* trail, Logger* logger, std::string_view source,
                                std::string_view operation);

// How a JSON 1.1 service (CloudWatch Logs, CloudTrail) names a failed authentication: its
// "__type" (UnrecognizedClientException for an unknown key, InvalidSignatureException,
// ThrottlingException, ...) and HTTP status.
struct JsonAuthError {
  std::string type;
  int status;
};
JsonAuthError JsonAuthErrorOf(const auth::VerifyResult& verified);

// Adds Retry-After (whole seconds, rounded up) to the answer to a throttled request.
void AddRetryAfter(const auth::VerifyResult& verified, http::Response* response);

// The access key id an Authorization header names ("Credential=AKID/..."), verified or not;
// "" when there is none.
std::string_view ClaimedAccessKeyId(const http::Request& request);

}  // namespace vigil::api
