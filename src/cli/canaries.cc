// `vigil canaries list|run`: the synthetic checks of a running server, their last results, and
// a run on demand.
#include "api/text.h"
#include "cli/cli.h"
#include "cli/common.h"

namespace vigil::cli {

const char* const kCanariesUsage =
    "usage: vigil canaries <command> [options]\n"
    "\n"
    "commands:\n"
    "  list       every canary: its target, interval, runs, failures and last result\n"
    "  run NAME   run a canary now and show each step; exit 0 when it passed, 1 when it\n"
    "             failed, 2 when it could not be run (unknown canary, no server, bad usage)\n"
    "\n"
    "options: --endpoint URL, --data-dir DIR, --region REGION, --ca-bundle FILE and --output\n"
    "         table|json, as for every client command (`vigil alarms help`)\n";

namespace {

struct Options : CommonOptions {
  std::string command;
  std::string name;
};

StatusOr<Options> ParseArgs(const std::vector<std::string>& args) {
  Options o;
  if (args.empty()) return InvalidArgumentError("missing command");
  o.command = args[0];
  if (o.command != "list" && o.command != "run") {
    return InvalidArgumentError("unknown command '" + o.command + "'");
  }
  ASSIGN_OR_RETURN(o.name, ParseNameAndFlags(args, o.command == "run", &o));
  if (o.command == "run" && o.name.empty()) return InvalidArgumentError("run needs a canary NAME");
  return o;
}

std::string Interval(int64_t ms) {
  if (ms == 0) return "on demand";
  return ms % 1000 == 0 ? std::to_string(ms / 1000) + "s" : std::to_string(ms) + "ms";
}

Status List(const Options& o, ServerClient& server, std::FILE* out) {
  ASSIGN_OR_RETURN(Json doc, server.Rest("GET", "/v1/canaries"));
  if (o.json) {
    std::fprintf(out, "%s\n", doc.dump(2).c_str());
    return OkStatus();
  }
  std::vector<std::vector<std::string>> rows = {
      {"NAME", "TARGET", "EVERY", "RUNS", "FAILED", "LAST", "AT", "FAILURE"}};
  for (const Json& c : doc.value("canaries", Json::array())) {
    const Json& last = c["last"];
    const bool ran = last.is_object();
    rows.push_back(
        {c.value("name", ""),
         c["app"].is_string()   ? "app " + c["app"].get<std::string>()
         : c["url"].is_string() ? c["url"].get<std::string>()
                                : "",
         Interval(c.value("interval_ms", int64_t{0})), std::to_string(c.value("runs", int64_t{0})),
         std::to_string(c.value("failures", int64_t{0})),
         !ran                      ? "-"
         : last.value("ok", false) ? "passed"
                                   : "FAILED",
         ran ? last.value("started_at", "") : "-", ran ? last.value("failure", "") : ""});
  }
  PrintTable(rows, out);
  return OkStatus();
}

// Prints the run; *passed says how it went.
Status Run(const Options& o, ServerClient& server, std::FILE* out, bool* passed) {
  ASSIGN_OR_RETURN(Json run, server.Rest("POST", "/v1/canaries/" + http::PercentEncode(o.name) + "/run"));
  *passed = run.value("ok", false);
  if (o.json) {
    std::fprintf(out, "%s\n", run.dump(2).c_str());
    return OkStatus();
  }
  std::fprintf(out, "canary %s %s against %s in %lld ms\n", o.name.c_str(),
               *passed ? "passed" : "FAILED", run.value("target", "").c_str(),
               static_cast<long long>(run.value("duration_ms", int64_t{0})));
  std::vector<std::vector<std::string>> rows = {{"STEP", "RESULT", "STATUS", "LATENCY", "DETAIL"}};
  for (const Json& s : run.value("steps", Json::array())) {
    const int status = s.value("status", 0);
    rows.push_back({s.value("name", ""), s.value("ok", false) ? "ok" : "FAILED",
                    status == 0 ? "-" : std::to_string(status),
                    std::to_string(s.value("latency_ms", int64_t{0})) + " ms",
                    s.value("detail", "")});
  }
  if (rows.size() > 1) PrintTable(rows, out);
  if (!*passed && rows.size() == 1) std::fprintf(out, "%s\n", run.value("failure", "").c_str());
  return OkStatus();
}

}  // namespace

int RunCanaries(const std::vector<std::string>& args, std::FILE* out, std::FILE* err) {
  bool passed = true;
  const int code = RunClientCommand<Options>(
      "canaries", kCanariesUsage, args, ParseArgs,
      [&](const Options& o, ServerClient& server) {
        return o.command == "list" ? List(o, server, out) : Run(o, server, out, &passed);
      },
      out, err);
  // RunClientCommand's 1 is an error here: 1 says that the canary ran and failed.
  if (code != 0) return 2;
  return passed ? 0 : 1;
}

}  // namespace vigil::cli
