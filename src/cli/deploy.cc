// `vigil versions`, `vigil deploy`, `vigil rollback`, `vigil deployments`: application versions
// and their deployments on a running server (its REST API, src/api/deploy_service.cc).
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "cli/cli.h"
#include "cli/common.h"

namespace vigil::cli {

const char* const kDeployUsage =
    "usage: vigil versions create APP LABEL DIR|BUNDLE.tar.gz [--description TEXT]\n"
    "       vigil versions list APP\n"
    "       vigil deploy APP LABEL [--policy all-at-once|rolling|rolling-with-batch|immutable|\n"
    "                    blue-green] [--batch N|N%] [--bake 30s] [--health-timeout 60s]\n"
    "                    [--alarm NAME]... [--canary NAME]... [--no-wait]\n"
    "       vigil rollback APP [--to LABEL] [--reason TEXT] [--no-wait]\n"
    "       vigil deployments APP [--limit 20] | vigil deployments show ID\n"
    "\n"
    "A version is a directory with the program and manifest.yaml (command, env, health_check);\n"
    "the configuration's app is version v1. `deploy` and `rollback` show the deployment's\n"
    "events as they happen and exit 0 when it succeeded, 1 when it failed or rolled back.\n"
    "\n"
    "common: --endpoint URL    the server (default $VIGIL_ENDPOINT or http://127.0.0.1:4510)\n"
    "        --data-dir DIR    whose credentials file to use (default ./vigil-data)\n"
    "        --region REGION   signing region (default us-east-1)\n"
    "        --ca-bundle FILE  for https: trust the CAs in FILE too (default $AWS_CA_BUNDLE)\n"
    "        --output FORMAT   table (default) or json\n";

namespace {

struct Options : CommonOptions {
  std::string what;     // versions-create, versions-list, deploy, rollback, deployments[-show]
  std::string command;  // how errors name it (RunClientCommand)
  std::vector<std::string> positional;
  std::string description, policy, batch, to, reason;
  double bake_s = -1, health_timeout_s = -1;
  std::vector<std::string> alarms, canaries;
  bool wait = true;
  int64_t limit = 20;
};

StatusOr<double> SecondsOf(const std::string& flag, const std::string& v) {
  char* end = nullptr;
  double n = std::strtod(v.c_str(), &end);
  std::string unit = end;
  if (unit == "ms") n /= 1000;
  else if (unit == "m") n *= 60;
  else if (unit != "" && unit != "s") n = -1;
  if (end == v.c_str() || n < 0) return InvalidArgumentError(flag + " is a duration: 30s, 2m");
  return n;
}

StatusOr<Options> Parse(const std::string& command, const std::vector<std::string>& args) {
  if (command == "versions-unknown") {
    return InvalidArgumentError("unknown command '" + args[0] + "' (create or list)");
  }
  if (command == "versions") return InvalidArgumentError("missing command (create or list)");
  Options o;
  o.what = command;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--no-wait") {
      o.wait = false;
      continue;
    }
    if (a.rfind("--", 0) != 0) {
      o.positional.push_back(a);
      continue;
    }
    if (i + 1 == args.size()) return InvalidArgumentError(a + " needs a value");
    const std::string& v = args[++i];
    ASSIGN_OR_RETURN(const bool common, o.Take(a, v));
    if (common) continue;
    if (a == "--description") o.description = v;
    else if (a == "--policy") o.policy = v;
    else if (a == "--batch") o.batch = v;
    else if (a == "--to") o.to = v;
    else if (a == "--reason") o.reason = v;
    else if (a == "--alarm") o.alarms.push_back(v);
    else if (a == "--canary") o.canaries.push_back(v);
    else if (a == "--bake") { ASSIGN_OR_RETURN(o.bake_s, SecondsOf(a, v)); }
    else if (a == "--health-timeout") { ASSIGN_OR_RETURN(o.health_timeout_s, SecondsOf(a, v)); }
    else if (a == "--limit") o.limit = std::atoll(v.c_str());
    else return InvalidArgumentError("unknown option " + a);
  }
  const size_t n = o.positional.size();
  const bool ok = command == "versions-create"   ? n == 3
                  : command == "versions-list"   ? n == 1
                  : command == "deploy"          ? n == 2
                  : command == "rollback"        ? n == 1
                  : command == "deployments"     ? n == 1
                  : command == "deployments-show" ? n == 1
                                                  : false;
  if (!ok) return InvalidArgumentError("wrong number of arguments");
  // How errors name the command: "vigil versions create: ...", "vigil deploy shop: ...".
  const size_t dash = command.find('-');
  o.command = dash != std::string::npos ? command.substr(dash + 1) : o.positional[0];
  return o;
}

// The bundle to upload: a .tar.gz as it is, or a directory packed with tar.
StatusOr<std::string> BundleOf(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::is_directory(path, ec)) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return NotFoundError("cannot read " + path);
    std::ostringstream bytes;
    bytes << in.rdbuf();
    return bytes.str();
  }
  if (!std::filesystem::exists(path + "/manifest.yaml", ec)) {
    return InvalidArgumentError(path + " has no manifest.yaml");
  }
  const std::string quoted = "'" + path + "'";  // paths with a quote are refused below
  if (path.find('\'') != std::string::npos) return InvalidArgumentError("bad path " + path);
  std::FILE* tar = ::popen(("tar -czf - -C " + quoted + " .").c_str(), "r");
  if (tar == nullptr) return UnavailableError("cannot run tar");
  std::string out;
  char buf[1 << 16];
  for (size_t got; (got = std::fread(buf, 1, sizeof(buf), tar)) > 0;) out.append(buf, got);
  if (::pclose(tar) != 0) return UnavailableError("tar could not pack " + path);
  return out;
}

std::string Clock(const std::string& iso) {  // "2026-11-26T16:04:05.123Z" -> "16:04:05"
  return iso.size() >= 19 ? iso.substr(11, 8) : iso;
}

// Prints the deployment's events from the `shown`-th on; the number shown.
size_t PrintEvents(const Json& d, size_t shown, std::FILE* out) {
  const Json& events = d["events"];
  for (size_t i = shown; i < events.size(); ++i) {
    std::fprintf(out, "[%s] %s\n", Clock(events[i].value("at", "")).c_str(),
                 events[i].value("message", "").c_str());
  }
  std::fflush(out);
  return events.size();
}

// Follows the deployment until it ends; succeeded: OK, else FailedPrecondition with the reason.
Status Follow(const Options& o, ServerClient& server, Json d, std::FILE* out) {
  const std::string id = d.value("id", "");
  size_t shown = o.json ? 0 : PrintEvents(d, 0, out);
  while (o.wait && d.value("state", "") == "in-progress") {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    ASSIGN_OR_RETURN(d, server.Rest("GET", "/v1/deployments/" + http::PercentEncode(id)));
    if (!o.json) shown = PrintEvents(d, shown, out);
  }
  if (o.json) std::fprintf(out, "%s\n", d.dump(2).c_str());
  const std::string state = d.value("state", "");
  if (!o.wait || state == "succeeded") {
    if (!o.json) std::fprintf(out, "deployment %s: %s\n", id.c_str(), state.c_str());
    return OkStatus();
  }
  return FailedPreconditionError("deployment " + id + " " + state + ": " + d.value("reason", ""));
}

Status Run(const Options& o, ServerClient& server, std::FILE* out) {
  const auto& p = o.positional;
  const std::string app_path = "/v1/apps/" + http::PercentEncode(p[0]);
  if (o.what == "versions-create") {
    ASSIGN_OR_RETURN(std::string bundle, BundleOf(p[2]));
    std::string path = app_path + "/versions/" + http::PercentEncode(p[1]);
    if (!o.description.empty()) path += "?description=" + http::PercentEncode(o.description);
    ASSIGN_OR_RETURN(Json v, server.Rest("POST", path, bundle, "application/gzip"));
    if (o.json) std::fprintf(out, "%s\n", v.dump(2).c_str());
    else std::fprintf(out, "version %s of %s created (%zu bytes)\n", p[1].c_str(),
                      p[0].c_str(), bundle.size());
    return OkStatus();
  }
  if (o.what == "versions-list") {
    ASSIGN_OR_RETURN(Json doc, server.Rest("GET", app_path + "/versions"));
    if (o.json) {
      std::fprintf(out, "%s\n", doc.dump(2).c_str());
      return OkStatus();
    }
    const std::string current = doc["current"].is_string() ? doc["current"].get<std::string>() : "";
    std::vector<std::vector<std::string>> rows = {{"LABEL", "SOURCE", "CREATED", "STATE", "DESCRIPTION"}};
    for (const Json& v : doc["versions"]) {
      const std::string label = v.value("label", "");
      rows.push_back({label, v.value("source", ""), v.value("created_at", ""),
                      label == current ? "serving" : "", v.value("description", "")});
    }
    PrintTable(rows, out);
    return OkStatus();
  }
  if (o.what == "deploy") {
    Json body = {{"version", p[1]}, {"alarms", o.alarms}, {"canaries", o.canaries}};
    if (!o.policy.empty()) body["policy"] = o.policy;
    if (!o.batch.empty()) body["batch"] = o.batch;
    if (o.bake_s >= 0) body["bake_seconds"] = o.bake_s;
    if (o.health_timeout_s >= 0) body["health_timeout_seconds"] = o.health_timeout_s;
    ASSIGN_OR_RETURN(Json d, server.Rest("POST", app_path + "/deployments", body.dump(),
                                         "application/json"));
    return Follow(o, server, std::move(d), out);
  }
  if (o.what == "rollback") {
    Json body = Json::object();
    if (!o.to.empty()) body["to"] = o.to;
    if (!o.reason.empty()) body["reason"] = o.reason;
    ASSIGN_OR_RETURN(Json d, server.Rest("POST", app_path + "/rollback", body.dump(),
                                         "application/json"));
    return Follow(o, server, std::move(d), out);
  }
  if (o.what == "deployments-show") {
    ASSIGN_OR_RETURN(Json d, server.Rest("GET", "/v1/deployments/" + http::PercentEncode(p[0])));
    if (o.json) {
      std::fprintf(out, "%s\n", d.dump(2).c_str());
      return OkStatus();
    }
    std::fprintf(out, "%s: %s %s -> %s (%s), %s: %s\n", d.value("id", "").c_str(),
                 d.value("kind", "").c_str(), d.value("from", "").c_str(),
                 d.value("version", "").c_str(), d.value("policy", "").c_str(),
                 d.value("state", "").c_str(), d.value("reason", "").c_str());
    PrintEvents(d, 0, out);
    return OkStatus();
  }
  ASSIGN_OR_RETURN(Json doc, server.Rest("GET", app_path + "/deployments?limit=" +
                                                    std::to_string(o.limit)));
  if (o.json) {
    std::fprintf(out, "%s\n", doc.dump(2).c_str());
    return OkStatus();
  }
  std::vector<std::vector<std::string>> rows = {
      {"ID", "KIND", "FROM", "TO", "POLICY", "STATE", "STARTED", "REASON"}};
  for (const Json& d : doc["deployments"]) {
    rows.push_back({d.value("id", ""), d.value("kind", ""), d.value("from", ""),
                    d.value("version", ""), d.value("policy", ""), d.value("state", ""),
                    d["created_at"].is_string() ? d["created_at"].get<std::string>() : "",
                    d.value("reason", "") + (d.value("state", "") == "in-progress"
                                                 ? d.value("phase", "")
                                                 : "")});
  }
  PrintTable(rows, out);
  return OkStatus();
}

}  // namespace

int RunDeployCommand(const std::string& command, const std::vector<std::string>& args,
                     std::FILE* out, std::FILE* err) {
  std::string sub = command;
  std::vector<std::string> rest = args;
  if ((command == "versions" || command == "deployments") && !rest.empty() &&
      (rest[0] == "create" || rest[0] == "list" || rest[0] == "show")) {
    sub = command + "-" + rest[0];
    rest.erase(rest.begin());
  } else if (command == "versions" && !(rest.empty() || rest[0] == "help" ||
                                        rest[0] == "--help" || rest[0] == "-h")) {
    sub = "versions-unknown";  // Parse names it
  }
  return RunClientCommand<Options>(
      command, kDeployUsage, rest,
      [&](const std::vector<std::string>& a) { return Parse(sub, a); },
      [&](const Options& o, ServerClient& server) { return Run(o, server, out); }, out, err);
}

}  // namespace vigil::cli
