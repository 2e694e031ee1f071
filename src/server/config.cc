#include "server/config.h"

#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "server/canary_config.h"
#include "server/yaml_reader.h"

namespace vigil::server {
namespace {

using fleet::AppSpec;
using fleet::CheckSpec;
using yaml::AnyText;
using yaml::DurationIn;
using yaml::Expected;
using yaml::Field;
using yaml::FormatMillis;
using yaml::IntIn;
using yaml::NonEmptyText;
using yaml::ParseBool;
using yaml::ParseNumber;
using yaml::Reader;
using yaml::UrlPath;

Status ReadText(const std::string& path, std::string* out) {
  std::ifstream in(path);
  if (!in) return InvalidArgumentError("cannot read config file " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  *out = ss.str();
  return OkStatus();
}

// ---- Scalar parsers of Vigil's own values (the generic ones are in yaml_reader.h).

StatusOr<std::pair<std::string, uint16_t>> ListenAddress(const std::string& t) {
  std::pair<std::string, uint16_t> host_port;
  RETURN_IF_ERROR(ParseListen(t, &host_port.first, &host_port.second));
  return host_port;
}

StatusOr<double> SketchAccuracy(const std::string& t) {
  std::optional<double> v = ParseNumber(t);
  if (v && *v > 0 && *v < 0.5) return *v;
  return Expected("expected a fraction within (0, 0.5)", t);
}

// A fraction in [0, 0.5], written "0.1" or "10%".
StatusOr<double> Jitter(const std::string& t) {
  const bool percent = !t.empty() && t.back() == '%';
  std::optional<double> v = ParseNumber(std::string_view(t).substr(0, t.size() - percent));
  if (v && percent) *v /= 100;
  if (v && *v >= 0 && *v <= 0.5) return *v;
  return Expected("expected a fraction in [0, 0.5] such as 0.1 or 10%", t);
}

StatusOr<int64_t> HeadChunkBytes(const std::string& t) {
  ASSIGN_OR_RETURN(int64_t bytes, ParseBytes(t));
  if (bytes < (1 << 20)) return Expected("must be at least 1MiB", t);
  return bytes;
}

StatusOr<int64_t> RetryBufferBytes(const std::string& t) {
  ASSIGN_OR_RETURN(int64_t bytes, ParseBytes(t));
  if (bytes > (int64_t{1} << 30)) return Expected("must be at most 1GiB", t);
  return bytes;
}

// "auto" (0: the load balancer picks) or a thread count.
StatusOr<int> ThreadsOrAuto(const std::string& t) {
  if (t == "auto") return 0;
  StatusOr<int64_t> n = IntIn(1, 256)(t);
  if (!n.ok()) return Expected("expected 'auto' or an integer in [1, 256]", t);
  return static_cast<int>(*n);
}

bool IsAlnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

StatusOr<std::string> AppName(const std::string& t) {
  if (fleet::IsValidAppName(t)) return t;
  return Expected("expected 1 to 64 letters, digits, '_' or '-', starting with a letter or digit",
                  t);
}

bool IsEnvName(const std::string& t) {
  bool ok = !t.empty() && !(t[0] >= '0' && t[0] <= '9');
  for (char c : t) ok = ok && (IsAlnum(c) || c == '_');
  return ok;
}

StatusOr<fleet::RestartPolicy> Restart(const std::string& t) {
  if (t == "always") return fleet::RestartPolicy::kAlways;
  if (t == "on-failure") return fleet::RestartPolicy::kOnFailure;
  if (t == "never") return fleet::RestartPolicy::kNever;
  return Expected("expected always, on-failure or never", t);
}

StatusOr<CheckSpec::Kind> CheckKind(const std::string& t) {
  if (t == "http") return CheckSpec::Kind::kHttp;
  if (t == "tcp") return CheckSpec::Kind::kTcp;
  return Expected("expected http or tcp", t);
}

// ---- The sections.

// Where a `tls:` mapping goes; self_signed is null where it is not allowed (an app's).
struct TlsTarget {
  std::string* cert;
  std::string* key;
  bool* self_signed;
};

// `tls: {cert: FILE, key: FILE}`, or `{self_signed: true}` where allowed: a certificate comes
// with its key. Whether the files can be used is checked when the listener starts.
Status ReadTls(const Reader& r, const YAML::Node& node, const std::string& path, TlsTarget* t) {
  std::vector<Field> fields = {r.Set("cert", t->cert, NonEmptyText),
                               r.Set("key", t->key, NonEmptyText)};
  if (t->self_signed != nullptr) fields.push_back(r.Set("self_signed", t->self_signed, ParseBool));
  RETURN_IF_ERROR(r.Map(node, path, fields));
  if (t->cert->empty() != t->key->empty()) {
    return r.Error(node, path, "needs both cert and key (PEM files)");
  }
  if (t->self_signed != nullptr && *t->self_signed && !t->cert->empty()) {
    return r.Error(node, path, "self_signed and cert/key exclude each other");
  }
  return OkStatus();
}

Field ListenField(const Reader& r, std::string* host, uint16_t* port) {
  return {"listen", [&r, host, port](const YAML::Node& v, const std::string& p) -> Status {
            ASSIGN_OR_RETURN(std::tie(*host, *port), r.Value(v, p, ListenAddress));
            return OkStatus();
          }};
}

Status ReadRollupTier(const Reader& r, const YAML::Node& node, const std::string& path,
                      tsdb::RollupTier* tier) {
  RETURN_IF_ERROR(r.Map(node, path,
                        {r.Set("period", &tier->period_ms, DurationIn(1)),
                         r.Set("retention", &tier->retention_ms, DurationIn(1)),
                         r.Set("eager", &tier->eager, ParseBool)}));
  if (tier->period_ms > 0 && tier->retention_ms > 0) return OkStatus();
  return r.Error(node, path, "needs a period and a retention");
}

Status ReadRollups(const Reader& r, const YAML::Node& node, const std::string& path,
                   std::vector<tsdb::RollupTier>* out) {
  tsdb::Options check;
  RETURN_IF_ERROR(
      r.List(node, path, "{period, retention[, eager]} mappings", ReadRollupTier, &check.rollups));
  Status s = tsdb::ValidateRollupTiers(check);
  if (!s.ok()) return r.Error(node, path, s.message());
  *out = std::move(check.rollups);
  return OkStatus();
}

Status ReadArg(const Reader& r, const YAML::Node& node, const std::string& path, std::string* arg) {
  ASSIGN_OR_RETURN(*arg, r.Value(node, path, AnyText));
  return OkStatus();
}

// argv as a list, or one string run by /bin/sh -c.
Status ReadCommand(const Reader& r, const YAML::Node& node, const std::string& path,
                   std::vector<std::string>* argv) {
  if (node.IsScalar()) {
    if (node.Scalar().find_first_not_of(" \t\r\n") == std::string::npos) {
      return r.Error(node, path, "empty command");
    }
    *argv = {"/bin/sh", "-c", node.Scalar()};
    return OkStatus();
  }
  RETURN_IF_ERROR(r.List(node, path, "arguments or a shell command", ReadArg, argv));
  if (argv->empty()) return r.Error(node, path, "empty command");
  if ((*argv)[0].empty()) return r.Error(node[0], path + "[0]", "empty program name");
  return OkStatus();
}

Status ReadEnv(const Reader& r, const YAML::Node& node, const std::string& path,
               std::vector<std::pair<std::string, std::string>>* env) {
  env->clear();
  return r.Entries(node, path,
                   [&](const std::string& name, const YAML::Node& key, const YAML::Node& value,
                       const std::string& sub) -> Status {
                     if (!IsEnvName(name)) {
                       return r.Error(key, sub, "expected a name like [A-Za-z_][A-Za-z0-9_]*");
                     }
                     ASSIGN_OR_RETURN(std::string text, r.Text(value, sub));
                     env->emplace_back(name, std::move(text));
                     return OkStatus();
                   });
}

Status ReadCheck(const Reader& r, const YAML::Node& node, const std::string& path,
                 std::optional<CheckSpec>* out) {
  CheckSpec check;
  RETURN_IF_ERROR(r.Map(node, path,
                        {r.Set("type", &check.kind, CheckKind), r.Set("path", &check.path, UrlPath),
                         r.Set("interval", &check.interval_ms, DurationIn(10)),
                         r.Set("timeout", &check.timeout_ms, DurationIn(1, 60'000)),
                         r.Set("healthy_threshold", &check.healthy_threshold, IntIn(1, 100)),
                         r.Set("unhealthy_threshold", &check.unhealthy_threshold, IntIn(1, 100)),
                         r.Set("jitter", &check.jitter, Jitter)}));
  if (check.kind == CheckSpec::Kind::kTcp && node["path"]) {
    return r.Error(node["path"], path + ".path", "only http checks have a path");
  }
  *out = check;
  return OkStatus();
}

Status ReadApp(const Reader& r, const YAML::Node& node, const std::string& path, AppSpec* a) {
  TlsTarget tls{&a->tls_cert_file, &a->tls_key_file, nullptr};
  RETURN_IF_ERROR(
      r.Map(node, path,
            {r.Set("name", &a->name, AppName), r.Call("command", ReadCommand, &a->command),
             r.Set("instances", &a->instances, IntIn(1, 1000)),
             ListenField(r, &a->listen_host, &a->listen_port), r.Call("env", ReadEnv, &a->env),
             r.Set("working_dir", &a->working_dir, NonEmptyText),
             r.Set("stop_timeout", &a->stop_timeout_ms, DurationIn(0)),
             r.Set("drain_timeout", &a->drain_timeout_ms, DurationIn(0)),
             r.Set("min_uptime", &a->min_uptime_ms, DurationIn(0)),
             r.Set("slow_start", &a->slow_start_ms, DurationIn(0)),
             r.Set("restart", &a->restart, Restart),
             r.Section("backoff", {r.Set("initial", &a->backoff_initial_ms, DurationIn(1)),
                                   r.Set("max", &a->backoff_max_ms, DurationIn(1))}),
             r.Call("health_check", ReadCheck, &a->readiness),
             r.Call("liveness_check", ReadCheck, &a->liveness),
             r.Set("metrics_path", &a->metrics_path, UrlPath),
             r.Set("consecutive_5xx", &a->consecutive_5xx, IntIn(0, 1000)),
             r.Set("access_log", &a->access_log, ParseBool), r.Call("tls", ReadTls, &tls)}));
  if (a->name.empty()) return r.Error(node, path, "missing required key 'name'");
  if (a->command.empty()) return r.Error(node, path, "missing required key 'command'");
  if (!a->tls_cert_file.empty() && a->listen_host.empty()) {
    return r.Error(node["tls"], path + ".tls", "needs a load balancer ('listen')");
  }
  if (a->backoff_initial_ms > a->backoff_max_ms) {  // defaults are ordered: backoff was given
    return r.Error(node["backoff"], path + ".backoff",
                   "initial (" + FormatMillis(a->backoff_initial_ms) + ") must not exceed max (" +
                       FormatMillis(a->backoff_max_ms) + ")");
  }
  return OkStatus();
}

Status ReadApps(const Reader& r, const YAML::Node& node, const std::string& path,
                std::vector<AppSpec>* apps) {
  return r.List(node, path, "apps", ReadApp, apps);
}

// `key: {free, first_delay, max_delay}` of an auth::AttemptLimiter.
Field AttemptLimitsSection(const Reader& r, std::string_view key, Config::AttemptLimits* limits) {
  return r.Section(key, {r.Set("free", &limits->free, IntIn(0, 1'000)),
                         r.Set("first_delay", &limits->first_delay_ms, DurationIn(1)),
                         r.Set("max_delay", &limits->max_delay_ms, DurationIn(1))});
}

Status ReadConfig(const Reader& r, const YAML::Node& root, Config* c) {
  TlsTarget tls{&c->tls_cert_file, &c->tls_key_file, &c->tls_self_signed};
  return r.Map(
      root, "",
      {ListenField(r, &c->listen_host, &c->listen_port), r.Set("data_dir", &c->data_dir, AnyText),
       r.Set("region", &c->region, AnyText), r.Call("tls", ReadTls, &tls),
       r.Section("auth", {r.Set("max_clock_skew", &c->max_clock_skew_ms, DurationIn(0)),
                          r.Set("session_lifetime", &c->session_lifetime_ms, DurationIn(60'000)),
                          r.Set("session_idle_timeout", &c->session_idle_ms, DurationIn(0)),
                          AttemptLimitsSection(r, "failed_attempts", &c->failed_attempts),
                          AttemptLimitsSection(r, "sign_in_attempts", &c->sign_in_attempts)}),
       r.Section("encryption", {r.Set("metrics", &c->encryption.metrics, ParseBool),
                                r.Set("logs", &c->encryption.logs, ParseBool)}),
       r.Section("tsdb",
                 {r.Set("retention", &c->retention_ms, DurationIn(0)),
                  r.Set("max_sample_age", &c->max_sample_age_ms, DurationIn(0)),
                  r.Set("rollup_sketch_accuracy", &c->rollup_sketch_accuracy, SketchAccuracy),
                  r.Set("block_range", &c->block_range_ms, DurationIn(0)),
                  r.Set("head_chunk_memory", &c->head_chunk_bytes, HeadChunkBytes),
                  r.Call("rollups", ReadRollups, &c->rollups)}),
       r.Section("alarms", {r.Set("webhook_timeout", &c->alarms.webhook_timeout_ms, DurationIn(1)),
                            r.Set("webhook_ca_file", &c->alarms.webhook_ca_file, NonEmptyText),
                            r.Set("action_attempts", &c->alarms.action_attempts, IntIn(1, 20))}),
       r.Section("remote_write",
                 {r.Set("namespace", &c->remote_write_namespace, AnyText),
                  r.Set("allow_unsigned", &c->remote_write_allow_unsigned, ParseBool)}),
       r.Section("http", {r.Set("io_threads", &c->io_threads, IntIn(1, 256)),
                          r.Set("worker_threads", &c->worker_threads, IntIn(1, 1024))}),
       r.Section("load_balancer",
                 {r.Set("threads", &c->load_balancer.threads, ThreadsOrAuto),
                  r.Set("connect_timeout", &c->load_balancer.connect_timeout_ms, DurationIn(1)),
                  r.Set("stall_timeout", &c->load_balancer.stall_timeout_ms, DurationIn(1)),
                  r.Set("response_timeout", &c->load_balancer.response_timeout_ms, DurationIn(1)),
                  r.Set("idle_timeout", &c->load_balancer.idle_timeout_ms, DurationIn(1)),
                  r.Set("max_attempts", &c->load_balancer.max_attempts, IntIn(1, 10)),
                  r.Set("retry_buffer", &c->load_balancer.retry_buffer_bytes, RetryBufferBytes)}),
       r.Call("apps", ReadApps, &c->apps), r.Call("canaries", ReadCanaries, &c->canaries)});
}

// ---- Rules between apps.

std::string HostPort(const std::string& host, uint16_t port) {
  const bool v6 = host.find(':') != std::string::npos;
  return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

// Whether two listeners would fight over a port; a wildcard host takes the port on every
// address. An empty host is no listener (an app without a load balancer); port 0 is a free
// port picked at bind time: neither is ever a conflict.
bool Overlap(const std::string& h1, uint16_t p1, const std::string& h2, uint16_t p2) {
  auto wildcard = [](const std::string& h) { return h == "0.0.0.0" || h == "::"; };
  if (h1.empty() || h2.empty() || p1 == 0 || p1 != p2) return false;
  return h1 == h2 || wildcard(h1) || wildcard(h2);
}

std::optional<ListConflict> FindAppConflict(const Config& c) {
  for (size_t i = 0; i < c.apps.size(); ++i) {
    const AppSpec& a = c.apps[i];
    const std::string conflicts =
        "listen address " + HostPort(a.listen_host, a.listen_port) + " conflicts with ";
    for (size_t j = 0; j < i; ++j) {
      const AppSpec& b = c.apps[j];
      const std::string other = "apps[" + std::to_string(j) + "]";
      if (a.name == b.name) {
        return ListConflict{"apps", i, "name", "duplicate app name (also " + other + ")"};
      }
      if (Overlap(a.listen_host, a.listen_port, b.listen_host, b.listen_port)) {
        return ListConflict{"apps", i, "listen", conflicts + other + " ('" + b.name + "')"};
      }
    }
    if (Overlap(a.listen_host, a.listen_port, c.listen_host, c.listen_port)) {
      return ListConflict{"apps", i, "listen", conflicts + "the server's own listen address"};
    }
  }
  return std::nullopt;
}

std::string ConflictPath(const ListConflict& conflict) {
  return conflict.list + "[" + std::to_string(conflict.index) + "]." + conflict.key;
}

}  // namespace

Status ParseListen(const std::string& text, std::string* host, uint16_t* port) {
  size_t colon = text.rfind(':');
  std::string h = colon == std::string::npos ? "" : text.substr(0, colon);
  if (h.size() >= 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
  if (h.empty()) return Expected("listen address must be HOST:PORT", text);
  ASSIGN_OR_RETURN(int64_t p, ParseInt(text.substr(colon + 1), 0, 65535, "listen port"));
  *host = h;
  *port = static_cast<uint16_t>(p);
  return OkStatus();
}

Status ApplyYaml(const std::string& yaml, const std::string& source_name, Config* config) {
  const Reader r(source_name);
  Config next = *config;
  try {
    const YAML::Node root = YAML::Load(yaml);
    if (!root.IsNull()) RETURN_IF_ERROR(ReadConfig(r, root, &next));
    // After the whole file: a top-level `listen:` may come after `apps:`, and `apps:` after
    // the `canaries:` that name them.
    std::optional<ListConflict> conflict = FindAppConflict(next);
    if (!conflict) conflict = FindCanaryConflict(next);
    if (conflict) {
      YAML::Mark mark = YAML::Mark::null_mark();  // for entries not from this document
      const YAML::Node list = root.IsMap() ? root[conflict->list] : YAML::Node();
      if (list && list.IsSequence() && conflict->index < list.size()) {
        if (const YAML::Node value = list[conflict->index][conflict->key]) mark = value.Mark();
      }
      return r.ErrorAt(mark, ConflictPath(*conflict), conflict->message);
    }
  } catch (const YAML::ParserException& e) {
    return r.ErrorAt(e.mark, "YAML syntax error", e.msg);
  } catch (const YAML::Exception& e) {  // not expected: Reader only makes non-throwing calls
    return r.ErrorAt(e.mark, "", e.msg);
  }
  *config = std::move(next);
  return OkStatus();
}

Status ValidateApps(const Config& config) {
  std::optional<ListConflict> conflict = FindAppConflict(config);
  if (!conflict) return OkStatus();
  return InvalidArgumentError(ConflictPath(*conflict) + ": " + conflict->message);
}

Status ParseServerFlags(const std::vector<std::string>& args, Config* config) {
  static constexpr const char* kUsage =
      "usage: vigil server [--config FILE] [--data-dir DIR] [--listen HOST:PORT] [--ui-dir DIR]\n"
      "                    [--tls-cert FILE --tls-key FILE | --tls-self-signed]";
  // --config first, so that flags given alongside it override the file.
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--config" || args[i] == "-c") {
      if (i + 1 >= args.size()) return InvalidArgumentError(kUsage);
      std::string text;
      RETURN_IF_ERROR(ReadText(args[i + 1], &text));
      RETURN_IF_ERROR(ApplyYaml(text, args[i + 1], config));
    }
  }
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    bool has_value = i + 1 < args.size();
    if (a == "--config" || a == "-c") {
      ++i;
    } else if (a == "--data-dir" && has_value) {
      config->data_dir = args[++i];
    } else if (a == "--ui-dir" && has_value) {
      config->ui_dir = args[++i];
    } else if (a == "--listen" && has_value) {
      RETURN_IF_ERROR(ParseListen(args[++i], &config->listen_host, &config->listen_port));
    } else if (a == "--tls-cert" && has_value) {
      config->tls_cert_file = args[++i];
      config->tls_self_signed = false;
    } else if (a == "--tls-key" && has_value) {
      config->tls_key_file = args[++i];
      config->tls_self_signed = false;
    } else if (a == "--tls-self-signed") {
      config->tls_self_signed = true;
      config->tls_cert_file.clear();
      config->tls_key_file.clear();
    } else {
      return InvalidArgumentError(std::string("unexpected argument '") + a + "'\n" + kUsage);
    }
  }
  if (config->tls_cert_file.empty() != config->tls_key_file.empty()) {
    return InvalidArgumentError(std::string("--tls-cert and --tls-key go together\n") + kUsage);
  }
  return ValidateApps(*config);  // --listen may have moved onto an app's listen address
}

StatusOr<AppSpec> ParseManifest(const AppSpec& app, const std::string& text,
                                const std::string& bundle_dir, const std::string& source) {
  Reader r(source);
  AppSpec spec = app;
  std::vector<std::string> command;
  std::vector<std::pair<std::string, std::string>> env;
  try {
    const YAML::Node root = YAML::Load(text);
    if (!root.IsMap()) return r.Error(root, "", "expected a mapping with at least 'command'");
    RETURN_IF_ERROR(r.Map(root, "",
                          {r.Call("command", ReadCommand, &command), r.Call("env", ReadEnv, &env),
                           r.Call("health_check", ReadCheck, &spec.readiness),
                           r.Call("liveness_check", ReadCheck, &spec.liveness),
                           r.Set("metrics_path", &spec.metrics_path, UrlPath),
                           r.Set("stop_timeout", &spec.stop_timeout_ms, DurationIn(0)),
                           r.Set("drain_timeout", &spec.drain_timeout_ms, DurationIn(0)),
                           r.Set("min_uptime", &spec.min_uptime_ms, DurationIn(0))}));
    if (command.empty()) return r.Error(root, "", "missing required key 'command'");
  } catch (const YAML::ParserException& e) {
    return r.ErrorAt(e.mark, "YAML syntax error", e.msg);
  } catch (const YAML::Exception& e) {
    return r.ErrorAt(e.mark, "", e.msg);
  }
  spec.command = std::move(command);
  spec.working_dir = bundle_dir;
  for (auto& [name, value] : env) {
    auto same = [&](const auto& kv) { return kv.first == name; };
    std::erase_if(spec.env, same);
    spec.env.emplace_back(std::move(name), std::move(value));
  }
  // A program of the bundle must be there and runnable; one found on PATH is the fleet's to
  // check when it starts.
  const std::string& program = spec.command[0];
  if (program.find('/') != std::string::npos) {
    const std::string path = program[0] == '/' ? program : bundle_dir + "/" + program;
    if (::access(path.c_str(), X_OK) != 0) {
      return InvalidArgumentError(source + ": command: cannot run '" + program +
                                  "': " + std::strerror(errno));
    }
  }
  return spec;
}

}  // namespace vigil::server
