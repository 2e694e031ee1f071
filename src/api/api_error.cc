#include "api/api_error.h"

#include <array>

#include "api/text.h"

namespace vigil::api {
namespace {

// Indexed by ErrorCode. JSON types of model errors are the model's shape names; the others
// carry the bare code (clients read the code from x-amzn-query-error anyway).
constexpr std::array<ErrorInfo, 21> kErrorTable = {{
    {"InvalidParameterValue", "com.amazonaws.cloudwatch#InvalidParameterValueException", 400, true},
    {"MissingParameter", "com.amazonaws.cloudwatch#MissingRequiredParameterException", 400, true},
    {"InvalidParameterCombination", "com.amazonaws.cloudwatch#InvalidParameterCombinationException",
     400, true},
    {"InvalidNextToken", "com.amazonaws.cloudwatch#InvalidNextToken", 400, true},
    {"InvalidFormat", "com.amazonaws.cloudwatch#InvalidFormatFault", 400, true},
    {"LimitExceeded", "com.amazonaws.cloudwatch#LimitExceededFault", 400, true},
    {"ResourceNotFound", "com.amazonaws.cloudwatch#ResourceNotFound", 404, true},
    {"InternalServiceError", "com.amazonaws.cloudwatch#InternalServiceFault", 500, false},
    {"InvalidAction", "InvalidAction", 400, true},
    {"MissingAction", "MissingAction", 400, true},
    {"MalformedQueryString", "MalformedQueryString", 400, true},
    {"RequestEntityTooLarge", "RequestEntityTooLarge", 413, true},
    {"UnknownOperationException", "UnknownOperationException", 400, true},
    {"ServiceUnavailable", "ServiceUnavailable", 503, false},
    {"MissingAuthenticationToken", "MissingAuthenticationToken", 403, true},
    {"IncompleteSignature", "IncompleteSignature", 400, true},
    {"InvalidClientTokenId", "InvalidClientTokenId", 403, true},
    {"SignatureDoesNotMatch", "SignatureDoesNotMatch", 403, true},
    {"RequestExpired", "RequestExpired", 403, true},
    {"AccessDenied", "AccessDeniedException", 403, true},
    {"Throttling", "ThrottlingException", 400, true},
}};
static_assert(static_cast<size_t>(ErrorCode::kThrottling) + 1 == kErrorTable.size());

}  // namespace

const ErrorInfo& GetErrorInfo(ErrorCode code) { return kErrorTable[static_cast<size_t>(code)]; }

ApiError MissingParameter(std::string_view path) {
  return {ErrorCode::kMissingParameter, "The parameter " + std::string(path) + " is required."};
}

ApiError InvalidValue(std::string_view value, std::string_view path) {
  return {ErrorCode::kInvalidParameterValue, "The value " + Printable(value, 128) +
                                                 " for parameter " + std::string(path) +
                                                 " is not valid."};
}

ApiError ErrorFromStatus(const Status& status) {
  switch (status.code()) {
    case StatusCode::kInvalidArgument:
      return {ErrorCode::kInvalidParameterValue, Printable(status.message(), 1024)};
    case StatusCode::kResourceExhausted:
      return {ErrorCode::kLimitExceeded, Printable(status.message(), 1024)};
    case StatusCode::kNotFound:
      return {ErrorCode::kResourceNotFound, Printable(status.message(), 1024)};
    case StatusCode::kUnavailable:
    case StatusCode::kFailedPrecondition:
    case StatusCode::kDeadlineExceeded:
      return {ErrorCode::kServiceUnavailable,
              "The service is unavailable: " + Printable(status.message(), 1024)};
    default:
      return {ErrorCode::kInternalServiceError,
              "Internal error: " + Printable(status.message(), 1024)};
  }
}

ApiError ErrorFromAuth(auth::AuthError error, std::string message) {
  ErrorCode code = ErrorCode::kSignatureDoesNotMatch;
  switch (error) {
    case auth::AuthError::kMissingAuthenticationToken:
      code = ErrorCode::kMissingAuthenticationToken;
      break;
    case auth::AuthError::kIncompleteSignature:
      code = ErrorCode::kIncompleteSignature;
      break;
    case auth::AuthError::kInvalidClientTokenId:
      code = ErrorCode::kInvalidClientTokenId;
      break;
    case auth::AuthError::kSignatureDoesNotMatch:
      code = ErrorCode::kSignatureDoesNotMatch;
      break;
    case auth::AuthError::kRequestExpired:
      code = ErrorCode::kRequestExpired;
      break;
    case auth::AuthError::kThrottled:
      code = ErrorCode::kThrottling;
      break;
  }
  return {code, Printable(message, 2048)};
}

}  // namespace vigil::api
