// vigil_bench_tsdb: generates the benchmark fleet and loads or queries one server with it.
// bench/tsdb/run.sh drives it; bench/README.md describes the benchmark. Each mode prints a
// human line and one machine-readable `RESULT key=value ...` line on stdout.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>

#include "bench/tsdb/driver.h"
#include "bench/tsdb/encoders.h"
#include "bench/tsdb/fleet_source.h"
#include "bench/tsdb/http_load.h"
#include "bench/tsdb/in_process.h"

namespace vigil::bench {
namespace {

constexpr char kUsage[] = R"(usage:
  vigil_bench_tsdb load remote-write|put-metric-data|vm-import URL [options]
  vigil_bench_tsdb in-process DIR [options]
  vigil_bench_tsdb query vigil|promql URL [options]
  vigil_bench_tsdb info [options]
  vigil_bench_tsdb rollup-cost BLOCKS_DIR [--accuracy A (0.02)]
data:    --series N (10000)  --hours H (24)  --end-ms MS (now, minute aligned)  --kind K
         (counter|latency|gauge; default all)  --from-step A  --to-step B
load:    --connections C (4)  --request-samples S (20000; put-metric-data: 1000 datums)
         --namespace NS (put-metric-data: Fleet; query: Prometheus, remote-write's default)
         --gzip-level L (1)  --access-key ID --secret-key KEY --region R (sign when given)
         --prebuild (build every request body before the clock starts; time only sending)
query:   --query-series I (0)  --reps N (200)  --warmup N (20)  --cache (VictoriaMetrics)
         --q2 (the counters' rates by job instead of q1)  --q3 (q1 at a 1-hour period)
rollup-cost: rolls every raw block of a Vigil store up to 5-minute and 1-hour tiers in a scratch
         directory and prints their bytes against the raw blocks'
)";

struct Args {
  std::vector<std::string> positional;
  std::map<std::string, std::string> flags;
  std::string Get(const std::string& name, const std::string& def) const {
    auto it = flags.find(name);
    return it == flags.end() ? def : it->second;
  }
  bool Has(const std::string& name) const { return flags.count(name) != 0; }
  int64_t Int(const std::string& name, int64_t def) const {
    auto it = flags.find(name);
    return it == flags.end() ? def : std::strtoll(it->second.c_str(), nullptr, 10);
  }
};

bool ParseArgs(int argc, char** argv, Args* args) {
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a.rfind("--", 0) != 0) {
      args->positional.push_back(a);
    } else if (a == "--cache" || a == "--prebuild" || a == "--q2" || a == "--q3") {
      args->flags[a] = "1";
    } else if (i + 1 < argc) {
      args->flags[a] = argv[++i];
    } else {
      return false;
    }
  }
  return !args->positional.empty();
}

int Fail(const Status& status) {
  std::fprintf(stderr, "vigil_bench_tsdb: %s\n", status.ToString().c_str());
  return 1;
}

std::optional<SigV4Credentials> Credentials(const Args& args) {
  if (!args.flags.count("--access-key") || !args.flags.count("--secret-key")) return std::nullopt;
  SigV4Credentials c;
  c.access_key_id = args.Get("--access-key", "");
  c.secret_access_key = args.Get("--secret-key", "");
  c.region = args.Get("--region", "us-east-1");
  return c;
}

DriveOptions DriveFromArgs(const Args& args, size_t default_request_samples) {
  DriveOptions d;
  d.threads = static_cast<int>(args.Int("--connections", 4));
  d.request_samples = static_cast<size_t>(
      args.Int("--request-samples", static_cast<int64_t>(default_request_samples)));
  d.from_step = args.Int("--from-step", 0);
  d.to_step = args.Int("--to-step", -1);
  return d;
}

void PrintLoad(const std::string& mode, const DriveResult& r) {
  const double rate = r.samples / r.seconds;
  std::printf(
      "%s: %llu samples in %.2f s = %.0f samples/s (%llu requests, %.1f MB sent, "
      "client CPU %.2f s)\n",
      mode.c_str(), static_cast<unsigned long long>(r.samples), r.seconds, rate,
      static_cast<unsigned long long>(r.chunks), r.bytes_sent / 1e6, r.client_cpu_seconds);
  std::printf(
      "RESULT mode=%s samples=%llu seconds=%.4f samples_per_s=%.0f requests=%llu "
      "bytes_sent=%llu client_cpu_s=%.3f\n",
      mode.c_str(), static_cast<unsigned long long>(r.samples), r.seconds, rate,
      static_cast<unsigned long long>(r.chunks), static_cast<unsigned long long>(r.bytes_sent),
      r.client_cpu_seconds);
}

int Main(int argc, char** argv) {
  Args args;
  if (!ParseArgs(argc, argv, &args)) {
    std::fputs(kUsage, stderr);
    return 2;
  }
  FleetSpec spec;
  spec.series = static_cast<size_t>(args.Int("--series", 10'000));
  spec.hours = std::strtod(args.Get("--hours", "24").c_str(), nullptr);
  const int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
  spec.end_ms = args.Int("--end-ms", now_ms / 60'000 * 60'000);
  if (spec.end_ms % 60'000 != 0) return Fail(InvalidArgumentError("--end-ms: not a whole minute"));
  if (args.flags.count("--kind")) {
    spec.only = ParseKind(args.Get("--kind", ""));
    if (!spec.only) return Fail(InvalidArgumentError("unknown --kind"));
  }
  const std::string& cmd = args.positional[0];
  if (cmd == "rollup-cost" && args.positional.size() == 2) {
    StatusOr<RollupCost> r = MeasureRollupCost(
        args.positional[1], std::strtod(args.Get("--accuracy", "0.02").c_str(), nullptr));
    if (!r.ok()) return Fail(r.status());
    std::printf(
        "rollup cost: raw %llu bytes; 5-minute tier %.1f%%, 1-hour tier %.1f%% of it (sketches "
        "%.1f%%)\n",
        static_cast<unsigned long long>(r->raw_bytes), 100.0 * r->five_min_ratio(),
        100.0 * r->hour_ratio(),
        r->raw_bytes ? 100.0 * double(r->hour_sketch_bytes) / double(r->raw_bytes) : 0.0);
    std::printf(
        "RESULT mode=rollup-cost raw_bytes=%llu rollup_5m_bytes=%llu rollup_1h_bytes=%llu "
        "rollup_5m_pct=%.2f rollup_1h_pct=%.2f\n",
        static_cast<unsigned long long>(r->raw_bytes),
        static_cast<unsigned long long>(r->five_min_bytes),
        static_cast<unsigned long long>(r->hour_bytes), 100.0 * r->five_min_ratio(),
        100.0 * r->hour_ratio());
    return 0;
  }
  FleetSource source(spec);

  if (cmd == "info") {
    // q1's default series: the middle latency series (or the middle one, without latencies).
    std::vector<size_t> latencies;
    for (size_t i = 0; i < source.series(); ++i) {
      if (source.meta(i).kind == Kind::kLatency) latencies.push_back(i);
    }
    const size_t query_series =
        latencies.empty() ? source.series() / 2 : latencies[latencies.size() / 2];
    std::printf(
        "RESULT series=%zu query_series=%zu steps=%lld samples=%llu start_ms=%lld "
        "end_ms=%lld\n",
        source.series(), query_series, static_cast<long long>(source.steps()),
        static_cast<unsigned long long>(source.samples()),
        static_cast<long long>(source.start_ms()), static_cast<long long>(source.end_ms()));
    return 0;
  }
  if (cmd == "load" && args.positional.size() == 3) {
    HttpLoadOptions options;
    const std::string& proto = args.positional[1];
    size_t default_request = 20'000;
    if (proto == "remote-write") {
      options.protocol = Protocol::kRemoteWrite;
    } else if (proto == "put-metric-data") {
      options.protocol = Protocol::kPutMetricData;
      default_request = kMaxDatumsPerRequest;
    } else if (proto == "vm-import") {
      options.protocol = Protocol::kVmImport;
    } else {
      return Fail(InvalidArgumentError("unknown protocol " + proto));
    }
    options.url = args.positional[2];
    options.credentials = Credentials(args);
    options.gzip_level = static_cast<int>(args.Int("--gzip-level", 1));
    Encoders encoders(&source, args.Get("--namespace", "Fleet"));
    DriveOptions drive = DriveFromArgs(args, default_request);
    if (options.protocol == Protocol::kPutMetricData) {
      drive.request_samples = std::min(drive.request_samples, kMaxDatumsPerRequest);
    }
    options.prebuild = args.Has("--prebuild");
    StatusOr<DriveResult> r = RunHttpLoad(source, drive, &encoders, options);
    if (!r.ok()) return Fail(r.status());
    PrintLoad(proto, *r);
    return 0;
  }
  if (cmd == "in-process" && args.positional.size() == 2) {
    InProcessOptions options;
    options.dir = args.positional[1];
    options.drive = DriveFromArgs(args, 20'000);
    options.query_series = static_cast<size_t>(args.Int("--query-series", 0));
    options.query_warmup = static_cast<int>(args.Int("--warmup", 20));
    options.query_repetitions = static_cast<int>(args.Int("--reps", 200));
    StatusOr<InProcessResult> r = RunInProcess(source, options);
    if (!r.ok()) return Fail(r.status());
    PrintLoad("in-process", r->load);
    const double n = static_cast<double>(source.series());
    std::printf(
        "RESULT mode=in-process-store close_s=%.3f rss_open=%llu rss_first_step=%llu "
        "rss_loaded=%llu peak_rss=%llu dir_bytes=%llu block_bytes=%llu "
        "block_samples=%llu wal_bytes=%llu bytes_per_new_series=%.0f "
        "q1_median_ms=%.4f q1_p99_ms=%.4f q1_points=%zu\n",
        r->close_seconds, static_cast<unsigned long long>(r->rss_open_bytes),
        static_cast<unsigned long long>(r->rss_first_step_bytes),
        static_cast<unsigned long long>(r->rss_loaded_bytes),
        static_cast<unsigned long long>(r->peak_rss_bytes),
        static_cast<unsigned long long>(r->dir_bytes),
        static_cast<unsigned long long>(r->block_bytes),
        static_cast<unsigned long long>(r->block_samples),
        static_cast<unsigned long long>(r->wal_bytes),
        (static_cast<double>(r->rss_first_step_bytes) - static_cast<double>(r->rss_open_bytes)) / n,
        r->q1_median_ms, r->q1_p99_ms, r->q1_points);
    return 0;
  }
  if (cmd == "query" && args.positional.size() == 3) {
    QueryOptions options;
    const std::string& target = args.positional[1];
    if (target == "vigil") {
      options.target = QueryTarget::kVigil;
    } else if (target == "promql") {
      options.target = QueryTarget::kPromQL;
    } else {
      return Fail(InvalidArgumentError("unknown query target " + target));
    }
    options.url = args.positional[2];
    options.series_index = static_cast<size_t>(args.Int("--query-series", 0));
    options.ns = args.Get("--namespace", "Prometheus");
    options.credentials = Credentials(args);
    options.warmup = static_cast<int>(args.Int("--warmup", 20));
    options.repetitions = static_cast<int>(args.Int("--reps", 200));
    options.promql_nocache = !args.flags.count("--cache");
    const bool q2 = args.Has("--q2"), q3 = args.Has("--q3");
    options.kind = q2 ? QueryKind::kQ2 : q3 ? QueryKind::kQ3 : QueryKind::kQ1;
    StatusOr<LatencySummary> r = MeasureQuery(source, options);
    if (!r.ok()) return Fail(r.status());
    const char* q = q2 ? "q2" : q3 ? "q3" : "q1";
    std::printf("%s %s: median %.3f ms, p99 %.3f ms, mean %.3f ms, %zu points\n", q,
                target.c_str(), r->median_ms, r->p99_ms, r->mean_ms, r->points);
    std::printf("RESULT mode=query %s_median_ms=%.4f %s_p99_ms=%.4f %s_mean_ms=%.4f points=%zu\n",
                q, r->median_ms, q, r->p99_ms, q, r->mean_ms, r->points);
    return 0;
  }
  std::fputs(kUsage, stderr);
  return 2;
}

}  // namespace
}  // namespace vigil::bench

int main(int argc, char** argv) { return vigil::bench::Main(argc, argv); }
