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
#include <type_traits>
#include <vector>

#include "fleet/fleet.h"
#include "fleet/probe.h"
#include "fleet/process.h"

namespace vigil::fleet {

using SteadyClock = std::chrono::steady_clock;

class FleetImpl;
struct App;

// Shared by the app's list and the coroutines that run and check it, so that a retired
// instance outlives the checks still pending on it (they see `run` change and end).
struct Instance {
  Instance(App* a, std::string i, std::shared_ptr<const AppSpec> s, asio::io_context& io);

  App* const app;
  const std::string id;
  const std::shared_ptr<const AppSpec> spec;  // the version it runs
  const CheckSpec readiness;                  // spec->readiness, or the default TCP check
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
  bool retired = false;     // Retire asked: forgotten once stopped
  bool in_rotation = true;  // may take requests while healthy (SetRotation)
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
  double cpu_percent = -1;  // over the last sampling interval; -1 until known
  int64_t rss_bytes = -1;   // at the last sample; -1 until known
};

class AppTargets final : public TargetGroup {
 public:
  AppTargets(FleetImpl* fleet, App* app) : fleet_(fleet), app_(app) {}
  const AppSpec& spec() const override;
  // (healthy in rotation, in rotation but not healthy): what ELB calls healthy and unhealthy.
  std::pair<int, int> HostCounts() const override {
    return {healthy_.load(std::memory_order_relaxed), unhealthy_.load(std::memory_order_relaxed)};
  }
  void SetHostCounts(int healthy, int unhealthy) {
    healthy_.store(healthy, std::memory_order_relaxed);
    unhealthy_.store(unhealthy, std::memory_order_relaxed);
  }
  std::shared_ptr<const std::vector<Target>> Targets() const override {
    return targets_.load(std::memory_order_acquire);
  }
  void Report(const std::string& instance_id, Failure failure, const std::string& detail) override;

  std::atomic<std::shared_ptr<const std::vector<Target>>> targets_{
      std::make_shared<const std::vector<Target>>()};

 private:
  FleetImpl* const fleet_;
  App* const app_;
  std::atomic<int> healthy_{0}, unhealthy_{0};
};

struct App {
  App(FleetImpl* fleet, AppSpec s) : spec(std::move(s)), targets(fleet, this) {}
  const AppSpec spec;    // the app's fields; the configured version's too
  std::string dir;       // <data_dir>/fleet/<name>
  std::vector<std::shared_ptr<Instance>> instances;
  int last_number = 0;  // instance ids are "<name>-<n>", n counting up
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
  StatusOr<std::vector<std::string>> Launch(std::string_view app, const AppSpec& version,
                                            int count, bool admit) override;
  Status SetRotation(std::string_view app, const std::vector<std::string>& ids,
                     bool in_rotation) override;
  Status Retire(std::string_view app, const std::vector<std::string>& ids,
                const std::string& why) override;

  // --- supervisor.cc (loop thread)
  // Adds an instance of `version` to the app and runs it (RunSlot).
  Instance* AddInstance(struct App* app, std::shared_ptr<const AppSpec> version, bool in_rotation);
  asio::awaitable<void> RunSlot(std::shared_ptr<Instance> in);
  Status StartProcess(Instance* in);
  asio::awaitable<int> WaitExit(Instance* in);
  asio::awaitable<void> StopInstance(std::shared_ptr<Instance> in);
  // SIGKILL to the group if the same run is still going after `ms`.
  asio::awaitable<void> KillAfter(std::shared_ptr<Instance> in, uint64_t run, int64_t ms);
  void SetState(Instance* in, InstanceState state, std::string reason);
  void Publish(struct App* app);  // rebuilds the snapshots of the app
  int64_t NowMs() const { return options_.clock->NowMillis(); }
  Logger* logger() const { return options_.logger; }

  // --- health.cc (loop thread)
  asio::awaitable<void> ReadinessLoop(std::shared_ptr<Instance> in, uint64_t run);
  asio::awaitable<void> LivenessLoop(std::shared_ptr<Instance> in, uint64_t run);
  void OnReport(const std::string& app, const std::string& id, Failure failure,
                const std::string& detail);
  asio::awaitable<void> StallProbe(std::shared_ptr<Instance> in, uint64_t run,
                                   std::string detail);
  void Eject(Instance* in, const std::string& why);
  int64_t Jittered(const CheckSpec& spec);

  // --- sampler.cc (loop thread)
  // Puts each instance's last CPU and RSS sample into the app snapshots (snapshot_mu_).
  void CopySamplesToSnapshots();
  asio::awaitable<void> SampleLoop();
  asio::awaitable<void> Scrape(std::shared_ptr<Instance> in, uint64_t run);

  asio::io_context& io() { return io_; }
  std::shared_ptr<Instance> FindInstance(const std::string& app, const std::string& id);
  // Runs `f` on the loop and returns its result; Unavailable when the loop does not answer
  // within 10 s (Vigil shutting down), FailedPrecondition once stopped.
  template <typename F>
  std::invoke_result_t<F> OnLoop(F f);
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

template <typename F>
std::invoke_result_t<F> FleetImpl::OnLoop(F f) {
  using Result = std::invoke_result_t<F>;
  if (stopped_.load()) return Result(FailedPreconditionError("the fleet is stopping"));
  auto done = std::make_shared<std::promise<Result>>();
  std::future<Result> result = done->get_future();
  asio::post(io_, [f = std::move(f), done]() mutable { done->set_value(f()); });
  // The loop may stop before it runs the request (Vigil shutting down): do not wait forever.
  if (result.wait_for(std::chrono::seconds(10)) != std::future_status::ready) {
    return Result(UnavailableError("the fleet did not answer within 10 s"));
  }
  return result.get();
}

}  // namespace vigil::fleet
