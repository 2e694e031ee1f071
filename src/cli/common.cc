#include "cli/common.h"

#include <chrono>
#include <cstdlib>

#include "api/text.h"

namespace vigil::cli {
namespace {

int64_t NowMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

CommonOptions::CommonOptions() {
  if (const char* e = std::getenv("VIGIL_ENDPOINT"); e != nullptr && *e != '\0') endpoint = e;
  if (endpoint.empty()) endpoint = "http://127.0.0.1:4510";
  if (const char* e = std::getenv("AWS_CA_BUNDLE"); e != nullptr) ca_bundle = e;
}

StatusOr<bool> CommonOptions::Take(const std::string& flag, const std::string& value) {
  if (flag == "--endpoint") {
    endpoint = value;
  } else if (flag == "--data-dir") {
    data_dir = value;
  } else if (flag == "--region") {
    region = value;
  } else if (flag == "--ca-bundle") {
    ca_bundle = value;
  } else if (flag == "--output") {
    if (value != "table" && value != "json")
      return InvalidArgumentError("--output is table or json");
    json = value == "json";
  } else {
    return false;
  }
  return true;
}

StatusOr<std::string> ParseNameAndFlags(
    const std::vector<std::string>& args, bool takes_name, CommonOptions* o,
    const std::function<StatusOr<bool>(const std::string& flag, const std::string& value)>& other) {
  std::string name;
  for (size_t i = 1; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a.rfind("--", 0) != 0) {
      if (!takes_name || !name.empty()) {
        return InvalidArgumentError("unexpected argument '" + a + "'");
      }
      name = a;
      continue;
    }
    if (i + 1 == args.size()) return InvalidArgumentError(a + " needs a value");
    const std::string& v = args[++i];
    ASSIGN_OR_RETURN(bool taken, o->Take(a, v));
    if (!taken && other) {
      ASSIGN_OR_RETURN(taken, other(a, v));
    }
    if (!taken) return InvalidArgumentError("unknown option " + a);
  }
  return name;
}

std::unique_ptr<ServerClient> Connect(const CommonOptions& o, const std::string& command,
                                      std::FILE* err) {
  StatusOr<http::Url> url = http::ParseUrl(o.endpoint);
  if (!url.ok()) {
    std::fprintf(err, "vigil %s: --endpoint: %s\n", command.c_str(),
                 url.status().message().c_str());
    return nullptr;
  }
  StatusOr<auth::AccessKey> key = Credentials(o.data_dir);
  if (!key.ok()) {
    std::fprintf(err, "vigil %s: %s\n", command.c_str(), key.status().message().c_str());
    return nullptr;
  }
  return std::make_unique<ServerClient>(std::move(url).value(), http::ClientOptions{o.ca_bundle},
                                        std::move(key).value(), o.region);
}

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
  return JsonCall("GraniteServiceVersion20100801." + operation, "application/x-amz-json-1.0",
                  "monitoring", input);
}

StatusOr<Json> ServerClient::CallLogs(const std::string& operation, const Json& input) {
  return JsonCall("Logs_20140328." + operation, "application/x-amz-json-1.1", "logs", input);
}

StatusOr<Json> ServerClient::JsonCall(const std::string& target, const std::string& content_type,
                                      const std::string& service, const Json& input) {
  http::ClientRequest req;
  req.target = "/";
  req.body = input.dump(-1, ' ', false, Json::error_handler_t::replace);
  req.headers = {
      {"Host", url_.HostHeader()}, {"Content-Type", content_type}, {"X-Amz-Target", target}};
  if (service == "monitoring") req.headers.push_back({"x-amzn-query-mode", "true"});
  auth::SignRequest(key_, region_, service, NowMillis(), req.method, req.target, &req.headers,
                    req.body);
  ASSIGN_OR_RETURN(http::ClientResponse res, client_.RoundTrip(req));
  if (res.status >= 200 && res.status < 300 && res.body.empty()) return Json::object();
  Json doc = Json::parse(res.body, nullptr, /*allow_exceptions=*/false);
  if (res.status >= 200 && res.status < 300 && !doc.is_discarded()) return doc;
  if (doc.is_object() && doc.contains("__type")) {
    std::string type = doc["__type"].get<std::string>();
    type = type.substr(type.find('#') + 1);
    return FailedPreconditionError(type + ": " + doc.value("message", doc.value("Message", "")));
  }
  return UnavailableError("HTTP " + std::to_string(res.status) + ": " + res.body.substr(0, 300));
}

StatusOr<Json> ServerClient::Rest(const std::string& method, const std::string& path,
                                  const std::string& body, const std::string& content_type) {
  http::ClientRequest req;
  req.method = method;
  req.target = path;
  req.headers = {{"Host", url_.HostHeader()}};
  if (!content_type.empty()) req.headers.emplace_back("Content-Type", content_type);
  req.body = body;
  auth::SignRequest(key_, region_, "vigil", NowMillis(), req.method, req.target, &req.headers,
                    req.body);
  ASSIGN_OR_RETURN(http::ClientResponse res, client_.RoundTrip(req));
  if (res.status >= 200 && res.status < 300 && res.body.empty()) return Json::object();
  Json doc = Json::parse(res.body, nullptr, /*allow_exceptions=*/false);
  if (res.status >= 200 && res.status < 300 && !doc.is_discarded()) return doc;
  if (doc.is_object() && doc.contains("error")) {
    return FailedPreconditionError(doc["error"].value("code", "Error") + ": " +
                                   doc["error"].value("message", ""));
  }
  return UnavailableError("HTTP " + std::to_string(res.status) + ": " + res.body.substr(0, 300));
}

int64_t Millis(const Json& t) {
  if (t.is_number()) return static_cast<int64_t>(t.get<double>() * 1000 + 0.5);
  return api::ParseTimestamp(t.get<std::string>()).value_or(0);
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

}  // namespace vigil::cli
