// `vigil metrics list|stats|query`: CloudWatch calls (JSON 1.0 protocol) shown as tables.
#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdlib>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>

#include "api/text.h"
#include "auth/auth.h"
#include "cli/cli.h"
#include "cli/common.h"
#include "common/units.h"
#include "http/client.h"

namespace vigil::cli {

const char* const kMetricsUsage =
    "usage: vigil metrics <command> [options]\n"
    "\n"
    "commands:\n"
    "  list   [--namespace NS] [--metric NAME] [--dimension NAME[=VALUE]]...\n"
    "         the metrics the server holds\n"
    "  stats  --namespace NS --metric NAME [--dimension NAME=VALUE]...\n"
    "         [--stat Average,Maximum,p99] [--period 60]\n"
    "         statistics of one metric per period\n"
    "  query  EXPRESSION [--period 60]\n"
    "         metric math or a Metrics Insights query, e.g.\n"
    "         \"SELECT AVG(Latency) FROM Shop GROUP BY Host ORDER BY AVG() DESC LIMIT 5\"\n"
    "\n"
    "time range (stats, query): --since 1h (default), or --start TIME --end TIME\n"
    "                           (ISO 8601, e.g. 2026-11-25T10:00:00Z, or epoch seconds)\n"
    "common: --endpoint URL    the server (default $VIGIL_ENDPOINT or http://127.0.0.1:4510)\n"
    "        --data-dir DIR    whose credentials file to use (default ./vigil-data; the\n"
    "                          AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY variables win)\n"
    "        --region REGION   signing region (default us-east-1)\n"
    "        --ca-bundle FILE  for https: trust the CAs in FILE too (default $AWS_CA_BUNDLE)\n"
    "        --output FORMAT   table (default) or json\n";

namespace {

using Json = nlohmann::json;

struct Options : CommonOptions {
  std::string command;
  std::optional<std::string> ns, metric, expression;
  std::vector<std::pair<std::string, std::optional<std::string>>> dimensions;
  std::vector<std::string> stats = {"Average"};
  int64_t period_s = 60;
  int64_t since_ms = 3'600'000;
  std::optional<int64_t> start_ms, end_ms;
};

std::vector<std::string> Split(const std::string& text, char sep) {
  std::vector<std::string> out;
  size_t begin = 0;
  while (begin <= text.size()) {
    const size_t end = std::min(text.find(sep, begin), text.size());
    if (end > begin) out.push_back(text.substr(begin, end - begin));
    begin = end + 1;
  }
  return out;
}

StatusOr<Options> ParseArgs(const std::vector<std::string>& args) {
  Options o;
  if (args.empty()) return InvalidArgumentError("missing command");
  o.command = args[0];
  if (o.command != "list" && o.command != "stats" && o.command != "query") {
    return InvalidArgumentError("unknown command '" + o.command + "'");
  }
  for (size_t i = 1; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a.rfind("--", 0) != 0) {
      if (o.command != "query" || o.expression) {
        return InvalidArgumentError("unexpected argument '" + a + "'");
      }
      o.expression = a;
      continue;
    }
    if (i + 1 == args.size()) return InvalidArgumentError(a + " needs a value");
    const std::string& v = args[++i];
    ASSIGN_OR_RETURN(const bool common, o.Take(a, v));
    if (common) continue;
    if (a == "--namespace") {
      o.ns = v;
    } else if (a == "--metric") {
      o.metric = v;
    } else if (a == "--dimension") {
      const size_t eq = v.find('=');
      if (eq == 0) return InvalidArgumentError("--dimension wants NAME or NAME=VALUE");
      o.dimensions.emplace_back(v.substr(0, eq), eq == std::string::npos
                                                     ? std::nullopt
                                                     : std::optional(v.substr(eq + 1)));
    } else if (a == "--stat") {
      o.stats = Split(v, ',');
      if (o.stats.empty()) return InvalidArgumentError("--stat wants e.g. Average,p99");
    } else if (a == "--period") {
      ASSIGN_OR_RETURN(o.period_s, ParseInt(v, 1, 86'400 * 455, "--period (seconds)"));
    } else if (a == "--since") {
      ASSIGN_OR_RETURN(o.since_ms, ParseDurationMillis(v));
    } else if (a == "--start" || a == "--end") {
      const std::optional<int64_t> t = api::ParseTimestamp(v);
      if (!t) return InvalidArgumentError(a + ": not a time: '" + v + "'");
      (a == "--start" ? o.start_ms : o.end_ms) = *t;
    } else {
      return InvalidArgumentError("unknown option " + a);
    }
  }
  if (o.command == "stats" && (!o.ns || !o.metric)) {
    return InvalidArgumentError("stats needs --namespace and --metric");
  }
  if (o.command == "query" && !o.expression) return InvalidArgumentError("query needs EXPRESSION");
  if (o.start_ms.has_value() != o.end_ms.has_value()) {
    return InvalidArgumentError("--start and --end go together");
  }
  return o;
}

std::string Number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.10g", v);
  return buf;
}

std::string Dimensions(const Json& dims) {
  std::string out;
  for (const Json& d : dims) {
    if (!out.empty()) out += ',';
    out += d.value("Name", "") + "=" + d.value("Value", "");
  }
  return out;
}

Json DimensionsJson(const Options& o) {
  Json dims = Json::array();
  for (const auto& [name, value] : o.dimensions) {
    Json d = {{"Name", name}};
    if (value) d["Value"] = *value;
    dims.push_back(std::move(d));
  }
  return dims;
}

// The request's window in epoch seconds: [start, end).
std::pair<int64_t, int64_t> Window(const Options& o) {
  if (o.start_ms) return {*o.start_ms / 1000, *o.end_ms / 1000};
  // The end is exclusive: the next whole second, so samples of the current one count.
  const int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count() +
                      1;
  return {now - o.since_ms / 1000, now};
}

Status List(const Options& o, ServerClient& cw, std::FILE* out) {
  Json input = Json::object();
  if (o.ns) input["Namespace"] = *o.ns;
  if (o.metric) input["MetricName"] = *o.metric;
  if (!o.dimensions.empty()) input["Dimensions"] = DimensionsJson(o);
  Json all = Json::array();
  while (true) {
    ASSIGN_OR_RETURN(Json page, cw.Call("ListMetrics", input));
    for (Json& m : page["Metrics"]) all.push_back(std::move(m));
    if (!page.contains("NextToken")) break;
    input["NextToken"] = page["NextToken"];
  }
  if (o.json) {
    std::fprintf(out, "%s\n", Json{{"Metrics", all}}.dump(2).c_str());
    return OkStatus();
  }
  std::vector<std::vector<std::string>> rows = {{"NAMESPACE", "METRIC", "DIMENSIONS"}};
  for (const Json& m : all) {
    rows.push_back({m.value("Namespace", ""), m.value("MetricName", ""),
                    Dimensions(m.value("Dimensions", Json::array()))});
  }
  PrintTable(rows, out);
  std::fprintf(out, "%zu metric%s\n", all.size(), all.size() == 1 ? "" : "s");
  return OkStatus();
}

Status Stats(const Options& o, ServerClient& cw, std::FILE* out) {
  const auto [start, end] = Window(o);
  Json input = {{"Namespace", *o.ns},
                {"MetricName", *o.metric},
                {"StartTime", start},
                {"EndTime", end},
                {"Period", o.period_s}};
  if (!o.dimensions.empty()) input["Dimensions"] = DimensionsJson(o);
  std::vector<std::string> simple, extended;
  for (const std::string& s : o.stats) {
    (s.size() > 1 && (s[0] == 'p' || s[0] == 'P') && std::isdigit(s[1]) ? extended : simple)
        .push_back(s);
  }
  if (!simple.empty()) input["Statistics"] = simple;
  if (!extended.empty()) input["ExtendedStatistics"] = extended;
  ASSIGN_OR_RETURN(Json answer, cw.Call("GetMetricStatistics", input));
  Json points = answer.value("Datapoints", Json::array());
  std::sort(points.begin(), points.end(), [](const Json& a, const Json& b) {
    return Millis(a["Timestamp"]) < Millis(b["Timestamp"]);
  });
  if (o.json) {
    std::fprintf(
        out, "%s\n",
        Json{{"Label", answer.value("Label", "")}, {"Datapoints", points}}.dump(2).c_str());
    return OkStatus();
  }
  std::vector<std::vector<std::string>> rows(1);
  rows[0].push_back("TIME");
  for (const std::string& s : o.stats) rows[0].push_back(s);
  rows[0].push_back("UNIT");
  for (const Json& p : points) {
    std::vector<std::string>& row = rows.emplace_back();
    row.push_back(api::FormatIsoTimestamp(Millis(p["Timestamp"])));
    for (const std::string& s : o.stats) {
      const Json* v = p.contains(s) ? &p[s] : nullptr;
      if (v == nullptr && p.contains("ExtendedStatistics") && p["ExtendedStatistics"].contains(s)) {
        v = &p["ExtendedStatistics"][s];
      }
      row.push_back(v != nullptr && v->is_number() ? Number(v->get<double>()) : "-");
    }
    row.push_back(p.value("Unit", ""));
  }
  PrintTable(rows, out);
  return OkStatus();
}

Status Query(const Options& o, ServerClient& cw, std::FILE* out) {
  const auto [start, end] = Window(o);
  Json input = {
      {"MetricDataQueries", {{{"Id", "q"}, {"Expression", *o.expression}, {"Period", o.period_s}}}},
      {"StartTime", start},
      {"EndTime", end},
      {"ScanBy", "TimestampAscending"}};
  // Series by label, in the server's order; pages continue a series where the last one ended.
  std::vector<std::string> labels;
  std::map<std::string, std::map<int64_t, double>> series;
  while (true) {
    ASSIGN_OR_RETURN(Json page, cw.Call("GetMetricData", input));
    for (const Json& r : page["MetricDataResults"]) {
      const std::string label = r.value("Label", "");
      if (!series.contains(label)) labels.push_back(label);
      std::map<int64_t, double>& points = series[label];
      const Json& ts = r["Timestamps"];
      const Json& vs = r["Values"];
      for (size_t i = 0; i < ts.size() && i < vs.size(); ++i) {
        points[Millis(ts[i])] = vs[i].get<double>();
      }
    }
    if (!page.contains("NextToken")) break;
    input["NextToken"] = page["NextToken"];
  }
  if (o.json) {
    Json results = Json::array();
    for (const std::string& label : labels) {
      Json r = {{"Label", label}, {"Timestamps", Json::array()}, {"Values", Json::array()}};
      for (const auto& [t, v] : series[label]) {
        r["Timestamps"].push_back(api::FormatIsoTimestamp(t));
        r["Values"].push_back(v);
      }
      results.push_back(std::move(r));
    }
    std::fprintf(out, "%s\n", Json{{"Results", results}}.dump(2).c_str());
    return OkStatus();
  }
  // One row per timestamp, one column per series.
  std::set<int64_t> times;
  for (const auto& [label, points] : series) {
    for (const auto& [t, v] : points) times.insert(t);
  }
  std::vector<std::vector<std::string>> rows(1);
  rows[0].push_back("TIME");
  for (const std::string& label : labels) rows[0].push_back(label.empty() ? "q" : label);
  for (const int64_t t : times) {
    std::vector<std::string>& row = rows.emplace_back();
    row.push_back(api::FormatIsoTimestamp(t));
    for (const std::string& label : labels) {
      const auto& points = series[label];
      const auto it = points.find(t);
      row.push_back(it == points.end() ? "-" : Number(it->second));
    }
  }
  PrintTable(rows, out);
  if (labels.empty()) std::fprintf(out, "no series matched\n");
  return OkStatus();
}

}  // namespace

int RunMetrics(const std::vector<std::string>& args, std::FILE* out, std::FILE* err) {
  return RunClientCommand<Options>(
      "metrics", kMetricsUsage, args, ParseArgs,
      [&](const Options& o, ServerClient& server) {
        return o.command == "list"    ? List(o, server, out)
               : o.command == "stats" ? Stats(o, server, out)
                                      : Query(o, server, out);
      },
      out, err);
}

}  // namespace vigil::cli
