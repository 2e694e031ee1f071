#pragma once
// What the `vigil` client commands share: credentials, signed calls to the server's CloudWatch
// API (JSON 1.0) and to its REST API, and tables.
#include <cstdio>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "auth/auth.h"
#include "common/status.h"
#include "http/client.h"

namespace vigil::cli {

using Json = nlohmann::json;

// The options every client command takes.
struct CommonOptions {
  CommonOptions();  // endpoint: $VIGIL_ENDPOINT, else http://127.0.0.1:4510
  std::string endpoint;
  // https: a PEM bundle of CAs trusted besides the system's (--ca-bundle, else $AWS_CA_BUNDLE as
  // the aws CLI reads it).
  std::string ca_bundle;
  std::string data_dir = "./vigil-data";
  std::string region = "us-east-1";
  bool json = false;  // --output json
  // Takes `flag value` when it is one of --endpoint, --data-dir, --region, --ca-bundle,
  // --output: true;
  // false for another flag; InvalidArgument for a bad value.
  StatusOr<bool> Take(const std::string& flag, const std::string& value);
};

// Reads the words after a command word (args[1], ...): `--flag value` pairs, the common ones
// into *o and any other through `other` (true: taken; false: unknown to it, an error), and,
// when `takes_name`, one positional word, returned ("" when absent). InvalidArgument for a
// flag without a value, an unknown flag, or a positional word not asked for.
StatusOr<std::string> ParseNameAndFlags(
    const std::vector<std::string>& args, bool takes_name, CommonOptions* o,
    const std::function<StatusOr<bool>(const std::string& flag, const std::string& value)>& other =
        nullptr);

class ServerClient;
// The client for the options, or null after telling `err` why ("vigil COMMAND: ...").
std::unique_ptr<ServerClient> Connect(const CommonOptions& o, const std::string& command,
                                      std::FILE* err);

// AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY when both are set, otherwise the [default] profile
// of <data_dir>/credentials. NotFound (saying what to do) when neither exists.
StatusOr<auth::AccessKey> Credentials(const std::string& data_dir);

// Signed calls on one keep-alive connection to the server.
class ServerClient {
 public:
  ServerClient(http::Url url, http::ClientOptions options, auth::AccessKey key, std::string region)
      : client_(url, std::move(options)),
        url_(std::move(url)),
        key_(std::move(key)),
        region_(std::move(region)) {}

  // A CloudWatch operation (JSON 1.0 protocol): the answer's document, or the server's error
  // as FailedPrecondition "Code: message".
  StatusOr<Json> Call(const std::string& operation, const Json& input);
  // A CloudWatch Logs operation (JSON 1.1), likewise.
  StatusOr<Json> CallLogs(const std::string& operation, const Json& input);
  // Any JSON 1.1 operation: `target` is the whole X-Amz-Target, `service` the signing name.
  StatusOr<Json> CallJson(const std::string& target, const std::string& service,
                          const Json& input) {
    return JsonCall(target, "application/x-amz-json-1.1", service, input);
  }
  // A Vigil REST call: the answer's document (2xx; {} when it has no body), or its error as
  // FailedPrecondition "Code: message". `path` is already percent-encoded.
  StatusOr<Json> Rest(const std::string& method, const std::string& path,
                      const std::string& body = "", const std::string& content_type = "");

 private:
  StatusOr<Json> JsonCall(const std::string& target, const std::string& content_type,
                          const std::string& service, const Json& input);

  http::Client client_;
  http::Url url_;
  auth::AccessKey key_;
  std::string region_;
};

// A client command's life: `help` prints `usage`; bad arguments (parse's error) print it with
// the error and exit 2; then connect (exit 2 when that cannot be done) and run: exit 0, or 1
// with the error ("vigil NAME COMMAND: ...").
template <class Options, class Parse, class Run>
int RunClientCommand(const std::string& name, const char* usage,
                     const std::vector<std::string>& args, Parse parse, Run run, std::FILE* out,
                     std::FILE* err) {
  if (!args.empty() && (args[0] == "help" || args[0] == "--help" || args[0] == "-h")) {
    std::fputs(usage, out);
    return 0;
  }
  StatusOr<Options> options = parse(args);
  if (!options.ok()) {
    std::fprintf(err, "vigil %s: %s\n\n%s", name.c_str(), options.status().message().c_str(),
                 usage);
    return 2;
  }
  std::unique_ptr<ServerClient> server = Connect(*options, name, err);
  if (server == nullptr) return 2;
  const Status s = run(*options, *server);
  if (!s.ok()) {
    std::fprintf(err, "vigil %s %s: %s\n", name.c_str(), options->command.c_str(),
                 s.message().c_str());
    return 1;
  }
  return 0;
}

// A timestamp as the JSON protocol returns it (epoch seconds) or as text (ISO 8601), in ms.
int64_t Millis(const Json& t);

// Prints rows as aligned columns (two spaces apart), the first row being the header.
void PrintTable(const std::vector<std::vector<std::string>>& rows, std::FILE* out);

}  // namespace vigil::cli
