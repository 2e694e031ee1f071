#pragma once
// Response and error bodies of both CloudWatch protocols. This is the one place where an
// output or an ApiError becomes bytes (NOTES §4, §6 for query/XML; §8 for JSON 1.0).
#include <string>
#include <string_view>

#include "api/api_error.h"
#include "api/cloudwatch_types.h"
#include "api/output_writer.h"

namespace vigil::api {

inline constexpr std::string_view kXmlNamespace = "http://monitoring.amazonaws.com/doc/2010-08-01/";

// Writes the output's members (the contents of <{Op}Result>, or of the JSON object).
void WriteOutput(const CloudWatchOutput& output, OutputWriter& writer);

// <{Op}Response xmlns=..>[<{Op}Result>..</{Op}Result>]<ResponseMetadata><RequestId>..
// The Result element is left out for operations without output (std::monostate).
std::string RenderXmlResponse(Operation op, const CloudWatchOutput& output,
                              std::string_view request_id);
// The JSON object ({} for operations without output).
std::string RenderJsonResponse(const CloudWatchOutput& output);

// <ErrorResponse><Error><Type>Sender|Receiver</Type><Code>..</Code><Message>..</Message>
// </Error><RequestId>..</RequestId></ErrorResponse>
std::string RenderXmlError(const ApiError& error, std::string_view request_id);
// {"__type":"com.amazonaws.cloudwatch#Shape","message":".."}
std::string RenderJsonError(const ApiError& error);
// The x-amzn-query-error header value, "Code;Sender" (or ";Receiver"): how JSON clients in
// query-compatible mode learn the query error code.
std::string QueryErrorHeader(const ApiError& error);

}  // namespace vigil::api
