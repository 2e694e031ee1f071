#pragma once
// Private to vigil::fleet: the Fleet implementation. One thread runs an Asio event loop; every
// Instance and App field below is read and written on that thread only ("loop-owned"), except
// where a comment names snapshot_mu_. Other threads see the fleet through the snapshots that
// Publish() builds after each change, and talk to it by posting to the loop.
//
//   supervisor.cc  lifecycle: start, exit, restart with backoff, stop, snapshots
//   health.cc      readiness and liveness checks, passive reports from the load balancer
//   sampler.cc     /proc and /metrics sampling into the MetricSink
#include <atomic>
#include <chrono>
#include <cstdint>
#include <future>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "fleet/fleet.h"
#include "fleet/probe.h"
#include "fleet/process.h"

namespace vigil::fleet {

using SteadyClock = std::chrono::steady_clock;

class FleetImpl;
struct App;

struct Instance {
  Instance(App* a, int s, std::string i, asio::io_context& io)
      : app(a), slot(s), id(std::move(i)), wake(io) {}

  App* const app;
  const int slot;
  const std::string id;
  uint16_t port = 0;
  std::unique_ptr<Process> process;
  // Bumped at every start and exit: a check loop started for an earlier run ends itself.
  uint64_t run = 0;
  InstanceState state = InstanceState::kStopped;
  std::string reason;
  int64_t state_since_ms = 0;
  int restarts = 0;
  int crash_streak = 0;  // runs in a row shorter than min_uptime
  int64_t started_at_ms = 0;
  SteadyClock::time_point started;
  std::string kill_reason;  // set when Vigil killed it (liveness), reported at the exit
  bool stopping = false;    // Stop asked: no restart
  bool restart_asked = false;  // RestartUnhealthy: start again whatever the restart policy
  bool ever_ready = false;  // this run passed readiness once: liveness checks run from then on
  int ready_passes = 0, ready_failures = 0, live_failures = 0;
  bool stall_probe = false;  // a stall report's probe is running
  int64_t in_rotation_since_ns = 0;
  std::shared_ptr<TargetLoad> load = std::make_shared<TargetLoad>();
  asio::steady_timer wake;  // the backoff wait; cancelled by Stop
  // Sampling (sampler.cc).
  int64_t last_cpu_ns = -1;
  SteadyClock::time_point last_sample;
};

class AppTargets final : public TargetGroup {
 public:
  AppTargets(FleetImpl* fleet, App* app) : fleet_(fleet), app_(app) {}
  const AppSpec& spec() const override;
  std::shared_ptr<const std::vector<Target>> Targets() const override {
    return targets_.load(std::memory_order_acquire);
  }
  void Report(const std::string& instance_id, Failure failure, const std::string& detail) override;
  std::pair<int, int> HostCounts() const override;

  std::atomic<std::shared_ptr<const std::vector<Target>>> targets_{
      std::make_shared<const std::vector<Target>>()};

 private:
  FleetImpl* const fleet_;
  App* const app_;
};

struct App {
  App(FleetImpl* fleet, AppSpec s) : spec(std::move(s)), targets(fleet, this) {}
  const AppSpec spec;
  CheckSpec readiness;  // spec.readiness, or the default TCP check
  std::string dir;      // <data_dir>/fleet/<name>
  std::vector<std::unique_ptr<Instance>> instances;
  AppTargets targets;
  AppInfo info;  // guarded by FleetImpl::snapshot_mu_
};

class FleetImpl final : public Fleet {
 public:
  explicit FleetImpl(FleetOptions options);
  ~FleetImpl() override;

  Status Init();
  void Stop() override;
  std::vector<AppInfo> Apps() const override;
  StatusOr<AppInfo> App(std::string_view name) const override;
  TargetGroup* Targets(std::string_view app) override;
  StatusOr<int> RestartUnhealthy(std::string_view app, const std::string& why) override;

  // --- supervisor.cc (loop thread)
  asio::awaitable<void> RunSlot(Instance* in);
  Status StartProcess(Instance* in);
  asio::awaitable<int> WaitExit(Instance* in);
  asio::awaitable<void> StopInstance(Instance* in);
  // SIGKILL to the group if the same run is still going after `ms`.
  asio::awaitable<void> KillAfter(Instance* in, uint64_t run, int64_t ms);
  void SetState(Instance* in, InstanceState state, std::string reason);
  void Publish(struct App* app);  // rebuilds the snapshots of the app
  int64_t NowMs() const { return options_.clock->NowMillis(); }
  Logger* logger() const { return options_.logger; }

  // --- health.cc (loop thread)
  asio::awaitable<void> ReadinessLoop(Instance* in, uint64_t run);
  asio::awaitable<void> LivenessLoop(Instance* in, uint64_t run);
  void OnReport(const std::string& app, const std::string& id, Failure failure,
                const std::string& detail);
  asio::awaitable<void> StallProbe(Instance* in, uint64_t run, std::string detail);
  void Eject(Instance* in, const std::string& why);
  int64_t Jittered(const CheckSpec& spec);

  // --- sampler.cc (loop thread)
  asio::awaitable<void> SampleLoop();
  asio::awaitable<void> Scrape(Instance* in, uint64_t run);

  asio::io_context& io() { return io_; }
  Instance* FindInstance(const std::string& app, const std::string& id);
  struct App* FindApp(std::string_view name) const;

 private:
  const FleetOptions options_;
  // Declared before apps_, so destroyed after them: an instance's timer must not outlive its
  // io_context. Coroutines still pending at destruction are destroyed with it, not resumed.
  asio::io_context io_;
  std::vector<std::unique_ptr<struct App>> apps_;
  mutable std::mutex snapshot_mu_;  // guards App::info
  std::mt19937_64 rng_{std::random_device{}()};
  int running_slots_ = 0;  // loop-owned: RunSlot coroutines not yet finished
  std::atomic<bool> stopped_{false};
  std::thread thread_;
  std::shared_ptr<std::promise<void>> all_stopped_;
};

}  // namespace vigil::fleet
