// `vigil alarms list|ack|history`: the alarms of a running server, their acknowledgement and
// their history.
#include <cstdlib>
#include <optional>

#include "api/text.h"
#include "cli/cli.h"
#include "cli/common.h"
#include "http/client.h"

namespace vigil::cli {

const char* const kAlarmsUsage =
    "usage: vigil alarms <command> [options]\n"
    "\n"
    "commands:\n"
    "  list     [--state OK|ALARM|INSUFFICIENT_DATA]\n"
    "           every alarm: its state, since when, whether it is acknowledged, why\n"
    "  ack      NAME\n"
    "           acknowledge an alarm in ALARM: its ALARM actions stay silent until it is OK\n"
    "  history  NAME [--limit 20]\n"
    "           the alarm's history, newest first: changes, state updates, action attempts\n"
    "\n"
    "common: --endpoint URL    the server (default $VIGIL_ENDPOINT or http://127.0.0.1:4510)\n"
    "        --data-dir DIR    whose credentials file to use (default ./vigil-data; the\n"
    "                          AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY variables win)\n"
    "        --region REGION   signing region (default us-east-1)\n"
    "        --ca-bundle FILE  for https: trust the CAs in FILE too (default $AWS_CA_BUNDLE)\n"
    "        --output FORMAT   table (default) or json\n";

namespace {

struct Options : CommonOptions {
  std::string command;
  std::string name;
  std::optional<std::string> state;
  int64_t limit = 20;
};

StatusOr<Options> ParseArgs(const std::vector<std::string>& args) {
  Options o;
  if (args.empty()) return InvalidArgumentError("missing command");
  o.command = args[0];
  if (o.command != "list" && o.command != "ack" && o.command != "history") {
    return InvalidArgumentError("unknown command '" + o.command + "'");
  }
  const auto option = [&o](const std::string& a, const std::string& v) -> StatusOr<bool> {
    if (a == "--state" && o.command == "list") {
      if (v != "OK" && v != "ALARM" && v != "INSUFFICIENT_DATA") {
        return InvalidArgumentError("--state is OK, ALARM or INSUFFICIENT_DATA");
      }
      o.state = v;
      return true;
    }
    if (a == "--limit" && o.command == "history") {
      char* end = nullptr;
      o.limit = std::strtoll(v.c_str(), &end, 10);
      if (end == v.c_str() || *end != '\0' || o.limit < 1 || o.limit > 100) {
        return InvalidArgumentError("--limit is a number from 1 to 100");
      }
      return true;
    }
    return false;
  };
  ASSIGN_OR_RETURN(o.name, ParseNameAndFlags(args, o.command != "list", &o, option));
  if (o.command != "list" && o.name.empty()) {
    return InvalidArgumentError(o.command + " needs an alarm NAME");
  }
  return o;
}

Status List(const Options& o, ServerClient& server, std::FILE* out) {
  ASSIGN_OR_RETURN(Json doc, server.Rest("GET", "/v1/alarms"));
  Json alarms = Json::array();
  for (const Json& a : doc["alarms"]) {
    if (!o.state || a.value("state", "") == *o.state) alarms.push_back(a);
  }
  if (o.json) {
    std::fprintf(out, "%s\n", Json{{"alarms", alarms}}.dump(2).c_str());
    return OkStatus();
  }
  std::vector<std::vector<std::string>> rows = {
      {"NAME", "KIND", "STATE", "SINCE", "ACK", "ACTIONS", "REASON"}};
  for (const Json& a : alarms) {
    rows.push_back({a.value("name", ""), a.value("kind", ""), a.value("state", ""),
                    a.value("updated_at", ""), a.value("acknowledged", false) ? "yes" : "-",
                    a.value("actions_enabled", true) ? "on" : "off", a.value("reason", "")});
  }
  PrintTable(rows, out);
  return OkStatus();
}

Status Ack(const Options& o, ServerClient& server, std::FILE* out) {
  ASSIGN_OR_RETURN(Json doc,
                   server.Rest("POST", "/v1/alarms/" + http::PercentEncode(o.name) + "/ack"));
  if (o.json) {
    std::fprintf(out, "%s\n", doc.dump(2).c_str());
  } else {
    std::fprintf(out, "alarm %s acknowledged: its ALARM actions are silent until it is OK\n",
                 o.name.c_str());
  }
  return OkStatus();
}

Status History(const Options& o, ServerClient& server, std::FILE* out) {
  ASSIGN_OR_RETURN(Json doc, server.Call("DescribeAlarmHistory",
                                         Json{{"AlarmName", o.name}, {"MaxRecords", o.limit}}));
  const Json items = doc.value("AlarmHistoryItems", Json::array());
  if (o.json) {
    std::fprintf(out, "%s\n", items.dump(2).c_str());
    return OkStatus();
  }
  std::vector<std::vector<std::string>> rows = {{"TIME", "TYPE", "SUMMARY"}};
  for (const Json& h : items) {
    rows.push_back({api::FormatIsoTimestamp(Millis(h["Timestamp"])), h.value("HistoryItemType", ""),
                    h.value("HistorySummary", "")});
  }
  PrintTable(rows, out);
  return OkStatus();
}

}  // namespace

int RunAlarms(const std::vector<std::string>& args, std::FILE* out, std::FILE* err) {
  return RunClientCommand<Options>(
      "alarms", kAlarmsUsage, args, ParseArgs,
      [&](const Options& o, ServerClient& server) {
        return o.command == "list"  ? List(o, server, out)
               : o.command == "ack" ? Ack(o, server, out)
                                    : History(o, server, out);
      },
      out, err);
}

}  // namespace vigil::cli
