#pragma once
// Reads typed members out of a request document for either protocol: in the query protocol
// every leaf is text (FormToDocument), in JSON 1.0 leaves are JSON numbers, booleans and
// strings, and timestamps are epoch seconds.
//
// The reader keeps the first error (like a stream's fail bit): once a member had the wrong
// type, every later read returns nullopt, and the decoder checks ok() once at the end. This
// keeps each operation's decoder a flat list of member reads.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "api/api_error.h"
#include "api/cloudwatch_types.h"

namespace vigil::api {

class InputReader {
 public:
  using Json = nlohmann::json;

  explicit InputReader(Protocol protocol) : protocol_(protocol) {}

  // Member `name` of `object`, named `prefix + name` in error messages (e.g. prefix
  // "MetricData.member.3."). Absent (or JSON null) → nullopt without error. Present with the
  // wrong type or text → nullopt, and InvalidParameterValue is recorded.
  std::optional<std::string> String(const Json& object, std::string_view name,
                                    std::string_view prefix = {});
  std::optional<double> Double(const Json& object, std::string_view name,
                               std::string_view prefix = {});
  std::optional<int64_t> Integer(const Json& object, std::string_view name,
                                 std::string_view prefix = {});
  std::optional<bool> Bool(const Json& object, std::string_view name, std::string_view prefix = {});
  // Milliseconds since the epoch: ISO 8601 text, or epoch seconds (a JSON number).
  std::optional<int64_t> Timestamp(const Json& object, std::string_view name,
                                   std::string_view prefix = {});
  // A nested structure; nullptr when absent or (after recording an error) not a structure.
  const Json* Struct(const Json& object, std::string_view name, std::string_view prefix = {});
  // A list: nullptr when absent; otherwise an array (the query protocol's `Name=` is the empty
  // array). A non-list records an error and returns nullptr.
  const Json* List(const Json& object, std::string_view name, std::string_view prefix = {});

  // Elements of a list of scalars; `path` names the element ("Values.member.2").
  std::optional<std::string> StringValue(const Json& value, std::string_view path);
  std::optional<double> DoubleValue(const Json& value, std::string_view path);

  // A value as messages show it: strings as they are, anything else as JSON.
  static std::string Describe(const Json& value);

  bool ok() const { return !error_.has_value(); }
  // REQUIRES: !ok().
  const ApiError& error() const { return *error_; }
  // Records `error` unless one is recorded already.
  void Fail(ApiError error);

 private:
  const Json* Find(const Json& object, std::string_view name) const;
  void TypeError(const Json& value, std::string_view path);

  Protocol protocol_;
  std::optional<ApiError> error_;
  const Json empty_array_ = Json::array();
};

}  // namespace vigil::api
