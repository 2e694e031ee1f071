// `vigil logs tail`: an app's output (log group /vigil/<app>) from a running server, filtered
// with CloudWatch's filter patterns, optionally followed as it arrives.
#include <chrono>
#include <set>
#include <thread>

#include "api/text.h"
#include "cli/cli.h"
#include "cli/common.h"
#include "common/units.h"

namespace vigil::cli {

const char* const kLogsUsage =
    "usage: vigil logs tail APP [options]\n"
    "\n"
    "  The app's instances' output (log group /vigil/APP, a stream per instance), oldest first.\n"
    "  --since 10m        how far back to start (default 10m)\n"
    "  --filter PATTERN   CloudWatch filter pattern: ERROR, \"exact phrase\", ?A ?B, -noise,\n"
    "                     { $.level = \"error\" }, [ip, ..., status = 5*]\n"
    "  --follow           keep printing events as they arrive (Ctrl-C stops)\n"
    "  --group NAME       another log group than /vigil/APP\n"
    "\n"
    "common: --endpoint URL    the server (default $VIGIL_ENDPOINT or http://127.0.0.1:4510)\n"
    "        --data-dir DIR    whose credentials file to use (default ./vigil-data)\n"
    "        --region REGION   signing region (default us-east-1)\n"
    "        --ca-bundle FILE  for https: trust the CAs in FILE too (default $AWS_CA_BUNDLE)\n"
    "        --output FORMAT   text (default) or json (one event per line)\n";

namespace {

struct Options : CommonOptions {
  std::string command;
  std::string group;
  std::string filter;
  int64_t since_ms = 10 * 60 * 1000;
  bool follow = false;
};

StatusOr<Options> ParseArgs(const std::vector<std::string>& args) {
  Options o;
  if (args.empty()) return InvalidArgumentError("missing command");
  o.command = args[0];
  if (o.command != "tail") return InvalidArgumentError("unknown command '" + o.command + "'");
  std::string app;
  for (size_t i = 1; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--follow" || a == "-f") {
      o.follow = true;
      continue;
    }
    if (a.rfind("--", 0) != 0) {
      if (!app.empty()) return InvalidArgumentError("unexpected argument '" + a + "'");
      app = a;
      continue;
    }
    if (i + 1 == args.size()) return InvalidArgumentError(a + " needs a value");
    const std::string& v = args[++i];
    ASSIGN_OR_RETURN(const bool common, o.Take(a, v));
    if (common) continue;
    if (a == "--since") {
      ASSIGN_OR_RETURN(o.since_ms, ParseDurationMillis(v));
    } else if (a == "--filter") {
      o.filter = v;
    } else if (a == "--group") {
      o.group = v;
    } else {
      return InvalidArgumentError("unknown option " + a);
    }
  }
  if (app.empty() && o.group.empty()) return InvalidArgumentError("tail needs an APP");
  if (o.group.empty()) o.group = "/vigil/" + app;
  return o;
}

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Status Tail(const Options& o, ServerClient& server, std::FILE* out) {
  int64_t start = NowMs() - o.since_ms;
  // Events already printed at the newest timestamp seen: a later poll starts at that
  // timestamp again (more may arrive with it) and skips these.
  std::set<std::string> printed_at_start;
  for (;;) {
    std::string token;
    int64_t newest = start;
    std::set<std::string> at_newest;
    do {
      Json input = {{"logGroupName", o.group}, {"startTime", start}};
      if (!o.filter.empty()) input["filterPattern"] = o.filter;
      if (!token.empty()) input["nextToken"] = token;
      ASSIGN_OR_RETURN(Json page, server.CallLogs("FilterLogEvents", input));
      for (const Json& e : page.value("events", Json::array())) {
        const std::string id = e.value("eventId", "");
        const int64_t ts = e.value("timestamp", int64_t{0});
        if (printed_at_start.count(id) > 0) continue;
        if (ts > newest) {
          newest = ts;
          at_newest.clear();
        }
        if (ts == newest) at_newest.insert(id);
        if (o.json) {
          std::fprintf(out, "%s\n", e.dump(-1, ' ', false, Json::error_handler_t::replace).c_str());
        } else {
          std::fprintf(out, "%s %s %s\n", api::FormatIsoTimestamp(ts).c_str(),
                       e.value("logStreamName", "").c_str(), e.value("message", "").c_str());
        }
      }
      token = page.value("nextToken", "");
    } while (!token.empty());
    std::fflush(out);
    if (!o.follow) return OkStatus();
    if (newest > start) {
      start = newest;
      printed_at_start = std::move(at_newest);
    } else {
      printed_at_start.insert(at_newest.begin(), at_newest.end());
    }
    std::this_thread::sleep_for(std::chrono::seconds(1));
  }
}

}  // namespace

int RunLogs(const std::vector<std::string>& args, std::FILE* out, std::FILE* err) {
  return RunClientCommand<Options>(
      "logs", kLogsUsage, args, ParseArgs,
      [&](const Options& o, ServerClient& server) { return Tail(o, server, out); }, out, err);
}

}  // namespace vigil::cli
