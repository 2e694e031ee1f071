#include "server/config.h"

#include <yaml-cpp/yaml.h>

#include <charconv>
#include <fstream>
#include <functional>
#include <optional>
#include <set>
#include <sstream>
#include <string_view>
#include <tuple>
#include <utility>

namespace vigil::server {
namespace {

using fleet::AppSpec;
using fleet::CheckSpec;

Status ReadText(const std::string& path, std::string* out) {
  std::ifstream in(path);
  if (!in) return InvalidArgumentError("cannot read config file " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  *out = ss.str();
  return OkStatus();
}

// ---- Scalar parsers: text -> value, or InvalidArgument saying what was expected. They do not
// know where the text came from; Reader::Value puts the position and key path in front.

// InvalidArgument "WHAT, got 'TEXT'".
Status Expected(const std::string& what, const std::string& text) {
  return InvalidArgumentError(what + ", got '" + text + "'");
}

StatusOr<std::string> AnyText(const std::string& t) { return t; }

StatusOr<std::string> NonEmptyText(const std::string& t) {
  if (t.empty()) return InvalidArgumentError("must not be empty");
  return t;
}

StatusOr<std::string> UrlPath(const std::string& t) {
  if (!t.empty() && t[0] == '/') return t;
  return Expected("expected a path starting with '/'", t);
}

StatusOr<bool> ParseBool(const std::string& t) {
  if (t == "true" || t == "yes" || t == "on") return true;
  if (t == "false" || t == "no" || t == "off") return false;
  return Expected("expected true or false", t);
}

StatusOr<std::pair<std::string, uint16_t>> ListenAddress(const std::string& t) {
  std::pair<std::string, uint16_t> host_port;
  RETURN_IF_ERROR(ParseListen(t, &host_port.first, &host_port.second));
  return host_port;
}

// 90000 -> "90s": in the largest unit that divides `ms` exactly.
std::string FormatMillis(int64_t ms) {
  static constexpr std::pair<int64_t, const char*> kUnits[] = {
      {86'400'000, "d"}, {3'600'000, "h"}, {60'000, "m"}, {1000, "s"}};
  for (const auto& [n, unit] : kUnits) {
    if (ms != 0 && ms % n == 0) return std::to_string(ms / n) + unit;
  }
  return std::to_string(ms) + "ms";
}

// A parser of durations (ParseDurationMillis) within [min_ms, max_ms].
auto DurationIn(int64_t min_ms, int64_t max_ms = INT64_MAX) {
  return [=](const std::string& t) -> StatusOr<int64_t> {
    StatusOr<int64_t> ms = ParseDurationMillis(t);
    if (!ms.ok()) return Expected("expected a duration such as 500ms or 2s", t);
    if (*ms < min_ms) return Expected("must be at least " + FormatMillis(min_ms), t);
    if (*ms > max_ms) return Expected("must be at most " + FormatMillis(max_ms), t);
    return ms;
  };
}

// A parser of integers within [min, max].
auto IntIn(int64_t min, int64_t max) {
  return [=](const std::string& t) -> StatusOr<int64_t> {
    StatusOr<int64_t> v = ParseInt(t, min, max, "");
    if (v.ok()) return v;
    return Expected(
        "expected an integer in [" + std::to_string(min) + ", " + std::to_string(max) + "]", t);
  };
}

// A decimal number ("0.05", "5e-2"), locale-independent; nullopt for anything else.
std::optional<double> ParseNumber(std::string_view t) {
  double v = 0;
  auto [ptr, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
  if (t.empty() || ec != std::errc() || ptr != t.data() + t.size()) return std::nullopt;
  return v;
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

bool IsAlnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

StatusOr<std::string> AppName(const std::string& t) {
  bool ok = !t.empty() && t.size() <= 64 && IsAlnum(t[0]);
  for (char c : t) ok = ok && (IsAlnum(c) || c == '_' || c == '-');
  if (ok) return t;
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

// ---- Reading nodes.

std::string KindName(const YAML::Node& node) {
  if (node.IsScalar()) return "'" + node.Scalar() + "'";
  if (node.IsSequence()) return "a list";
  return node.IsMap() ? "a mapping" : "nothing";
}

// A known key of a mapping and what reads its value (at `path`, "section.key").
struct Field {
  std::string_view key;
  std::function<Status(const YAML::Node& value, const std::string& path)> read;
};

// Reads the nodes of one document into typed values. Every error it returns is InvalidArgument
// made by ErrorAt. It makes only yaml-cpp calls that do not throw.
class Reader {
 public:
  // A reader of a node of kind T at a path, into *out.
  template <typename T>
  using ReadFn = Status (*)(const Reader&, const YAML::Node&, const std::string& path, T* out);

  // `source` names the document in messages and must outlive the Reader.
  explicit Reader(const std::string& source) : source_(source) {}

  // The one place a config error is written: "SOURCE:LINE:COLUMN: PATH: MESSAGE", 1-based
  // (yaml-cpp's marks are 0-based). A null mark (a value not from this document) leaves out
  // "LINE:COLUMN:", an empty path leaves out "PATH: ".
  Status ErrorAt(const YAML::Mark& mark, const std::string& path, const std::string& msg) const {
    std::string m = source_ + ":";
    if (!mark.is_null()) {
      m += std::to_string(mark.line + 1) + ":" + std::to_string(mark.column + 1) + ":";
    }
    return InvalidArgumentError(m + " " + (path.empty() ? "" : path + ": ") + msg);
  }
  Status Error(const YAML::Node& node, const std::string& path, const std::string& msg) const {
    return ErrorAt(node.Mark(), path, msg);
  }

  // A scalar's text; an error for any other kind of node, an empty value included.
  StatusOr<std::string> Text(const YAML::Node& node, const std::string& path) const {
    if (node.IsScalar()) return node.Scalar();
    if (node.IsNull()) return Error(node, path, "missing value");
    return Error(node, path, "expected a single value, got " + KindName(node));
  }

  // parse(text of node), with parse's error placed at the node.
  template <typename Parse>
  auto Value(const YAML::Node& node, const std::string& path, const Parse& parse) const
      -> decltype(parse(std::string())) {
    ASSIGN_OR_RETURN(std::string text, Text(node, path));
    auto value = parse(text);
    if (!value.ok()) return Error(node, path, value.status().message());
    return value;
  }

  // Fields, for Map. Whatever they write to must outlive them.
  // `key: scalar`, stored as parse(scalar) in *out.
  template <typename T, typename Parse>
  Field Set(std::string_view key, T* out, Parse parse) const {
    return {key, [this, out, parse](const YAML::Node& v, const std::string& p) -> Status {
              ASSIGN_OR_RETURN(*out, Value(v, p, parse));
              return OkStatus();
            }};
  }
  // `key: anything`, read by read(*this, value, path, out).
  template <typename T>
  Field Call(std::string_view key, ReadFn<T> read, T* out) const {
    return {key, [this, read, out](const YAML::Node& v, const std::string& p) {
              return read(*this, v, p, out);
            }};
  }
  // `key: {fields}`.
  Field Section(std::string_view key, std::vector<Field> fields) const {
    return {key, [this, fields = std::move(fields)](const YAML::Node& v, const std::string& p) {
              return Map(v, p, fields);
            }};
  }

  using EntryFn = std::function<Status(const std::string& key, const YAML::Node& key_node,
                                       const YAML::Node& value, const std::string& path)>;
  // Calls read for each entry of a mapping in file order, with path "path.key"; stops at its
  // first error. Errors for another kind of node, a key that is not a scalar, a repeated key
  // and a key without a value.
  Status Entries(const YAML::Node& node, const std::string& path, const EntryFn& read) const {
    if (!node.IsMap()) return Error(node, path, "expected a mapping, got " + KindName(node));
    std::set<std::string> seen;
    for (const auto& kv : node) {
      if (!kv.first.IsScalar()) return Error(kv.first, path, "expected a plain key");
      const std::string& key = kv.first.Scalar();
      const std::string sub = path.empty() ? key : path + "." + key;
      if (!seen.insert(key).second) return Error(kv.first, sub, "key given twice");
      // No key takes an empty value, and yaml-cpp marks one at the next token: point at the key.
      if (kv.second.IsNull()) return Error(kv.first, sub, "missing value");
      RETURN_IF_ERROR(read(key, kv.first, kv.second, sub));
    }
    return OkStatus();
  }

  // A mapping whose keys must all be among `fields`; absent keys are left alone.
  Status Map(const YAML::Node& node, const std::string& path,
             const std::vector<Field>& fields) const {
    return Entries(node, path,
                   [&](const std::string& key, const YAML::Node& key_node, const YAML::Node& value,
                       const std::string& sub) -> Status {
                     std::string known;
                     for (const Field& f : fields) {
                       if (f.key == key) return f.read(value, sub);
                       known += (known.empty() ? "" : ", ") + std::string(f.key);
                     }
                     return Error(key_node, sub, "unknown key (expected one of: " + known + ")");
                   });
  }

  // A list read item by item into *out (replacing its contents), with paths "path[i]";
  // `items` names what the list holds, for an error.
  template <typename T>
  Status List(const YAML::Node& node, const std::string& path, const std::string& items,
              ReadFn<T> read, std::vector<T>* out) const {
    if (!node.IsSequence()) {
      return Error(node, path, "expected a list of " + items + ", got " + KindName(node));
    }
    out->clear();
    for (const YAML::Node& item : node) {
      T value{};
      RETURN_IF_ERROR(read(*this, item, path + "[" + std::to_string(out->size()) + "]", &value));
      out->push_back(std::move(value));
    }
    return OkStatus();
  }

 private:
  const std::string& source_;
};

// ---- The sections.

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
             r.Set("consecutive_5xx", &a->consecutive_5xx, IntIn(0, 1000))}));
  if (a->name.empty()) return r.Error(node, path, "missing required key 'name'");
  if (a->command.empty()) return r.Error(node, path, "missing required key 'command'");
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

Status ReadConfig(const Reader& r, const YAML::Node& root, Config* c) {
  return r.Map(root, "",
               {ListenField(r, &c->listen_host, &c->listen_port),
                r.Set("data_dir", &c->data_dir, AnyText), r.Set("region", &c->region, AnyText),
                r.Section("auth", {r.Set("max_clock_skew", &c->max_clock_skew_ms, DurationIn(0))}),
                r.Section("tsdb", {r.Set("retention", &c->retention_ms, DurationIn(0)),
                                   r.Set("max_sample_age", &c->max_sample_age_ms, DurationIn(0)),
                                   r.Set("rollup_sketch_accuracy", &c->rollup_sketch_accuracy,
                                         SketchAccuracy),
                                   r.Set("block_range", &c->block_range_ms, DurationIn(0)),
                                   r.Set("head_chunk_memory", &c->head_chunk_bytes, HeadChunkBytes),
                                   r.Call("rollups", ReadRollups, &c->rollups)}),
                r.Section("remote_write",
                          {r.Set("namespace", &c->remote_write_namespace, AnyText),
                           r.Set("allow_unsigned", &c->remote_write_allow_unsigned, ParseBool)}),
                r.Section("http", {r.Set("io_threads", &c->io_threads, IntIn(1, 256)),
                                   r.Set("worker_threads", &c->worker_threads, IntIn(1, 1024))}),
                r.Section("load_balancer",
                          {r.Set("threads", &c->load_balancer.threads, IntIn(1, 256)),
                           r.Set("connect_timeout", &c->load_balancer.connect_timeout_ms,
                                 DurationIn(1)),
                           r.Set("stall_timeout", &c->load_balancer.stall_timeout_ms,
                                 DurationIn(1)),
                           r.Set("response_timeout", &c->load_balancer.response_timeout_ms,
                                 DurationIn(1)),
                           r.Set("idle_timeout", &c->load_balancer.idle_timeout_ms, DurationIn(1)),
                           r.Set("max_attempts", &c->load_balancer.max_attempts, IntIn(1, 10)),
                           r.Set("retry_buffer", &c->load_balancer.retry_buffer_bytes,
                                 RetryBufferBytes)}),
                r.Call("apps", ReadApps, &c->apps)});
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

struct AppConflict {
  size_t app = 0;        // index of the later app
  const char* key = "";  // "name" or "listen"
  std::string message;
};

std::optional<AppConflict> FindAppConflict(const Config& c) {
  for (size_t i = 0; i < c.apps.size(); ++i) {
    const AppSpec& a = c.apps[i];
    const std::string conflicts =
        "listen address " + HostPort(a.listen_host, a.listen_port) + " conflicts with ";
    for (size_t j = 0; j < i; ++j) {
      const AppSpec& b = c.apps[j];
      const std::string other = "apps[" + std::to_string(j) + "]";
      if (a.name == b.name) {
        return AppConflict{i, "name", "duplicate app name (also " + other + ")"};
      }
      if (Overlap(a.listen_host, a.listen_port, b.listen_host, b.listen_port)) {
        return AppConflict{i, "listen", conflicts + other + " ('" + b.name + "')"};
      }
    }
    if (Overlap(a.listen_host, a.listen_port, c.listen_host, c.listen_port)) {
      return AppConflict{i, "listen", conflicts + "the server's own listen address"};
    }
  }
  return std::nullopt;
}

std::string ConflictPath(const AppConflict& conflict) {
  return "apps[" + std::to_string(conflict.app) + "]." + conflict.key;
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
    // After the whole file: a top-level `listen:` may come after `apps:`.
    if (std::optional<AppConflict> conflict = FindAppConflict(next)) {
      YAML::Mark mark = YAML::Mark::null_mark();  // for apps not from this document
      const YAML::Node apps = root.IsMap() ? root["apps"] : YAML::Node();
      if (apps && apps.IsSequence() && conflict->app < apps.size()) {
        if (const YAML::Node value = apps[conflict->app][conflict->key]) mark = value.Mark();
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
  std::optional<AppConflict> conflict = FindAppConflict(config);
  if (!conflict) return OkStatus();
  return InvalidArgumentError(ConflictPath(*conflict) + ": " + conflict->message);
}

Status ParseServerFlags(const std::vector<std::string>& args, Config* config) {
  static constexpr const char* kUsage =
      "usage: vigil server [--config FILE] [--data-dir DIR] [--listen HOST:PORT]";
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
    } else if (a == "--listen" && has_value) {
      RETURN_IF_ERROR(ParseListen(args[++i], &config->listen_host, &config->listen_port));
    } else {
      return InvalidArgumentError(std::string("unexpected argument '") + a + "'\n" + kUsage);
    }
  }
  return ValidateApps(*config);  // --listen may have moved onto an app's listen address
}

}  // namespace vigil::server
