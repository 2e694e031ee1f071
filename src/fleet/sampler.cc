// Every sample_interval: each running instance's CPU, memory, descriptors, threads, restarts
// and uptime from /proc, the host's CPU, memory and network, and (when an app names a
// metrics_path) the instance's Prometheus metrics — all into the MetricSink, namespace
// Vigil/Instances (dimensions App and InstanceId; the host's under Host).
#include <unistd.h>

#include "fleet/exposition.h"
#include "fleet/procfs.h"
#include "fleet/supervisor.h"

namespace vigil::fleet {
namespace {

constexpr char kNamespace[] = "Vigil/Instances";
constexpr size_t kMaxScrapeBytes = 4 << 20;
constexpr size_t kMaxScrapedSeries = 2000;  // per instance and scrape

std::string HostName() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof(buf) - 1) != 0 || buf[0] == '\0') return "localhost";
  return buf;
}

Datum Make(std::string metric, std::vector<std::pair<std::string, std::string>> dims,
           std::string unit, int64_t ts, double value) {
  Datum d;
  d.metric = std::move(metric);
  d.dimensions = std::move(dims);
  d.unit = std::move(unit);
  d.timestamp_ms = ts;
  d.value = value;
  return d;
}

}  // namespace

asio::awaitable<void> FleetImpl::SampleLoop() {
  const std::string host = HostName();
  std::optional<HostSample> last_host;
  asio::steady_timer timer(io_);
  auto next = SteadyClock::now();
  for (;;) {
    next += std::chrono::milliseconds(options_.sample_interval_ms);
    timer.expires_at(next);
    boost::system::error_code ec;
    co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (options_.metrics == nullptr) continue;
    const int64_t ts = NowMs();
    const auto now = SteadyClock::now();
    std::vector<Datum> data;
    std::vector<pid_t> groups;
    for (const auto& app : apps_) {
      for (const auto& in : app->instances) {
        if (in->process) groups.push_back(in->process->pid());
      }
    }
    auto samples = SampleProcessGroups(groups);
    for (const auto& app : apps_) {
      for (const auto& in : app->instances) {
        const std::vector<std::pair<std::string, std::string>> dims = {{"App", app->spec.name},
                                                                       {"InstanceId", in->id}};
        data.push_back(Make("Restarts", dims, "Count", ts, in->restarts));
        data.push_back(
            Make("Healthy", dims, "None", ts, in->state == InstanceState::kHealthy ? 1 : 0));
        if (!in->process) {
          in->last_cpu_ns = -1;
          in->cpu_percent = -1;
          in->rss_bytes = -1;
          continue;
        }
        if (!samples.ok()) continue;
        auto found = samples->find(in->process->pid());
        if (found == samples->end()) continue;
        const ProcessSample* sample = &found->second;
        if (in->last_cpu_ns >= 0) {
          const int64_t wall_ns =
              std::chrono::duration_cast<std::chrono::nanoseconds>(now - in->last_sample).count();
          in->cpu_percent = CpuPercent(sample->cpu_ns - in->last_cpu_ns, wall_ns);
          data.push_back(Make("CPUUtilization", dims, "Percent", ts, in->cpu_percent));
        }
        in->last_cpu_ns = sample->cpu_ns;
        in->last_sample = now;
        in->rss_bytes = static_cast<int64_t>(sample->rss_bytes);
        data.push_back(
            Make("MemoryRSS", dims, "Bytes", ts, static_cast<double>(sample->rss_bytes)));
        data.push_back(Make("OpenFileDescriptors", dims, "Count", ts, sample->open_fds));
        data.push_back(Make("Threads", dims, "Count", ts, sample->threads));
        data.push_back(Make("Uptime", dims, "Seconds", ts,
                            std::chrono::duration<double>(now - in->started).count()));
        if (!in->spec->metrics_path.empty()) {
          asio::co_spawn(io_, Scrape(in, in->run), asio::detached);
        }
      }
    }
    auto host_sample = SampleHost();
    if (host_sample.ok()) {
      const std::vector<std::pair<std::string, std::string>> dims = {{"Host", host}};
      const HostSample& h = *host_sample;
      data.push_back(Make("MemoryUsed", dims, "Bytes", ts,
                          static_cast<double>(h.mem_total_bytes - h.mem_available_bytes)));
      data.push_back(
          Make("MemoryAvailable", dims, "Bytes", ts, static_cast<double>(h.mem_available_bytes)));
      if (h.mem_total_bytes > 0) {
        data.push_back(Make("MemoryUtilization", dims, "Percent", ts,
                            100.0 * static_cast<double>(h.mem_total_bytes - h.mem_available_bytes) /
                                static_cast<double>(h.mem_total_bytes)));
      }
      if (last_host) {
        data.push_back(Make("CPUUtilization", dims, "Percent", ts, HostCpuPercent(*last_host, h)));
        // EC2's meaning: bytes (packets) over the sampling interval.
        data.push_back(Make("NetworkIn", dims, "Bytes", ts,
                            static_cast<double>(h.net_rx_bytes - last_host->net_rx_bytes)));
        data.push_back(Make("NetworkOut", dims, "Bytes", ts,
                            static_cast<double>(h.net_tx_bytes - last_host->net_tx_bytes)));
        data.push_back(Make("NetworkPacketsIn", dims, "Count", ts,
                            static_cast<double>(h.net_rx_packets - last_host->net_rx_packets)));
        data.push_back(Make("NetworkPacketsOut", dims, "Count", ts,
                            static_cast<double>(h.net_tx_packets - last_host->net_tx_packets)));
      }
      last_host = h;
    }
    options_.metrics->Put(kNamespace, std::move(data));
    CopySamplesToSnapshots();
  }
}

void FleetImpl::CopySamplesToSnapshots() {
  std::lock_guard l(snapshot_mu_);
  for (const auto& app : apps_) {
    for (InstanceInfo& info : app->info.instances) {
      for (const auto& in : app->instances) {
        if (in->id != info.id) continue;
        info.cpu_percent = in->cpu_percent;
        info.rss_bytes = in->rss_bytes;
        break;
      }
    }
  }
}

asio::awaitable<void> FleetImpl::Scrape(std::shared_ptr<Instance> in, uint64_t run) {
  const struct App* app = in->app;
  const std::string& path = in->spec->metrics_path;
  const int64_t timeout = std::min<int64_t>(options_.sample_interval_ms, 5000);
  ProbeResult r = co_await HttpGet("127.0.0.1", in->port, path, timeout, kMaxScrapeBytes);
  if (in->run != run || !r.ok || r.status != 200) co_return;
  auto parsed = ParseExposition(r.body);
  if (!parsed.ok()) {
    logger()->Warning("fleet", in->id + " " + path + ": " + parsed.status().message());
    co_return;
  }
  const int64_t ts = NowMs();
  std::vector<Datum> data;
  for (ExpositionSample& s : parsed->samples) {
    if (data.size() >= kMaxScrapedSeries) break;
    if (!std::isfinite(s.value)) continue;
    Datum d;
    d.metric = std::move(s.name);
    d.dimensions = {{"App", app->spec.name}, {"InstanceId", in->id}};
    for (auto& label : s.labels) {
      if (label.first != "App" && label.first != "InstanceId") d.dimensions.push_back(label);
    }
    d.timestamp_ms = ts;
    d.value = s.value;
    data.push_back(std::move(d));
  }
  options_.metrics->Put(kNamespace, std::move(data));
}

}  // namespace vigil::fleet
