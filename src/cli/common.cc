#include "cli/common.h"

#include <chrono>
#include <cstdlib>

namespace vigil::cli {
namespace {

int64_t NowMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

StatusOr<auth::AccessKey> Credentials(const std::string& data_dir) {
  const char* id = std::getenv("AWS_ACCESS_KEY_ID");
  const char* secret = std::getenv("AWS_SECRET_ACCESS_KEY");
  if (id != nullptr && *id != '\0' && secret != nullptr && *secret != '\0') {
    return auth::AccessKey{id, secret};
  }
  StatusOr<auth::AccessKey> key = auth::ReadRootKey(data_dir);
  if (key.status().code() == StatusCode::kNotFound) {
    return NotFoundError(
        "no credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or "
        "point --data-dir at the server's data directory (" +
        data_dir + "/credentials does not exist)");
  }
  return key;
}

StatusOr<Json> ServerClient::Call(const std::string& operation, const Json& input) {
  http::ClientRequest req;
  req.target = "/";
  req.body = input.dump();
  req.headers = {{"Host", url_.HostHeader()},
                 {"Content-Type", "application/x-amz-json-1.0"},
                 {"X-Amz-Target", "GraniteServiceVersion20100801." + operation},
                 {"x-amzn-query-mode", "true"}};
  auth::SignRequest(key_, region_, "monitoring", NowMillis(), req.method, req.target, &req.headers,
                    req.body);
  ASSIGN_OR_RETURN(http::ClientResponse res, client_.RoundTrip(req));
  Json doc = Json::parse(res.body, nullptr, /*allow_exceptions=*/false);
  if (res.status == 200 && !doc.is_discarded()) return doc;
  if (doc.is_object() && doc.contains("__type")) {
    std::string type = doc["__type"].get<std::string>();
    type = type.substr(type.find('#') + 1);
    return FailedPreconditionError(type + ": " + doc.value("message", doc.value("Message", "")));
  }
  return UnavailableError("HTTP " + std::to_string(res.status) + ": " + res.body.substr(0, 300));
}

StatusOr<Json> ServerClient::Rest(const std::string& method, const std::string& path) {
  http::ClientRequest req;
  req.method = method;
  req.target = path;
  req.headers = {{"Host", url_.HostHeader()}};
  auth::SignRequest(key_, region_, "vigil", NowMillis(), req.method, req.target, &req.headers,
                    req.body);
  ASSIGN_OR_RETURN(http::ClientResponse res, client_.RoundTrip(req));
  Json doc = Json::parse(res.body, nullptr, /*allow_exceptions=*/false);
  if (res.status == 200 && !doc.is_discarded()) return doc;
  if (doc.is_object() && doc.contains("error")) {
    return FailedPreconditionError(doc["error"].value("code", "Error") + ": " +
                                   doc["error"].value("message", ""));
  }
  return UnavailableError("HTTP " + std::to_string(res.status) + ": " + res.body.substr(0, 300));
}

void PrintTable(const std::vector<std::vector<std::string>>& rows, std::FILE* out) {
  std::vector<size_t> width;
  for (const auto& row : rows) {
    width.resize(std::max(width.size(), row.size()));
    for (size_t c = 0; c < row.size(); ++c) width[c] = std::max(width[c], row[c].size());
  }
  for (const auto& row : rows) {
    std::string line;
    for (size_t c = 0; c < row.size(); ++c) {
      line += row[c];
      if (c + 1 < row.size()) line.append(width[c] - row[c].size() + 2, ' ');
    }
    std::fprintf(out, "%s\n", line.c_str());
  }
}

std::string PathEscape(const std::string& text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

}  // namespace vigil::cli
