#include "fleet/supervisor.h"

#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <utility>

#include "common/thread_name.h"
#include "fleet/pidfile.h"
#include "storage/file_util.h"

namespace vigil::fleet {
namespace {

Status ValidateCheck(const CheckSpec& check, const std::string& what) {
  if (check.interval_ms <= 0 || check.timeout_ms <= 0) {
    return InvalidArgumentError(what + ": interval and timeout must be positive");
  }
  if (check.healthy_threshold < 1 || check.unhealthy_threshold < 1) {
    return InvalidArgumentError(what + ": thresholds must be at least 1");
  }
  if (check.jitter < 0 || check.jitter > 0.5) {
    return InvalidArgumentError(what + ": jitter must be within [0, 0.5]");
  }
  return OkStatus();
}

Status ValidateApp(const AppSpec& spec) {
  const std::string what = "app '" + spec.name + "'";
  if (!IsValidAppName(spec.name)) {
    return InvalidArgumentError("app name '" + spec.name +
                                "' must be 1 to 64 letters, digits, '-' or '_', starting with a "
                                "letter or digit");
  }
  if (spec.command.empty()) return InvalidArgumentError(what + " has no command");
  if (spec.instances < 1) return InvalidArgumentError(what + " needs at least one instance");
  if (spec.backoff_initial_ms <= 0 || spec.backoff_max_ms < spec.backoff_initial_ms) {
    return InvalidArgumentError(what + ": backoff needs 0 < initial <= max");
  }
  if (spec.readiness) RETURN_IF_ERROR(ValidateCheck(*spec.readiness, what + " health_check"));
  if (spec.liveness) RETURN_IF_ERROR(ValidateCheck(*spec.liveness, what + " liveness_check"));
  // A command that cannot run is a configuration error, found before anything starts.
  const std::string& argv0 = spec.command[0];
  if (argv0.find('/') == std::string::npos) {
    return ResolveCommand(argv0).status().WithContext(what);
  }
  const std::string path =
      argv0[0] == '/' || spec.working_dir.empty() ? argv0 : spec.working_dir + "/" + argv0;
  if (::access(path.c_str(), X_OK) != 0) {
    return InvalidArgumentError(what + ": cannot run '" + path + "': " + std::strerror(errno));
  }
  return OkStatus();
}

// "${PORT}", "${INSTANCE_ID}" and "${APP}" replaced.
std::string Expand(std::string text, const Instance& in) {
  const std::pair<std::string, std::string> vars[] = {{"${PORT}", std::to_string(in.port)},
                                                      {"${INSTANCE_ID}", in.id},
                                                      {"${APP}", in.spec->name}};
  for (const auto& [name, value] : vars) {
    for (size_t at = text.find(name); at != std::string::npos;
         at = text.find(name, at + value.size())) {
      text.replace(at, name.size(), value);
    }
  }
  return text;
}

// A free port of 127.0.0.1: `preferred` when it can be bound (a restarted instance keeps its
// address), else one the kernel picks. 0 when none can be had.
uint16_t PickPort(uint16_t preferred) {
  for (uint16_t want : {preferred, uint16_t{0}}) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return 0;
    const int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(want);
    socklen_t len = sizeof(addr);
    uint16_t port = 0;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
      port = ntohs(addr.sin_port);
    }
    ::close(fd);
    if (port != 0) return port;
  }
  return 0;
}

// The wait before start number `streak` of a crash loop (1: the first failure): none for the
// first, then backoff_initial doubling up to backoff_max.
int64_t BackoffDelay(const AppSpec& spec, int streak) {
  if (streak <= 1) return 0;
  return std::min(spec.backoff_max_ms, spec.backoff_initial_ms << std::min(streak - 2, 20));
}

std::string Seconds(int64_t ms) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.1f s", static_cast<double>(ms) / 1000.0);
  return buf;
}

}  // namespace

bool IsValidAppName(std::string_view name) {
  auto alnum = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
  };
  if (name.empty() || name.size() > 64 || !alnum(name[0])) return false;
  for (char c : name) {
    if (!alnum(c) && c != '-' && c != '_') return false;
  }
  return true;
}

std::string_view StateName(InstanceState state) {
  switch (state) {
    case InstanceState::kStarting:
      return "starting";
    case InstanceState::kHealthy:
      return "healthy";
    case InstanceState::kUnhealthy:
      return "unhealthy";
    case InstanceState::kDraining:
      return "draining";
    case InstanceState::kStopped:
      return "stopped";
    case InstanceState::kCrashLooping:
      return "crash-looping";
  }
  return "unknown";
}

Instance::Instance(App* a, std::string i, std::shared_ptr<const AppSpec> s, asio::io_context& io)
    : app(a),
      id(std::move(i)),
      spec(std::move(s)),
      readiness(spec->readiness.value_or(CheckSpec{.kind = CheckSpec::Kind::kTcp})),
      wake(io) {}

StatusOr<std::unique_ptr<Fleet>> Fleet::Start(FleetOptions options) {
  auto fleet = std::make_unique<FleetImpl>(std::move(options));
  RETURN_IF_ERROR(fleet->Init());
  return std::unique_ptr<Fleet>(std::move(fleet));
}

FleetImpl::FleetImpl(FleetOptions options) : options_(std::move(options)) {}

FleetImpl::~FleetImpl() { Stop(); }

Status FleetImpl::Init() {
  for (size_t i = 0; i < options_.apps.size(); ++i) {
    RETURN_IF_ERROR(ValidateApp(options_.apps[i]));
    for (size_t j = 0; j < i; ++j) {
      if (options_.apps[j].name == options_.apps[i].name) {
        return InvalidArgumentError("two apps are named '" + options_.apps[i].name + "'");
      }
    }
  }
  const std::string fleet_dir = options_.data_dir + "/fleet";
  RETURN_IF_ERROR(storage::CreateDirs(fleet_dir));
  StopLeftovers(fleet_dir, logger());
  for (const AppSpec& spec : options_.apps) {
    auto app = std::make_unique<struct App>(this, spec);
    app->dir = fleet_dir + "/" + spec.name;
    RETURN_IF_ERROR(storage::CreateDirs(app->dir));
    apps_.push_back(std::move(app));
  }
  for (auto& app : apps_) {
    auto version = std::make_shared<const AppSpec>(app->spec);
    for (int i = 0; i < app->spec.instances; ++i) AddInstance(app.get(), version, true);
    Publish(app.get());
  }
  asio::co_spawn(io_, SampleLoop(), asio::detached);
  thread_ = std::thread([this] {
    SetThreadName("vigil-fleet");
    // The loop's work guard is the sampler, which runs until io_.stop().
    io_.run();
  });
  return OkStatus();
}

Instance* FleetImpl::AddInstance(struct App* app, std::shared_ptr<const AppSpec> version,
                                 bool in_rotation) {
  auto in = std::make_shared<Instance>(
      app, app->spec.name + "-" + std::to_string(++app->last_number), std::move(version), io_);
  in->in_rotation = in_rotation;
  in->state = InstanceState::kStarting;
  in->reason = "starting";
  in->state_since_ms = NowMs();
  app->instances.push_back(in);
  ++running_slots_;
  asio::co_spawn(io_, RunSlot(in), asio::detached);
  return in.get();
}

Status FleetImpl::StartProcess(Instance* in) {
  const AppSpec& spec = *in->spec;
  in->port = PickPort(in->port);
  if (in->port == 0) return UnavailableError("no free port on 127.0.0.1");
  ProcessSpec ps;
  for (const std::string& arg : spec.command) ps.argv.push_back(Expand(arg, *in));
  ps.env = {
      {"PORT", std::to_string(in->port)}, {"VIGIL_APP", spec.name}, {"VIGIL_INSTANCE_ID", in->id}};
  for (const auto& [k, v] : spec.env) ps.env.emplace_back(k, Expand(v, *in));
  ps.working_dir = spec.working_dir;
  ps.log_path = in->app->dir + "/" + in->id + ".log";
  if (options_.on_output) {
    ps.on_output = [sink = options_.on_output, app = spec.name, id = in->id](std::string_view b) {
      sink(app, id, b);
    };
  }
  ASSIGN_OR_RETURN(in->process, Process::Start(ps));
  Status recorded = WritePidfile(in->app->dir + "/" + in->id + ".pid", in->process->pid());
  if (!recorded.ok()) logger()->Warning("fleet", recorded.ToString());
  in->started = SteadyClock::now();
  in->started_at_ms = NowMs();
  in->ever_ready = false;
  in->ready_passes = in->ready_failures = in->live_failures = 0;
  in->kill_reason.clear();
  return OkStatus();
}

asio::awaitable<int> FleetImpl::WaitExit(Instance* in) {
  int status = 0;
  const int fd = in->process->pidfd() >= 0 ? ::dup(in->process->pidfd()) : -1;
  if (fd >= 0) {
    asio::posix::stream_descriptor exit(io_, fd);
    boost::system::error_code ec;
    while (!in->process->Poll(&status)) {
      co_await exit.async_wait(asio::posix::stream_descriptor::wait_read,
                               asio::redirect_error(asio::use_awaitable, ec));
    }
    co_return status;
  }
  asio::steady_timer tick(io_);  // no pidfd (kernel < 5.3): look every 10 ms
  while (!in->process->Poll(&status)) {
    tick.expires_after(std::chrono::milliseconds(10));
    boost::system::error_code ec;
    co_await tick.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
  co_return status;
}

asio::awaitable<void> FleetImpl::RunSlot(std::shared_ptr<Instance> in) {
  const AppSpec& spec = *in->spec;
  while (!in->stopping) {
    Status started = StartProcess(in.get());
    if (started.ok()) {
      const uint64_t run = ++in->run;
      SetState(in.get(), InstanceState::kStarting,
               "started as pid " + std::to_string(in->process->pid()) + " on port " +
                   std::to_string(in->port) + ", waiting for its first passing health check");
      asio::co_spawn(io_, ReadinessLoop(in, run), asio::detached);
      if (spec.liveness) asio::co_spawn(io_, LivenessLoop(in, run), asio::detached);
      const int status = co_await WaitExit(in.get());
      ++in->run;
      RemovePidfile(in->app->dir + "/" + in->id + ".pid");
      const int64_t uptime_ms =
          std::chrono::duration_cast<std::chrono::milliseconds>(SteadyClock::now() - in->started)
              .count();
      in->process.reset();
      in->in_rotation_since_ns = 0;
      if (in->stopping) break;
      std::string what = in->kill_reason.empty() ? DescribeWaitStatus(status) : in->kill_reason;
      what += " after running " + Seconds(uptime_ms);
      const bool asked = std::exchange(in->restart_asked, false);
      if (!asked && (spec.restart == RestartPolicy::kNever ||
                     (spec.restart == RestartPolicy::kOnFailure && WIFEXITED(status) &&
                      WEXITSTATUS(status) == 0))) {
        SetState(in.get(), InstanceState::kStopped, what + "; not restarted (restart policy)");
        break;
      }
      in->crash_streak = uptime_ms < spec.min_uptime_ms ? in->crash_streak + 1 : 1;
      ++in->restarts;
      logger()->Warning("fleet", in->id + " " + what + "; restarting");
      const int64_t delay = BackoffDelay(spec, in->crash_streak);
      if (delay == 0) continue;  // the first crash restarts at once
      SetState(in.get(), InstanceState::kCrashLooping,
               what + "; " + std::to_string(in->crash_streak) + " runs in a row shorter than " +
                   Seconds(spec.min_uptime_ms) + ", next start in " + Seconds(delay));
      in->wake.expires_after(std::chrono::milliseconds(delay));
    } else {
      // Could not start (exec failed, no port): the same backoff as a crash.
      ++in->crash_streak;
      const int64_t delay = std::max(spec.backoff_initial_ms, BackoffDelay(spec, in->crash_streak));
      SetState(in.get(), InstanceState::kCrashLooping,
               "cannot start: " + started.message() + "; next try in " + Seconds(delay));
      in->wake.expires_after(std::chrono::milliseconds(delay));
    }
    boost::system::error_code ec;
    co_await in->wake.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
  if (in->stopping) SetState(in.get(), InstanceState::kStopped, "stopped by Vigil");
  if (in->retired) {
    auto& list = in->app->instances;
    list.erase(std::remove(list.begin(), list.end(), in), list.end());
    Publish(in->app);
  }
  if (--running_slots_ == 0 && all_stopped_) all_stopped_->set_value();
}

asio::awaitable<void> FleetImpl::StopInstance(std::shared_ptr<Instance> in) {
  in->stopping = true;
  in->wake.cancel();
  if (!in->process) co_return;
  Process* process = in->process.get();
  const AppSpec& spec = *in->spec;
  SetState(in.get(), InstanceState::kDraining, "stopping: finishing requests in flight");
  asio::steady_timer timer(io_);
  boost::system::error_code ec;
  const auto drain_end = SteadyClock::now() + std::chrono::milliseconds(spec.drain_timeout_ms);
  while (in->process.get() == process && in->load->outstanding.load() > 0 &&
         SteadyClock::now() < drain_end) {
    timer.expires_after(std::chrono::milliseconds(5));
    co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
  if (in->process.get() != process) co_return;
  process->Signal(SIGTERM);
  timer.expires_after(std::chrono::milliseconds(spec.stop_timeout_ms));
  const uint64_t run = in->run;
  // RunSlot reaps the process; look every 5 ms whether it did, until the timeout.
  while (in->run == run && SteadyClock::now() < timer.expiry()) {
    asio::steady_timer tick(io_);
    tick.expires_after(std::chrono::milliseconds(5));
    co_await tick.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
  if (in->run == run && in->process) {
    logger()->Warning("fleet", in->id + " did not stop within " + Seconds(spec.stop_timeout_ms) +
                                   " of SIGTERM; killing it");
    in->process->Signal(SIGKILL);
  }
}

void FleetImpl::Stop() {
  if (stopped_.exchange(true)) return;
  if (!thread_.joinable()) return;
  auto done = std::make_shared<std::promise<void>>();
  std::future<void> all = done->get_future();
  asio::post(io_, [this, done] {
    all_stopped_ = done;
    if (running_slots_ == 0) {
      done->set_value();
      return;
    }
    for (auto& app : apps_) {
      for (auto& in : app->instances) asio::co_spawn(io_, StopInstance(in), asio::detached);
    }
  });
  all.wait();
  io_.stop();
  thread_.join();
}

void FleetImpl::SetState(Instance* in, InstanceState state, std::string reason) {
  const bool changed = in->state != state;
  if (!changed && in->reason == reason) return;
  in->state = state;
  in->reason = std::move(reason);
  if (changed) in->state_since_ms = NowMs();
  if (state == InstanceState::kHealthy && changed) {
    in->in_rotation_since_ns = SteadyClock::now().time_since_epoch().count();
  }
  if (changed) {
    logger()->Info("fleet", in->id + " " + std::string(StateName(state)) + ": " + in->reason);
  }
  Publish(in->app);
}

void FleetImpl::Publish(struct App* app) {
  AppInfo info;
  info.name = app->spec.name;
  if (!app->spec.listen_host.empty()) {
    info.listen = app->spec.listen_host + ":" + std::to_string(app->spec.listen_port);
  }
  info.desired = app->spec.instances;
  auto targets = std::make_shared<std::vector<Target>>();
  int unhealthy = 0;
  for (const auto& in : app->instances) {
    InstanceInfo i;
    i.id = in->id;
    i.version = in->spec->version;
    i.in_rotation = in->in_rotation && !in->retired;
    i.retiring = in->retired;
    i.pid = in->process ? in->process->pid() : 0;
    i.address = in->port != 0 ? "127.0.0.1:" + std::to_string(in->port) : "";
    i.state = in->state;
    i.reason = in->reason;
    i.restarts = in->restarts;
    i.started_at_ms = in->process ? in->started_at_ms : 0;
    i.state_since_ms = in->state_since_ms;
    i.cpu_percent = in->cpu_percent;
    i.rss_bytes = in->rss_bytes;
    if (i.in_rotation && in->state == InstanceState::kHealthy) {
      ++info.healthy;
      targets->push_back(Target{in->id, "127.0.0.1", in->port, in->in_rotation_since_ns, in->load});
    } else if (i.in_rotation && in->state != InstanceState::kDraining) {
      ++unhealthy;
    }
    info.instances.push_back(std::move(i));
  }
  app->targets.SetHostCounts(info.healthy, unhealthy);
  app->targets.targets_.store(std::move(targets), std::memory_order_release);
  std::lock_guard l(snapshot_mu_);
  app->info = std::move(info);
}

std::vector<AppInfo> FleetImpl::Apps() const {
  std::vector<AppInfo> out;
  std::lock_guard l(snapshot_mu_);
  for (const auto& app : apps_) out.push_back(app->info);
  return out;
}

StatusOr<AppInfo> FleetImpl::App(std::string_view name) const {
  const struct App* app = FindApp(name);
  if (app == nullptr) return NotFoundError("no app named '" + std::string(name) + "'");
  std::lock_guard l(snapshot_mu_);
  return app->info;
}

StatusOr<int> FleetImpl::RestartUnhealthy(std::string_view name, const std::string& why) {
  struct App* app = FindApp(name);
  if (app == nullptr) return NotFoundError("no app named '" + std::string(name) + "'");
  return OnLoop([this, app, why]() -> StatusOr<int> {
    int n = 0;
    for (auto& in : app->instances) {
      if (in->stopping) continue;
      if (in->state == InstanceState::kCrashLooping) {
        in->wake.cancel();  // RunSlot starts it at once
        ++n;
      } else if (in->state == InstanceState::kUnhealthy && in->process) {
        in->restart_asked = true;
        in->kill_reason = "restarted: " + why;
        SetState(in.get(), InstanceState::kUnhealthy, "restarting: " + why);
        in->process->Signal(SIGTERM);
        asio::co_spawn(io_, KillAfter(in, in->run, in->spec->stop_timeout_ms), asio::detached);
        ++n;
      }
    }
    if (n > 0)
      logger()->Info("fleet",
                     app->spec.name + ": restarting " + std::to_string(n) + " instance(s): " + why);
    return n;
  });
}

StatusOr<std::vector<std::string>> FleetImpl::Launch(std::string_view name,
                                                     const AppSpec& version, int count,
                                                     bool admit) {
  struct App* app = FindApp(name);
  if (app == nullptr) return NotFoundError("no app named '" + std::string(name) + "'");
  if (version.name != app->spec.name) {
    return InvalidArgumentError("version '" + version.version + "' is of app '" + version.name +
                                "', not '" + app->spec.name + "'");
  }
  if (count < 1) return InvalidArgumentError("launch at least one instance");
  RETURN_IF_ERROR(ValidateApp(version));
  auto spec = std::make_shared<const AppSpec>(version);
  return OnLoop([this, app, spec, count, admit]() -> StatusOr<std::vector<std::string>> {
    std::vector<std::string> ids;
    for (int i = 0; i < count; ++i) ids.push_back(AddInstance(app, spec, admit)->id);
    logger()->Info("fleet", app->spec.name + ": launched " + std::to_string(count) +
                                " instance(s) of version '" + spec->version + "'" +
                                (admit ? "" : " in standby"));
    Publish(app);
    return ids;
  });
}

namespace {

// The app's instances named in `ids`; NotFound naming the first unknown one.
StatusOr<std::vector<std::shared_ptr<Instance>>> Lookup(const App& app,
                                                        const std::vector<std::string>& ids) {
  std::vector<std::shared_ptr<Instance>> found;
  for (const std::string& id : ids) {
    auto it = std::find_if(app.instances.begin(), app.instances.end(),
                           [&](const auto& in) { return in->id == id && !in->retired; });
    if (it == app.instances.end()) {
      return NotFoundError("app '" + app.spec.name + "' has no instance '" + id + "'");
    }
    found.push_back(*it);
  }
  return found;
}

}  // namespace

Status FleetImpl::SetRotation(std::string_view name, const std::vector<std::string>& ids,
                              bool in_rotation) {
  struct App* app = FindApp(name);
  if (app == nullptr) return NotFoundError("no app named '" + std::string(name) + "'");
  return OnLoop([this, app, ids, in_rotation]() -> Status {
    ASSIGN_OR_RETURN(auto instances, Lookup(*app, ids));
    for (const auto& in : instances) {
      if (in->in_rotation == in_rotation) continue;
      in->in_rotation = in_rotation;
      // Slow start counts from the moment it joins.
      if (in_rotation) in->in_rotation_since_ns = SteadyClock::now().time_since_epoch().count();
    }
    Publish(app);
    return OkStatus();
  });
}

Status FleetImpl::Retire(std::string_view name, const std::vector<std::string>& ids,
                         const std::string& why) {
  struct App* app = FindApp(name);
  if (app == nullptr) return NotFoundError("no app named '" + std::string(name) + "'");
  return OnLoop([this, app, ids, why]() -> Status {
    ASSIGN_OR_RETURN(auto instances, Lookup(*app, ids));
    for (const auto& in : instances) {
      in->retired = true;
      logger()->Info("fleet", in->id + " retiring: " + why);
      asio::co_spawn(io_, StopInstance(in), asio::detached);
    }
    Publish(app);
    return OkStatus();
  });
}

asio::awaitable<void> FleetImpl::KillAfter(std::shared_ptr<Instance> in, uint64_t run,
                                           int64_t ms) {
  asio::steady_timer timer(io_);
  timer.expires_after(std::chrono::milliseconds(ms));
  boost::system::error_code ec;
  co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  if (in->run == run && in->process) in->process->Signal(SIGKILL);
}

TargetGroup* FleetImpl::Targets(std::string_view name) {
  struct App* app = FindApp(name);
  return app != nullptr ? &app->targets : nullptr;
}

struct App* FleetImpl::FindApp(std::string_view name) const {
  for (const auto& app : apps_) {
    if (app->spec.name == name) return app.get();
  }
  return nullptr;
}

std::shared_ptr<Instance> FleetImpl::FindInstance(const std::string& app_name,
                                                  const std::string& id) {
  struct App* app = FindApp(app_name);
  if (app == nullptr) return nullptr;
  for (auto& in : app->instances) {
    if (in->id == id) return in;
  }
  return nullptr;
}

const AppSpec& AppTargets::spec() const { return app_->spec; }

void AppTargets::Report(const std::string& instance_id, Failure failure,
                        const std::string& detail) {
  asio::post(fleet_->io(), [fleet = fleet_, app = app_->spec.name, instance_id, failure, detail] {
    fleet->OnReport(app, instance_id, failure, detail);
  });
}

}  // namespace vigil::fleet
