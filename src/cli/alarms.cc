// `vigil alarms list|ack|history`: the alarms of a running server, their acknowledgement and
// their history.
#include <cstdlib>
#include <optional>

#include "api/text.h"
#include "cli/cli.h"
#include "cli/common.h"

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
    "        --output FORMAT   table (default) or json\n";

namespace {

struct Options {
  std::string command;
  std::string name;
  std::string endpoint;
  std::string data_dir = "./vigil-data";
  std::string region = "us-east-1";
  bool json = false;
  std::optional<std::string> state;
  int64_t limit = 20;
};

StatusOr<Options> ParseArgs(const std::vector<std::string>& args) {
  Options o;
  if (const char* e = std::getenv("VIGIL_ENDPOINT"); e != nullptr && *e != '\0') o.endpoint = e;
  if (o.endpoint.empty()) o.endpoint = "http://127.0.0.1:4510";
  if (args.empty()) return InvalidArgumentError("missing command");
  o.command = args[0];
  if (o.command != "list" && o.command != "ack" && o.command != "history") {
    return InvalidArgumentError("unknown command '" + o.command + "'");
  }
  for (size_t i = 1; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a.rfind("--", 0) != 0) {
      if (o.command == "list" || !o.name.empty()) {
        return InvalidArgumentError("unexpected argument '" + a + "'");
      }
      o.name = a;
      continue;
    }
    if (i + 1 == args.size()) return InvalidArgumentError(a + " needs a value");
    const std::string& v = args[++i];
    if (a == "--endpoint") {
      o.endpoint = v;
    } else if (a == "--data-dir") {
      o.data_dir = v;
    } else if (a == "--region") {
      o.region = v;
    } else if (a == "--output") {
      if (v != "table" && v != "json") return InvalidArgumentError("--output is table or json");
      o.json = v == "json";
    } else if (a == "--state" && o.command == "list") {
      if (v != "OK" && v != "ALARM" && v != "INSUFFICIENT_DATA") {
        return InvalidArgumentError("--state is OK, ALARM or INSUFFICIENT_DATA");
      }
      o.state = v;
    } else if (a == "--limit" && o.command == "history") {
      char* end = nullptr;
      o.limit = std::strtoll(v.c_str(), &end, 10);
      if (end == v.c_str() || *end != '\0' || o.limit < 1 || o.limit > 100) {
        return InvalidArgumentError("--limit is a number from 1 to 100");
      }
    } else {
      return InvalidArgumentError("unknown option " + a);
    }
  }
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
  ASSIGN_OR_RETURN(Json doc, server.Rest("POST", "/v1/alarms/" + PathEscape(o.name) + "/ack"));
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
    const Json& t = h["Timestamp"];
    const std::string when =
        t.is_number() ? api::FormatIsoTimestamp(static_cast<int64_t>(t.get<double>() * 1000 + 0.5))
                      : t.get<std::string>();
    rows.push_back({when, h.value("HistoryItemType", ""), h.value("HistorySummary", "")});
  }
  PrintTable(rows, out);
  return OkStatus();
}

}  // namespace

int RunAlarms(const std::vector<std::string>& args, std::FILE* out, std::FILE* err) {
  if (!args.empty() && (args[0] == "help" || args[0] == "--help" || args[0] == "-h")) {
    std::fputs(kAlarmsUsage, out);
    return 0;
  }
  StatusOr<Options> options = ParseArgs(args);
  if (!options.ok()) {
    std::fprintf(err, "vigil alarms: %s\n\n%s", options.status().message().c_str(), kAlarmsUsage);
    return 2;
  }
  const Options& o = options.value();
  StatusOr<http::Url> url = http::ParseUrl(o.endpoint);
  if (!url.ok()) {
    std::fprintf(err, "vigil alarms: --endpoint: %s\n", url.status().message().c_str());
    return 2;
  }
  StatusOr<auth::AccessKey> key = Credentials(o.data_dir);
  if (!key.ok()) {
    std::fprintf(err, "vigil alarms: %s\n", key.status().message().c_str());
    return 2;
  }
  ServerClient server(std::move(url).value(), std::move(key).value(), o.region);
  const Status s = o.command == "list"  ? List(o, server, out)
                   : o.command == "ack" ? Ack(o, server, out)
                                        : History(o, server, out);
  if (!s.ok()) {
    std::fprintf(err, "vigil alarms %s: %s\n", o.command.c_str(), s.message().c_str());
    return 1;
  }
  return 0;
}

}  // namespace vigil::cli
