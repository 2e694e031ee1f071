#pragma once
// AWS-facing errors of the api module. Every failure a CloudWatch request can meet becomes one
// ApiError; each protocol renders it in exactly one place (xml_writer.cc / json_writer.cc via
// cloudwatch_render.cc). Engine Status and auth failures are mapped here, once.
#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include "auth/auth.h"
#include "common/status.h"

namespace vigil::api {

enum class ErrorCode {
  // The CloudWatch model's errors.
  kInvalidParameterValue,
  kMissingParameter,
  kInvalidParameterCombination,
  kInvalidNextToken,
  kInvalidFormat,
  kLimitExceeded,
  kResourceNotFound,
  kInternalServiceError,
  // Generic AWS errors outside the model.
  kInvalidAction,
  kMissingAction,
  kMalformedQueryString,
  kRequestEntityTooLarge,
  kUnknownOperation,
  kServiceUnavailable,
  // SigV4.
  kMissingAuthenticationToken,
  kIncompleteSignature,
  kInvalidClientTokenId,
  kSignatureDoesNotMatch,
  kRequestExpired,
  // IAM.
  kAccessDenied,
  // Too many failed signatures from the caller's address (auth::AttemptLimiter).
  kThrottling,
};

// How one ErrorCode looks on the wire.
struct ErrorInfo {
  std::string_view query_code;  // <Code> in XML, and the code in x-amzn-query-error
  std::string_view json_type;   // "__type" in JSON 1.0 ("com.amazonaws.cloudwatch#Shape")
  int http_status;
  bool sender_fault;  // <Type>Sender</Type> vs Receiver
};
const ErrorInfo& GetErrorInfo(ErrorCode code);

struct ApiError {
  ErrorCode code;
  std::string message;
};

// "The parameter P is required."
ApiError MissingParameter(std::string_view path);
// "The value V for parameter P is not valid." V is truncated and made printable.
ApiError InvalidValue(std::string_view value, std::string_view path);

// Engine Status → ApiError. InvalidArgument → InvalidParameterValue (message kept);
// ResourceExhausted → LimitExceeded; NotFound → ResourceNotFound (404); Unavailable / FailedPrecondition / DeadlineExceeded →
// ServiceUnavailable (503, retried by clients); anything else → InternalServiceError (500).
ApiError ErrorFromStatus(const Status& status);

// SigV4 failure → the AWS error of the same name.
ApiError ErrorFromAuth(auth::AuthError error, std::string message);

// Either a value or an ApiError (the module's StatusOr).
template <typename T>
class [[nodiscard]] ApiOr {
 public:
  ApiOr(ApiError error) : rep_(std::move(error)) {}
  ApiOr(T value) : rep_(std::move(value)) {}

  bool ok() const { return std::holds_alternative<T>(rep_); }
  const ApiError& error() const { return std::get<ApiError>(rep_); }
  T& value() & { return std::get<T>(rep_); }
  const T& value() const& { return std::get<T>(rep_); }
  T&& value() && { return std::get<T>(std::move(rep_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::variant<ApiError, T> rep_;
};

}  // namespace vigil::api
