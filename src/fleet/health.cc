// Active checks (readiness, liveness) and the load balancer's passive reports.
//
// Readiness decides rotation, never the process's life: a starting instance joins at its first
// pass; a healthy one leaves after unhealthy_threshold failures in a row and comes back after
// healthy_threshold passes. Liveness (when configured) starts once readiness passed for this run,
// and after unhealthy_threshold failures kills the instance, which RunSlot then restarts.
// Passive reports eject at once (a failed connection, a run of 5xx answers) or trigger an
// immediate readiness probe (a stall): active checks alone re-admit.
#include <signal.h>

#include <algorithm>

#include "fleet/supervisor.h"

namespace vigil::fleet {
namespace {

// A stall report's probe waits at most this long (or the check's timeout when shorter): a
// request already waits on the instance, so the verdict must come fast.
constexpr int64_t kStallProbeTimeoutMs = 250;
// A freshly started instance is probed often, so that it joins rotation as soon as it
// answers; the wait grows with the time it has been starting, up to the check's interval.
constexpr int64_t kStartupProbeMs = 20;

asio::awaitable<void> SleepMs(asio::io_context& io, int64_t ms) {
  asio::steady_timer timer(io);
  timer.expires_after(std::chrono::milliseconds(ms));
  boost::system::error_code ec;
  co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
}

}  // namespace

int64_t FleetImpl::Jittered(const CheckSpec& spec) {
  if (spec.jitter <= 0) return spec.interval_ms;
  std::uniform_real_distribution<double> d(1 - spec.jitter, 1 + spec.jitter);
  return std::max<int64_t>(1,
                           static_cast<int64_t>(static_cast<double>(spec.interval_ms) * d(rng_)));
}

asio::awaitable<void> FleetImpl::ReadinessLoop(std::shared_ptr<Instance> in, uint64_t run) {
  const CheckSpec& spec = in->readiness;
  while (in->run == run) {
    ProbeResult r = co_await RunCheck(spec, "127.0.0.1", in->port, spec.timeout_ms);
    if (in->run != run) break;
    if (r.ok) {
      ++in->ready_passes;
      in->ready_failures = 0;
    } else {
      ++in->ready_failures;
      in->ready_passes = 0;
    }
    int64_t wait = Jittered(spec);
    switch (in->state) {
      case InstanceState::kStarting: {
        if (r.ok) {
          in->ever_ready = true;
          SetState(in.get(), InstanceState::kHealthy, "passed its first health check");
          break;
        }
        // Probe often while it starts; less and less often the longer it takes.
        const int64_t starting_ms =
            std::chrono::duration_cast<std::chrono::milliseconds>(SteadyClock::now() - in->started)
                .count();
        wait = std::min(spec.interval_ms, kStartupProbeMs + starting_ms / 10);
        if (starting_ms > spec.interval_ms) {
          SetState(in.get(), InstanceState::kStarting,
                   "waiting for its first passing health check: " + r.detail);
        }
        break;
      }
      case InstanceState::kHealthy:
        if (!r.ok && in->ready_failures >= spec.unhealthy_threshold) {
          SetState(in.get(), InstanceState::kUnhealthy,
                   "failed " + std::to_string(in->ready_failures) +
                       " health checks in a row: " + r.detail);
        }
        break;
      case InstanceState::kUnhealthy:
        if (r.ok && in->ready_passes >= spec.healthy_threshold) {
          in->ever_ready = true;
          SetState(in.get(), InstanceState::kHealthy,
                   "passed " + std::to_string(in->ready_passes) + " health checks in a row");
        } else if (!r.ok) {
          in->reason =
              in->reason.substr(0, in->reason.find("; last check: ")) + "; last check: " + r.detail;
          Publish(in->app);
        }
        break;
      default:
        break;
    }
    co_await SleepMs(io_, wait);
  }
}

asio::awaitable<void> FleetImpl::LivenessLoop(std::shared_ptr<Instance> in, uint64_t run) {
  const CheckSpec& spec = *in->spec->liveness;
  while (in->run == run) {
    co_await SleepMs(io_, Jittered(spec));
    if (in->run != run) break;
    if (!in->ever_ready || in->state == InstanceState::kDraining) continue;
    ProbeResult r = co_await RunCheck(spec, "127.0.0.1", in->port, spec.timeout_ms);
    if (in->run != run) break;
    in->live_failures = r.ok ? 0 : in->live_failures + 1;
    if (in->live_failures >= spec.unhealthy_threshold && in->process) {
      // It does not answer, so a graceful stop cannot work: kill the group now.
      in->kill_reason = "killed: failed " + std::to_string(in->live_failures) +
                        " liveness checks in a row (" + r.detail + ")";
      SetState(in.get(), InstanceState::kUnhealthy, in->kill_reason);
      in->process->Signal(SIGKILL);
      break;
    }
  }
}

void FleetImpl::Eject(Instance* in, const std::string& why) {
  if (in->state != InstanceState::kHealthy) return;
  in->ready_passes = 0;
  SetState(in, InstanceState::kUnhealthy, "ejected by the load balancer: " + why);
}

void FleetImpl::OnReport(const std::string& app, const std::string& id, Failure failure,
                         const std::string& detail) {
  std::shared_ptr<Instance> in = FindInstance(app, id);
  if (in == nullptr || in->state != InstanceState::kHealthy) return;
  switch (failure) {
    case Failure::kConnect:
      Eject(in.get(), detail);
      break;
    case Failure::k5xx:
      if (in->app->spec.consecutive_5xx > 0) Eject(in.get(), detail);
      break;
    case Failure::kStall:
      if (!in->stall_probe) {
        in->stall_probe = true;
        asio::co_spawn(io_, StallProbe(in, in->run, detail), asio::detached);
      }
      break;
  }
}

asio::awaitable<void> FleetImpl::StallProbe(std::shared_ptr<Instance> in, uint64_t run,
                                            std::string detail) {
  const CheckSpec& spec = in->readiness;
  const int64_t timeout = std::min(spec.timeout_ms, kStallProbeTimeoutMs);
  ProbeResult r = co_await RunCheck(spec, "127.0.0.1", in->port, timeout);
  in->stall_probe = false;
  if (in->run != run || r.ok) co_return;
  Eject(in.get(), detail + ", and a health check then " + r.detail);
}

}  // namespace vigil::fleet
