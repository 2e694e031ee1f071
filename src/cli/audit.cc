// `vigil audit verify|events`: check the audit trail's hash chain on disk, and read it through
// CloudTrail's LookupEvents.
#include "audit/audit.h"

#include "api/text.h"
#include "cli/cli.h"
#include "cli/common.h"

namespace vigil::cli {

const char* const kAuditUsage =
    "usage: vigil audit <command> [options]\n"
    "\n"
    "commands:\n"
    "  verify   walk the hash chain of <data-dir>/audit on this machine; names the first\n"
    "           record that was edited, removed or reordered (exit 1), else prints the count\n"
    "           and the head hash (keep it elsewhere to notice records cut off the end)\n"
    "  events   [--name EVENT] [--resource NAME] [--key ACCESS_KEY] [--limit 50]\n"
    "           the newest calls first, from a running server (CloudTrail LookupEvents)\n"
    "\n"
    "common: --endpoint URL    the server (default $VIGIL_ENDPOINT or http://127.0.0.1:4510)\n"
    "        --data-dir DIR    the data directory (default ./vigil-data)\n"
    "        --region REGION   signing region (default us-east-1)\n"
    "        --ca-bundle FILE  for https: trust the CAs in FILE too (default $AWS_CA_BUNDLE)\n"
    "        --output FORMAT   table (default) or json\n";

namespace {

struct Options : CommonOptions {
  std::string command;
  std::optional<std::pair<std::string, std::string>> attribute;
  int64_t limit = 50;
};

StatusOr<Options> ParseArgs(const std::vector<std::string>& args) {
  Options o;
  if (args.empty()) return InvalidArgumentError("missing command");
  o.command = args[0];
  if (o.command != "verify" && o.command != "events") {
    return InvalidArgumentError("unknown command '" + o.command + "'");
  }
  for (size_t i = 1; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (i + 1 == args.size()) return InvalidArgumentError(a + " needs a value");
    const std::string& v = args[++i];
    ASSIGN_OR_RETURN(const bool common, o.Take(a, v));
    if (common) continue;
    if (o.command == "events" && (a == "--name" || a == "--resource" || a == "--key")) {
      if (o.attribute) return InvalidArgumentError("one of --name, --resource, --key at a time");
      o.attribute = {a == "--name"       ? "EventName"
                     : a == "--resource" ? "ResourceName"
                                         : "AccessKeyId",
                     v};
    } else if (o.command == "events" && a == "--limit") {
      o.limit = std::atoll(v.c_str());
      if (o.limit < 1 || o.limit > 1000) return InvalidArgumentError("--limit is 1 to 1000");
    } else {
      return InvalidArgumentError("unknown option " + a);
    }
  }
  return o;
}

Status Events(const Options& o, ServerClient& server, std::FILE* out) {
  std::vector<std::vector<std::string>> rows = {
      {"TIME", "EVENT", "SOURCE", "KEY", "RESOURCES", "RESULT"}};
  Json all = Json::array();
  std::string token;
  while (static_cast<int64_t>(all.size()) < o.limit) {
    Json input = {
        {"MaxResults", std::min<int64_t>(50, o.limit - static_cast<int64_t>(all.size()))}};
    if (o.attribute) {
      input["LookupAttributes"] = {
          {{"AttributeKey", o.attribute->first}, {"AttributeValue", o.attribute->second}}};
    }
    if (!token.empty()) input["NextToken"] = token;
    ASSIGN_OR_RETURN(
        Json page,
        server.CallJson("com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.LookupEvents",
                        "cloudtrail", input));
    for (const Json& e : page.value("Events", Json::array())) all.push_back(e);
    token = page.value("NextToken", "");
    if (token.empty()) break;
  }
  if (o.json) {
    std::fprintf(out, "%s\n", all.dump(2, ' ', false, Json::error_handler_t::replace).c_str());
    return OkStatus();
  }
  for (const Json& e : all) {
    std::string resources;
    for (const Json& r : e.value("Resources", Json::array())) {
      if (!resources.empty()) resources += ",";
      resources += r.value("ResourceName", "");
    }
    const Json detail = Json::parse(e.value("CloudTrailEvent", "{}"), nullptr, false);
    const std::string result = detail.is_object() && detail.contains("errorCode")
                                   ? detail["errorCode"].get<std::string>()
                                   : "ok";
    rows.push_back({api::FormatIsoTimestamp(Millis(e["EventTime"])), e.value("EventName", ""),
                    detail.is_object() ? detail.value("sourceIPAddress", "") : "",
                    e.value("AccessKeyId", ""), resources, result});
  }
  PrintTable(rows, out);
  return OkStatus();
}

}  // namespace

int RunAudit(const std::vector<std::string>& args, std::FILE* out, std::FILE* err) {
  if (!args.empty() && args[0] == "verify") {
    // Local: reads the files, needs no server (and works when it is down).
    StatusOr<Options> o = ParseArgs(args);
    if (!o.ok()) {
      std::fprintf(err, "vigil audit: %s\n\n%s", o.status().message().c_str(), kAuditUsage);
      return 2;
    }
    StatusOr<audit::VerifyResult> v = audit::Verify(o->data_dir + "/audit");
    if (!v.ok()) {
      std::fprintf(err, "vigil audit verify: %s\n", v.status().message().c_str());
      return 1;
    }
    if (!v->problem.empty()) {
      std::fprintf(out, "BROKEN at %s:%zu (record %llu): %s\n%llu records before it are intact\n",
                   v->file.c_str(), v->line, static_cast<unsigned long long>(v->seq),
                   v->problem.c_str(), static_cast<unsigned long long>(v->records));
      return 1;
    }
    std::fprintf(out, "ok: %llu records, head hash %s\n",
                 static_cast<unsigned long long>(v->records), v->head_hash.c_str());
    return 0;
  }
  return RunClientCommand<Options>(
      "audit", kAuditUsage, args, ParseArgs,
      [&](const Options& o, ServerClient& server) { return Events(o, server, out); }, out, err);
}

}  // namespace vigil::cli
