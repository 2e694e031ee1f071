// The canary engine (canary.h): the schedule, the runners, the records and the metrics.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "canary/canary.h"
#include "canary/runner.h"
#include "common/thread_name.h"
#include "http/client.h"

namespace vigil::canary {
namespace {

using SteadyClock = std::chrono::steady_clock;
using TimePoint = SteadyClock::time_point;

constexpr char kNamespace[] = "Vigil/Canaries";
// The first scheduled run waits up to this long (less for shorter intervals), by name.
constexpr int64_t kMaxFirstOffsetMs = 5'000;

// A canary's state. Guarded by CanariesImpl::mu_, except `spec`, which never changes.
struct Entry {
  CanarySpec spec;
  TimePoint next_due = TimePoint::max();  // max: not scheduled (interval 0)
  bool running = false;                   // a run is in flight (scheduled or not)
  bool last_ok = true;                    // for logging changes only
  int64_t runs = 0, failures = 0;
  std::deque<RunResult> recent;  // newest first, at most kRecentRuns
};

std::vector<Datum> RunMetrics(const RunResult& run) {
  const std::vector<std::pair<std::string, std::string>> dims = {{"CanaryName", run.canary}};
  return {
      Datum{"SuccessPercent", dims, "Percent", run.started_ms, run.ok ? 100.0 : 0.0, 1},
      Datum{"Duration", dims, "Milliseconds", run.started_ms, static_cast<double>(run.duration_ms),
            1},
      Datum{"Failed", dims, "Count", run.started_ms, run.ok ? 0.0 : 1.0, 1},
  };
}

class CanariesImpl final : public Canaries {
 public:
  explicit CanariesImpl(CanaryOptions options) : options_(std::move(options)) {
    const TimePoint now = SteadyClock::now();
    for (CanarySpec& spec : options_.canaries) {
      for (Step& step : spec.steps) {
        if (step.name.empty()) step.name = step.method + " " + step.path;
      }
      Entry& e = entries_[spec.name];
      if (spec.interval_ms > 0) {
        const int64_t spread = std::min(spec.interval_ms, kMaxFirstOffsetMs);
        const int64_t offset = static_cast<int64_t>(std::hash<std::string>()(spec.name) % spread);
        e.next_due = now + std::chrono::milliseconds(offset);
      }
      e.spec = std::move(spec);
    }
    options_.canaries.clear();  // the entries hold them
  }

  ~CanariesImpl() override { Stop(); }

  // No more runners than scheduled canaries (none when every canary runs on demand only).
  void StartRunners() {
    const int scheduled =
        static_cast<int>(std::count_if(entries_.begin(), entries_.end(), [](const auto& kv) {
          return kv.second.spec.interval_ms > 0;
        }));
    for (int i = 0; i < std::min(options_.threads, scheduled); ++i) {
      runners_.emplace_back([this, i] {
        SetThreadName("canary-" + std::to_string(i));
        RunnerLoop();
      });
    }
  }

  void Stop() override {
    {
      std::lock_guard l(mu_);
      if (stopping_) return;
      stopping_ = true;
      cancel_.store(true);
    }
    cv_.notify_all();
    for (std::thread& t : runners_) t.join();
  }

  StatusOr<RunResult> Run(const std::string& name, const std::string& trigger,
                          const std::string& base_url) override {
    if (!base_url.empty()) RETURN_IF_ERROR(http::ParseUrl(base_url).status());
    std::unique_lock l(mu_);
    auto it = entries_.find(name);
    if (it == entries_.end()) return NotFoundError("no canary named '" + name + "'");
    Entry& e = it->second;
    cv_.wait(l, [&] { return !e.running || stopping_; });
    if (stopping_) return UnavailableError("canaries are stopping");
    e.running = true;
    l.unlock();
    std::optional<RunResult> run = Execute(e.spec, trigger, base_url);
    l.lock();
    e.running = false;
    if (run) Record(e, *run);
    l.unlock();
    cv_.notify_all();
    if (!run) return UnavailableError("canaries are stopping");
    Publish(*run);
    return *std::move(run);
  }

  std::vector<CanaryInfo> List() const override {
    std::lock_guard l(mu_);
    std::vector<CanaryInfo> out;
    for (const auto& [name, e] : entries_) out.push_back(Info(e));
    return out;
  }

  StatusOr<CanaryInfo> Get(const std::string& name) const override {
    std::lock_guard l(mu_);
    auto it = entries_.find(name);
    if (it == entries_.end()) return NotFoundError("no canary named '" + name + "'");
    return Info(it->second);
  }

 private:
  // One runner: takes the canary due first that no run holds, runs it, schedules its next run.
  // Finding it is a scan of every canary: hundreds cost microseconds, a few times a second.
  void RunnerLoop() {
    std::unique_lock l(mu_);
    while (!stopping_) {
      Entry* next = nullptr;
      for (auto& [name, e] : entries_) {
        if (!e.running && (next == nullptr || e.next_due < next->next_due)) next = &e;
      }
      if (next == nullptr || next->next_due == TimePoint::max()) {
        cv_.wait(l);
        continue;
      }
      if (next->next_due > SteadyClock::now()) {
        cv_.wait_until(l, next->next_due);
        continue;
      }
      Entry& e = *next;
      e.running = true;
      l.unlock();
      std::optional<RunResult> run = Execute(e.spec, "schedule", "");
      if (run) Publish(*run);
      l.lock();
      e.running = false;
      if (run) Record(e, *run);
      // The next run in phase with the first; the ones an overrunning run missed are skipped.
      const auto interval = std::chrono::milliseconds(e.spec.interval_ms);
      const TimePoint now = SteadyClock::now();
      while (e.next_due <= now) e.next_due += interval;
      cv_.notify_all();  // a manual Run() may be waiting for this canary
    }
  }

  // Runs the spec against base_url, or its own target. nullopt when cancelled by Stop().
  std::optional<RunResult> Execute(const CanarySpec& spec, const std::string& trigger,
                                   std::string base_url) {
    Trust trust;
    if (base_url.empty() && !spec.url.empty()) {
      base_url = spec.url;
      trust.ca_file = spec.ca_bundle;
    } else if (base_url.empty()) {
      StatusOr<AppEndpoint> resolved = options_.resolve_app(spec.app);
      if (!resolved.ok()) {
        return FailedRun(spec, trigger, *options_.clock,
                         "resolving app '" + spec.app + "': " + resolved.status().message());
      }
      base_url = std::move(resolved->base_url);
      // The listener is reached at a loopback address (its bound one), which a certificate for
      // the app's public name does not carry, so the host name cannot be checked. What stands
      // for it is stronger: the listener must present the very certificate Vigil configured it
      // with (not merely one that some CA vouches for), trusted as an anchor itself, so a
      // private-CA or self-signed listener passes; the chain check still fails an expired or
      // not-yet-valid certificate. A certificate file replaced but not yet reloaded (SIGHUP)
      // fails too: what clients get is not what is configured.
      trust.ca_file = resolved->cert_file;
      trust.peer_cert_file = std::move(resolved->cert_file);
    }
    return RunSteps(spec, trigger, base_url, trust, *options_.clock, cancel_);
  }

  // REQUIRES: mu_ held.
  void Record(Entry& e, const RunResult& run) {
    ++e.runs;
    if (!run.ok) ++e.failures;
    e.recent.push_front(run);
    if (e.recent.size() > kRecentRuns) e.recent.pop_back();
    if (!run.ok && (e.last_ok || run.trigger != "schedule")) {
      options_.logger->Warning("canary", e.spec.name + " failed (" + run.trigger + ", " +
                                             (run.target.empty() ? e.spec.app : run.target) +
                                             "): " + run.failure);
    } else if (run.ok && !e.last_ok) {
      options_.logger->Info("canary", e.spec.name + " passes again (" + run.trigger + ")");
    }
    e.last_ok = run.ok;
  }

  void Publish(const RunResult& run) {
    if (options_.metrics != nullptr) options_.metrics->Put(kNamespace, RunMetrics(run));
  }

  // REQUIRES: mu_ held.
  static CanaryInfo Info(const Entry& e) {
    CanaryInfo info;
    info.spec = e.spec;
    if (!e.recent.empty()) info.last = e.recent.front();
    info.runs = e.runs;
    info.failures = e.failures;
    info.recent.assign(e.recent.begin(), e.recent.end());
    return info;
  }

  CanaryOptions options_;  // canaries moved into entries_
  mutable std::mutex mu_;
  // Signalled when a run ends, and at Stop().
  std::condition_variable cv_;
  std::map<std::string, Entry> entries_;  // guarded by mu_ (the map's shape never changes)
  bool stopping_ = false;                 // guarded by mu_
  std::atomic<bool> cancel_{false};       // stopping_, read by runs between their steps
  std::vector<std::thread> runners_;
};

}  // namespace

StatusOr<std::unique_ptr<Canaries>> Canaries::Start(CanaryOptions options) {
  if (options.clock == nullptr || options.logger == nullptr) {
    return InvalidArgumentError("canaries: clock and logger are required");
  }
  if (options.threads < 1 || options.threads > 64) {
    return InvalidArgumentError("canaries: threads must be within 1 to 64");
  }
  std::set<std::string> names;
  for (const CanarySpec& spec : options.canaries) {
    RETURN_IF_ERROR(ValidateSpec(spec));
    if (!names.insert(spec.name).second) {
      return InvalidArgumentError("canary '" + spec.name + "': name: given twice");
    }
    if (!spec.app.empty() && !options.resolve_app) {
      return InvalidArgumentError("canary '" + spec.name + "': app: no resolve_app to find '" +
                                  spec.app + "'");
    }
  }
  auto canaries = std::make_unique<CanariesImpl>(std::move(options));
  canaries->StartRunners();
  return std::unique_ptr<Canaries>(std::move(canaries));
}

}  // namespace vigil::canary
