#pragma once
// Request bodies of both CloudWatch protocols → DecodedRequest. Decoding checks types only
// (a number where a number belongs); the operations' rules live in cloudwatch_ops.cc.
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "api/api_error.h"
#include "api/cloudwatch_types.h"

namespace vigil::api {

// A query-protocol form body (already gunzipped). `*action` receives the Action field as soon
// as it is known (for metrics and logs), even when decoding then fails. Errors:
// MalformedQueryString (bad %-escape), MissingAction, MissingParameter (Version),
// InvalidAction (Version other than 2010-08-01, or an action this service does not
// implement), InvalidParameterValue (a member of the wrong type).
ApiOr<DecodedRequest> DecodeQueryRequest(std::string_view body, std::string* action);

// A JSON 1.0 body for `operation` (the X-Amz-Target suffix). InvalidAction for a CloudWatch
// operation this service does not implement yet, UnknownOperation for a name outside the
// CloudWatch model, InvalidFormat for a body that is not a JSON object,
// InvalidParameterValue for a member of the wrong type.
ApiOr<DecodedRequest> DecodeJsonRequest(std::string_view operation, std::string_view body);

// The input of `op` from a document built by either protocol.
ApiOr<CloudWatchInput> DecodeInput(Operation op, Protocol protocol, const nlohmann::json& document);

// "The action X is not valid for this web service."
ApiError InvalidActionError(std::string_view action);

}  // namespace vigil::api
