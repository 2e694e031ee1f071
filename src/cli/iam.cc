// `vigil iam ...`: users, access keys, groups and policies of a running server (/v1/iam), and
// the policy simulator.
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>

#include "cli/cli.h"
#include "cli/common.h"
#include "http/fetch.h"

namespace vigil::cli {

const char* const kIamUsage =
    "usage: vigil iam <command> [options]\n"
    "\n"
    "users and keys:\n"
    "  list-users | create-user NAME | delete-user NAME | get-user NAME\n"
    "  create-access-key NAME        prints the key id and secret (shown this once)\n"
    "  update-access-key ID --status Active|Inactive\n"
    "  delete-access-key ID\n"
    "people's sign-in (passwords are read from stdin, never taken as arguments):\n"
    "  create-login-profile --user U --password-stdin | update-login-profile --user U\n"
    "      --password-stdin | delete-login-profile --user U | get-login-profile --user U\n"
    "  change-password --password-stdin    your own: the current password, then the new one,\n"
    "      one a line\n"
    "  create-virtual-mfa-device --user U  prints the TOTP secret and otpauth:// URI (once)\n"
    "  enable-mfa-device --user U --code1 C1 --code2 C2   two consecutive codes of the app\n"
    "  deactivate-mfa-device --user U | list-mfa-devices --user U\n"
    "  list-sessions [--user U] | revoke-session ID     the dashboard's sessions\n"
    "groups:\n"
    "  list-groups | create-group NAME | delete-group NAME\n"
    "  add-user-to-group --user U --group G | remove-user-from-group --user U --group G\n"
    "policies (DOC: a JSON policy document, or @FILE):\n"
    "  list-policies | create-policy NAME --document DOC [--description TEXT]\n"
    "  delete-policy NAME\n"
    "  attach-policy --user U|--group G --policy P | detach-policy --user U|--group G --policy P\n"
    "  put-user-policy --user U --policy-name N --document DOC | delete-user-policy ...\n"
    "  put-group-policy --group G --policy-name N --document DOC | delete-group-policy ...\n"
    "  simulate --user U --action A [--resource ARN] [--context KEY=VALUE]...\n"
    "      allowed or denied, and the policy statement that decided; exit 0 when allowed, 1\n"
    "      when denied\n"
    "\n"
    "Managed policies built in: AdministratorAccess, ReadOnlyAccess, DeployerAccess.\n"
    "Resources are Vigil ARNs: arn:vigil:vigil:::app/NAME, arn:vigil:cloudwatch:::alarm:NAME,\n"
    "arn:vigil:logs:::log-group:NAME, arn:vigil:iam:::user/NAME ...\n"
    "\n"
    "options: --endpoint URL, --data-dir DIR, --region REGION, --ca-bundle FILE and --output\n"
    "         table|json, as for every client command (`vigil alarms help`)\n";

namespace {

struct Options : CommonOptions {
  std::string command;
  bool password_stdin = false;
  std::string name;
  std::map<std::string, std::string> flags;  // --user, --group, --policy, ...
  std::vector<std::pair<std::string, std::string>> context;
};

// Commands and whether they take a positional NAME.
const std::map<std::string, bool>& Commands() {
  static const auto* commands = new std::map<std::string, bool>{
      {"list-users", false},           {"create-user", true},
      {"delete-user", true},           {"get-user", true},
      {"create-access-key", true},     {"update-access-key", true},
      {"delete-access-key", true},     {"list-groups", false},
      {"create-group", true},          {"delete-group", true},
      {"add-user-to-group", false},    {"remove-user-from-group", false},
      {"list-policies", false},        {"create-policy", true},
      {"delete-policy", true},         {"attach-policy", false},
      {"detach-policy", false},        {"put-user-policy", false},
      {"delete-user-policy", false},   {"put-group-policy", false},
      {"delete-group-policy", false},  {"simulate", false},
      {"create-login-profile", false}, {"update-login-profile", false},
      {"delete-login-profile", false}, {"get-login-profile", false},
      {"change-password", false},      {"create-virtual-mfa-device", false},
      {"enable-mfa-device", false},    {"deactivate-mfa-device", false},
      {"list-mfa-devices", false},     {"list-sessions", false},
      {"revoke-session", true}};
  return *commands;
}

StatusOr<Options> ParseArgs(const std::vector<std::string>& all_args) {
  Options o;
  // --password-stdin is the one flag without a value.
  std::vector<std::string> args;
  for (const std::string& a : all_args) {
    if (a == "--password-stdin") {
      o.password_stdin = true;
    } else {
      args.push_back(a);
    }
  }
  if (args.empty()) return InvalidArgumentError("missing command");
  o.command = args[0];
  auto it = Commands().find(o.command);
  if (it == Commands().end()) return InvalidArgumentError("unknown command '" + o.command + "'");
  ASSIGN_OR_RETURN(
      o.name,
      ParseNameAndFlags(args, it->second, &o,
                        [&](const std::string& flag, const std::string& value) -> StatusOr<bool> {
                          static const char* kFlags[] = {
                              "--user",        "--group",       "--policy", "--document",
                              "--description", "--policy-name", "--status", "--action",
                              "--resource",    "--code1",       "--code2"};
                          if (flag == "--context") {
                            const size_t eq = value.find('=');
                            if (eq == std::string::npos) {
                              return InvalidArgumentError("--context wants KEY=VALUE");
                            }
                            o.context.emplace_back(value.substr(0, eq), value.substr(eq + 1));
                            return true;
                          }
                          for (const char* f : kFlags) {
                            if (flag == f) {
                              o.flags[flag.substr(2)] = value;
                              return true;
                            }
                          }
                          return false;
                        }));
  if (it->second && o.name.empty()) return InvalidArgumentError(o.command + " needs a NAME");
  const bool wants_password = o.command == "create-login-profile" ||
                              o.command == "update-login-profile" || o.command == "change-password";
  if (wants_password && !o.password_stdin) {
    return InvalidArgumentError(o.command +
                                " reads the password from stdin: pass --password-stdin (a "
                                "password on the command line would show in ps and the history)");
  }
  return o;
}

// The next line of stdin without its line ending; InvalidArgument at the end of input.
StatusOr<std::string> StdinLine(const std::string& what) {
  std::string line;
  if (!std::getline(std::cin, line)) return InvalidArgumentError("stdin ended before " + what);
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

StatusOr<std::string> Flag(const Options& o, const std::string& name) {
  auto it = o.flags.find(name);
  if (it == o.flags.end() || it->second.empty()) {
    return InvalidArgumentError(o.command + " needs --" + name);
  }
  return it->second;
}

// A policy document given inline or as @FILE.
StatusOr<std::string> Document(const Options& o) {
  ASSIGN_OR_RETURN(std::string doc, Flag(o, "document"));
  if (!doc.starts_with("@")) return doc;
  std::ifstream in(doc.substr(1));
  if (!in) return NotFoundError("cannot read " + doc.substr(1));
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string Seg(const std::string& s) { return http::PercentEncode(s); }

std::string Join(const Json& list) {
  std::string out;
  for (const Json& v : list) out += (out.empty() ? "" : ",") + v.get<std::string>();
  return out.empty() ? "-" : out;
}

Status Print(const Options& o, const Json& doc, std::FILE* out) {
  if (o.json) {
    std::fprintf(out, "%s\n", doc.dump(2).c_str());
    return OkStatus();
  }
  std::vector<std::vector<std::string>> rows;
  auto user_row = [&rows](const Json& u) {
    std::string keys;
    for (const Json& k : u["access_keys"]) {
      keys += (keys.empty() ? "" : ",") + k.value("access_key_id", "") +
              (k.value("status", "") == "Active" ? "" : "(inactive)");
    }
    Json policies = u["policies"]["attached"];
    for (const Json& p : u["policies"]["inline"]) policies.push_back("inline:" + p.get<std::string>());
    rows.push_back({u.value("name", ""), u.value("id", ""), Join(u["groups"]), Join(policies),
                    keys.empty() ? "-" : keys, u.value("created_at", "")});
  };
  if (doc.contains("users") || doc.contains("access_keys")) {  // users, or one (get/create-user)
    rows.push_back({"USER", "ID", "GROUPS", "POLICIES", "KEYS", "CREATED"});
    if (doc.contains("users")) {
      for (const Json& u : doc["users"]) user_row(u);
    } else {
      user_row(doc);
    }
  } else if (doc.contains("groups")) {
    rows.push_back({"GROUP", "MEMBERS", "POLICIES"});
    for (const Json& g : doc["groups"]) {
      rows.push_back({g.value("name", ""), Join(g["members"]), Join(g["policies"]["attached"])});
    }
  } else if (doc.contains("policies")) {
    rows.push_back({"POLICY", "BUILT-IN", "DESCRIPTION"});
    for (const Json& p : doc["policies"]) {
      rows.push_back({p.value("name", ""), p.value("builtin", false) ? "yes" : "no",
                      p.value("description", "")});
    }
  } else if (doc.contains("sessions")) {
    rows.push_back({"SESSION", "USER", "METHOD", "FROM", "SIGNED IN", "LAST SEEN", "EXPIRES"});
    for (const Json& x : doc["sessions"]) {
      rows.push_back({x.value("id", "") + (x.value("current", false) ? " (this one)" : ""),
                      x.value("user", ""), x.value("method", ""), x.value("source_ip", ""),
                      x.value("created_at", ""), x.value("last_seen_at", ""),
                      x.value("expires_at", "")});
    }
  } else if (doc.contains("devices")) {
    rows.push_back({"MFA DEVICE", "USER", "ENABLED"});
    for (const Json& d : doc["devices"]) {
      rows.push_back(
          {d.value("serial", ""), d.value("user", ""), d.value("enabled", false) ? "yes" : "no"});
    }
  } else if (doc.contains("otpauth_uri")) {
    std::fprintf(out,
                 "virtual MFA device %s (the secret is shown this once; add it to an "
                 "authenticator app, then enable it with two consecutive codes):\n"
                 "secret = %s\nuri = %s\n",
                 doc.value("serial", "").c_str(), doc.value("secret_base32", "").c_str(),
                 doc.value("otpauth_uri", "").c_str());
    return OkStatus();
  } else if (doc.contains("secret_access_key")) {
    std::fprintf(out,
                 "access key for %s (the secret is shown this once):\n"
                 "aws_access_key_id = %s\naws_secret_access_key = %s\n",
                 doc.value("user", "").c_str(), doc.value("access_key_id", "").c_str(),
                 doc.value("secret_access_key", "").c_str());
    return OkStatus();
  } else if (doc.contains("decision")) {
    std::fprintf(out, "%s: %s on %s is %s", doc.value("user", "").c_str(),
                 doc.value("action", "").c_str(), doc.value("resource", "").c_str(),
                 doc.value("decision", "").c_str());
    if (doc["policy"].is_string()) {
      std::fprintf(out, " by %s (%s)", doc["policy"].get<std::string>().c_str(),
                   doc["statement"].is_string() ? doc["statement"].get<std::string>().c_str() : "");
    }
    std::fprintf(out, "\n");
    return OkStatus();
  } else if (!doc.empty()) {
    std::fprintf(out, "%s\n", doc.dump(2).c_str());
    return OkStatus();
  }
  if (!rows.empty()) PrintTable(rows, out);
  return OkStatus();
}

// The request a command makes: method, path under /v1/iam, body.
struct Call {
  std::string method, path, body;
};

StatusOr<Call> Plan(const Options& o) {
  const std::string& c = o.command;
  const std::string n = Seg(o.name);
  if (c == "list-users") return Call{"GET", "/users", ""};
  if (c == "create-user") return Call{"POST", "/users", Json{{"name", o.name}}.dump()};
  if (c == "delete-user") return Call{"DELETE", "/users/" + n, ""};
  if (c == "get-user") return Call{"GET", "/users/" + n, ""};
  if (c == "create-access-key") return Call{"POST", "/users/" + n + "/access-keys", ""};
  if (c == "update-access-key") {
    ASSIGN_OR_RETURN(std::string status, Flag(o, "status"));
    return Call{"POST", "/access-keys/" + n, Json{{"status", status}}.dump()};
  }
  if (c == "delete-access-key") return Call{"DELETE", "/access-keys/" + n, ""};
  if (c == "list-groups") return Call{"GET", "/groups", ""};
  if (c == "create-group") return Call{"POST", "/groups", Json{{"name", o.name}}.dump()};
  if (c == "delete-group") return Call{"DELETE", "/groups/" + n, ""};
  if (c == "add-user-to-group" || c == "remove-user-from-group") {
    ASSIGN_OR_RETURN(std::string user, Flag(o, "user"));
    ASSIGN_OR_RETURN(std::string group, Flag(o, "group"));
    return Call{c == "add-user-to-group" ? "POST" : "DELETE",
                "/groups/" + Seg(group) + "/users/" + Seg(user), ""};
  }
  if (c == "list-policies") return Call{"GET", "/policies", ""};
  if (c == "create-policy") {
    ASSIGN_OR_RETURN(std::string doc, Document(o));
    const Json parsed = Json::parse(doc, nullptr, /*allow_exceptions=*/false);
    if (parsed.is_discarded()) return InvalidArgumentError("--document is not JSON");
    auto d = o.flags.find("description");
    return Call{"POST", "/policies",
                Json{{"name", o.name},
                     {"document", parsed},
                     {"description", d == o.flags.end() ? "" : d->second}}
                    .dump()};
  }
  if (c == "delete-policy") return Call{"DELETE", "/policies/" + n, ""};
  if (c == "attach-policy" || c == "detach-policy") {
    ASSIGN_OR_RETURN(std::string policy, Flag(o, "policy"));
    const bool user = o.flags.contains("user");
    if (user == o.flags.contains("group")) {
      return InvalidArgumentError(c + " needs --user or --group (one of them)");
    }
    const std::string who = o.flags.at(user ? "user" : "group");
    return Call{c == "attach-policy" ? "POST" : "DELETE",
                std::string(user ? "/users/" : "/groups/") + Seg(who) + "/attached/" + Seg(policy),
                ""};
  }
  if (c == "put-user-policy" || c == "delete-user-policy" || c == "put-group-policy" ||
      c == "delete-group-policy") {
    const bool user = c.ends_with("user-policy");
    ASSIGN_OR_RETURN(std::string who, Flag(o, user ? "user" : "group"));
    ASSIGN_OR_RETURN(std::string name, Flag(o, "policy-name"));
    const std::string path =
        std::string(user ? "/users/" : "/groups/") + Seg(who) + "/policies/" + Seg(name);
    if (c.starts_with("delete")) return Call{"DELETE", path, ""};
    ASSIGN_OR_RETURN(std::string doc, Document(o));
    return Call{"PUT", path, doc};
  }
  if (c.ends_with("login-profile")) {
    ASSIGN_OR_RETURN(std::string user, Flag(o, "user"));
    const std::string path = "/users/" + Seg(user) + "/login-profile";
    if (c == "delete-login-profile") return Call{"DELETE", path, ""};
    if (c == "get-login-profile") return Call{"GET", path, ""};
    ASSIGN_OR_RETURN(std::string password, StdinLine("the password"));
    return Call{c == "create-login-profile" ? "POST" : "PUT", path,
                Json{{"password", password}}.dump()};
  }
  if (c == "change-password") {
    ASSIGN_OR_RETURN(std::string old_password, StdinLine("the current password"));
    ASSIGN_OR_RETURN(std::string new_password, StdinLine("the new password"));
    return Call{"POST", "/change-password",
                Json{{"old_password", old_password}, {"new_password", new_password}}.dump()};
  }
  if (c.ends_with("mfa-device") || c == "list-mfa-devices") {
    ASSIGN_OR_RETURN(std::string user, Flag(o, "user"));
    const std::string path = "/users/" + Seg(user) + "/mfa-device";
    if (c == "create-virtual-mfa-device") return Call{"POST", path, ""};
    if (c == "deactivate-mfa-device") return Call{"DELETE", path, ""};
    if (c == "list-mfa-devices") return Call{"GET", path, ""};
    ASSIGN_OR_RETURN(std::string code1, Flag(o, "code1"));
    ASSIGN_OR_RETURN(std::string code2, Flag(o, "code2"));
    return Call{"POST", path + "/enable", Json{{"code1", code1}, {"code2", code2}}.dump()};
  }
  if (c == "list-sessions") {
    auto user = o.flags.find("user");
    return Call{"GET", user == o.flags.end() ? "/sessions" : "/sessions?user=" + Seg(user->second),
                ""};
  }
  if (c == "revoke-session") return Call{"DELETE", "/sessions/" + n, ""};
  // simulate
  ASSIGN_OR_RETURN(std::string user, Flag(o, "user"));
  ASSIGN_OR_RETURN(std::string action, Flag(o, "action"));
  Json body = {{"user", user}, {"action", action}};
  if (auto r = o.flags.find("resource"); r != o.flags.end()) body["resource"] = r->second;
  Json context = Json::object();
  for (const auto& [k, v] : o.context) context[k] = v;
  body["context"] = context;
  return Call{"POST", "/simulate", body.dump()};
}

}  // namespace

int RunIam(const std::vector<std::string>& args, std::FILE* out, std::FILE* err) {
  bool denied = false;
  const int code = RunClientCommand<Options>(
      "iam", kIamUsage, args, ParseArgs,
      [&](const Options& o, ServerClient& server) -> Status {
        ASSIGN_OR_RETURN(Call call, Plan(o));
        ASSIGN_OR_RETURN(Json doc, server.Rest(call.method, "/v1/iam" + call.path, call.body,
                                               call.body.empty() ? "" : "application/json"));
        if (doc.contains("decision")) denied = !doc.value("allowed", false);
        return Print(o, doc.is_null() ? Json::object() : doc, out);
      },
      out, err);
  return code == 0 && denied ? 1 : code;
}

}  // namespace vigil::cli
