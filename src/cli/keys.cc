// `vigil keys ...`: the keyring of a running server (/v1/keys): its data keys, rotations, and
// the alarm webhooks' signing secret.
#include "cli/cli.h"
#include "cli/common.h"
#include "http/fetch.h"

namespace vigil::cli {

const char* const kKeysUsage =
    "usage: vigil keys <command> [options]\n"
    "\n"
    "  list                       the master key's fingerprint and the data keys (id, purpose,\n"
    "                             version, created, current); never key material\n"
    "  rotate-master [--master-key HEX]\n"
    "                             re-wrap every data key under a new master key (random unless\n"
    "                             given; required when the server's comes from VIGIL_MASTER_KEY,\n"
    "                             which must then be set to it before the next start). No data\n"
    "                             is rewritten. Back up keys/master.key after it.\n"
    "  rotate PURPOSE             a new data key version for PURPOSE (secrets, deploy, tsdb,\n"
    "                             logs): new data uses it, older versions still read theirs\n"
    "  webhook-secret             print the alarm webhooks' signing secret (audited)\n"
    "\n"
    "options: --endpoint URL, --data-dir DIR, --region REGION and --output table|json, as for\n"
    "         every client command (`vigil alarms help`)\n";

namespace {

struct Options : CommonOptions {
  std::string command;
  std::string name;
  std::string master_key;
};

StatusOr<Options> ParseArgs(const std::vector<std::string>& args) {
  Options o;
  if (args.empty()) return InvalidArgumentError("missing command");
  o.command = args[0];
  if (o.command != "list" && o.command != "rotate-master" && o.command != "rotate" &&
      o.command != "webhook-secret") {
    return InvalidArgumentError("unknown command '" + o.command + "'");
  }
  ASSIGN_OR_RETURN(o.name, ParseNameAndFlags(args, o.command == "rotate", &o,
                                             [&](const std::string& flag,
                                                 const std::string& value) -> StatusOr<bool> {
                                               if (flag != "--master-key") return false;
                                               o.master_key = value;
                                               return true;
                                             }));
  if (o.command == "rotate" && o.name.empty()) return InvalidArgumentError("rotate needs PURPOSE");
  if (!o.master_key.empty() && o.command != "rotate-master") {
    return InvalidArgumentError("--master-key goes with rotate-master");
  }
  return o;
}

void PrintKeys(const Json& doc, std::FILE* out) {
  std::fprintf(out, "master key %s (from %s)\n", doc.value("master_fingerprint", "").c_str(),
               doc.value("master_source", "").c_str());
  std::vector<std::vector<std::string>> rows = {
      {"ID", "PURPOSE", "VERSION", "CREATED", "CURRENT"}};
  for (const Json& k : doc["data_keys"]) {
    rows.push_back({std::to_string(k.value("id", 0)), k.value("purpose", ""),
                    std::to_string(k.value("version", 0)),
                    k["created_at"].is_string() ? k["created_at"].get<std::string>() : "-",
                    k.value("current", false) ? "yes" : "no"});
  }
  PrintTable(rows, out);
}

}  // namespace

int RunKeys(const std::vector<std::string>& args, std::FILE* out, std::FILE* err) {
  return RunClientCommand<Options>(
      "keys", kKeysUsage, args, ParseArgs,
      [&](const Options& o, ServerClient& server) -> Status {
        Json doc;
        if (o.command == "list") {
          ASSIGN_OR_RETURN(doc, server.Rest("GET", "/v1/keys"));
        } else if (o.command == "webhook-secret") {
          ASSIGN_OR_RETURN(doc, server.Rest("GET", "/v1/keys/webhook-secret"));
        } else if (o.command == "rotate-master") {
          Json body = Json::object();
          if (!o.master_key.empty()) body["master_key"] = o.master_key;
          ASSIGN_OR_RETURN(doc, server.Rest("POST", "/v1/keys/master/rotate", body.dump(),
                                            "application/json"));
        } else {
          ASSIGN_OR_RETURN(doc, server.Rest("POST",
                                            "/v1/keys/data/" + http::PercentEncode(o.name) +
                                                "/rotate",
                                            "{}", "application/json"));
        }
        if (o.json) {
          std::fprintf(out, "%s\n", doc.dump(2).c_str());
        } else if (o.command == "list") {
          PrintKeys(doc, out);
        } else if (o.command == "webhook-secret") {
          std::fprintf(out, "%s\n", doc.value("secret", "").c_str());
        } else if (o.command == "rotate-master") {
          std::fprintf(out, "master key rotated: fingerprint %s\n",
                       doc.value("master_fingerprint", "").c_str());
        } else {
          std::fprintf(out, "data key %s: version %d (id %u) is current\n", o.name.c_str(),
                       doc.value("version", 0), doc.value("id", 0u));
        }
        return OkStatus();
      },
      out, err);
}

}  // namespace vigil::cli
