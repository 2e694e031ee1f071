#pragma once
// What the `vigil` client commands share: credentials, signed calls to the server's CloudWatch
// API (JSON 1.0) and to its REST API, and tables.
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "auth/auth.h"
#include "common/status.h"
#include "http/client.h"

namespace vigil::cli {

using Json = nlohmann::json;

// AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY when both are set, otherwise the [default] profile
// of <data_dir>/credentials. NotFound (saying what to do) when neither exists.
StatusOr<auth::AccessKey> Credentials(const std::string& data_dir);

// Signed calls on one keep-alive connection to the server.
class ServerClient {
 public:
  ServerClient(http::Url url, auth::AccessKey key, std::string region)
      : client_(url), url_(std::move(url)), key_(std::move(key)), region_(std::move(region)) {}

  // A CloudWatch operation (JSON 1.0 protocol): the answer's document, or the server's error
  // as FailedPrecondition "Code: message".
  StatusOr<Json> Call(const std::string& operation, const Json& input);
  // A Vigil REST call: the answer's document, or its error as FailedPrecondition
  // "Code: message". `path` is already percent-encoded.
  StatusOr<Json> Rest(const std::string& method, const std::string& path);

 private:
  http::Client client_;
  http::Url url_;
  auth::AccessKey key_;
  std::string region_;
};

// Prints rows as aligned columns (two spaces apart), the first row being the header.
void PrintTable(const std::vector<std::vector<std::string>>& rows, std::FILE* out);

// Percent-encodes everything but RFC 3986's unreserved characters (for a path segment).
std::string PathEscape(const std::string& text);

}  // namespace vigil::cli
