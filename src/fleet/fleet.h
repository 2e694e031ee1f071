#pragma once
// vigil::fleet — runs each application's instances, knows which are healthy, heals the rest.
//
// A Fleet owns one supervisor thread (an Asio event loop) that starts instances as child
// processes (process.h), watches their exits through pidfds, restarts them with a capped
// exponential backoff while they crash-loop, runs their active health checks (readiness and,
// when configured, liveness), samples /proc every second, and publishes which instances may take
// traffic. The load balancer reads that through a TargetGroup per app and reports what it sees
// (connection failures, 5xx runs, stalls) back, so passive and active checks decide together.
//
// Thread-safety: every public method may be called from any thread.
#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/clock.h"
#include "common/logging.h"
#include "common/metric_sink.h"
#include "common/status.h"

namespace vigil::fleet {

// An active health check (Kubernetes' probe, HAProxy's `check`, Envoy's health checker).
struct CheckSpec {
  enum class Kind { kHttp, kTcp };
  Kind kind = Kind::kHttp;
  std::string path = "/";       // kHttp: GET path; a 2xx or 3xx answer passes
  int64_t interval_ms = 1000;   // between the end of one check and the start of the next
  int64_t timeout_ms = 500;     // a check with no answer by then fails
  int healthy_threshold = 2;    // consecutive passes that make a failing instance pass
  int unhealthy_threshold = 2;  // consecutive failures that make a passing instance fail
  double jitter = 0.1;          // each interval is drawn from interval × [1 - jitter, 1 + jitter]
};

enum class RestartPolicy { kAlways, kOnFailure, kNever };

// An app, and the version of its program that instances run. The fields from `command` to
// `metrics_path`, the stop and drain timeouts, the restart policy and `version` are the
// version's: a deployment launches instances of another AppSpec of the same app (Fleet::Launch).
// The rest (name, instances, listen, load-balancer tuning) is the app's.
struct AppSpec {
  std::string name;
  std::string version;  // the version's label ("v1"); "" when the app has none
  // argv; "${PORT}" (a free port Vigil picks per instance), "${INSTANCE_ID}" and "${APP}" are
  // replaced in every argument and env value.
  std::vector<std::string> command;
  int instances = 1;
  // The load balancer's listener for this app; empty host: no load balancer (a worker app).
  std::string listen_host;
  uint16_t listen_port = 0;  // 0 with a host: a free port
  std::vector<std::pair<std::string, std::string>> env;
  std::string working_dir;
  int64_t stop_timeout_ms = 10'000;   // SIGTERM to the group, SIGKILL after this
  int64_t drain_timeout_ms = 10'000;  // how long a leaving instance may finish its requests
  RestartPolicy restart = RestartPolicy::kAlways;
  // A run shorter than min_uptime is a crash in a loop: the next start waits, from
  // backoff_initial doubling to backoff_max. The first crash restarts at once.
  int64_t min_uptime_ms = 10'000;
  int64_t backoff_initial_ms = 250;
  int64_t backoff_max_ms = 30'000;
  // Readiness ("health_check"): failing takes the instance out of rotation, never kills it.
  // Unset: a TCP check of ${PORT} with the defaults above (HAProxy's plain `check`).
  std::optional<CheckSpec> readiness;
  // Liveness ("liveness_check"): failing kills the instance (SIGKILL: it does not answer, so a
  // graceful stop cannot work) and starts a replacement. Unset: only an exit counts.
  std::optional<CheckSpec> liveness;
  // Prometheus text scraped each sampling round and stored under Vigil/Instances; empty: none.
  std::string metrics_path;
  // Load balancer tuning (read by lb):
  int64_t slow_start_ms = 0;  // a target joining rotation gets a share growing over this time
  int consecutive_5xx = 5;    // 5xx answers in a row that eject a target (0: never)
  bool access_log = true;     // <data-dir>/lb/<app>/access.log, a line per request
  // TLS termination at the listener (`tls: {cert, key}`, PEM files); empty: plain HTTP. The
  // instances are reached over plain HTTP, told X-Forwarded-Proto: https.
  std::string tls_cert_file, tls_key_file;
};

// An app name: 1 to 64 letters, digits, '_' or '-', starting with a letter or digit (it names
// directories, metric dimensions and URL paths).
bool IsValidAppName(std::string_view name);

enum class InstanceState { kStarting, kHealthy, kUnhealthy, kDraining, kStopped, kCrashLooping };
// "starting", "healthy", "unhealthy", "draining", "stopped", "crash-looping".
std::string_view StateName(InstanceState state);

struct InstanceInfo {
  std::string id;       // "<app>-<n>", stable across restarts; never reused while Vigil runs
  std::string version;  // the label of the version it runs
  bool in_rotation = true;  // may take requests when healthy (false: standby, or retiring)
  bool retiring = false;    // Retire asked: draining and stopping, then gone
  pid_t pid = 0;        // 0 when not running
  std::string address;  // "127.0.0.1:PORT"
  InstanceState state = InstanceState::kStopped;
  std::string reason;  // why it is in this state, for people
  int restarts = 0;
  int64_t started_at_ms = 0;  // wall clock of the current run's start; 0 when not running
  int64_t state_since_ms = 0;
  // The last sample (every sample_interval): CPU over the interval, resident memory. -1 until
  // the instance's first sample (or its first two, for CPU), and while it is not running.
  double cpu_percent = -1;
  int64_t rss_bytes = -1;
};

struct AppInfo {
  std::string name;
  std::string listen;  // "127.0.0.1:8080", or "" without a load balancer
  int desired = 0;
  int healthy = 0;  // healthy and in rotation
  std::vector<InstanceInfo> instances;
};

// What the load balancer does to a target, shared with the supervisor (which reads it while
// draining) without locks: the load balancer's hot path only touches these atomics.
struct TargetLoad {
  std::atomic<int> outstanding{0};      // requests sent and not yet answered
  std::atomic<int> consecutive_5xx{0};  // reset by any other answer
};

// A target in rotation: an instance the load balancer may send new requests to.
struct Target {
  std::string instance_id;
  std::string host;
  uint16_t port = 0;
  int64_t in_rotation_since_ns = 0;  // steady clock, for slow start
  std::shared_ptr<TargetLoad> load;
};

// What the load balancer saw go wrong with a target.
enum class Failure {
  kConnect,  // could not connect, or the connection died before any answer: ejected at once
  k5xx,      // a 5xx answer; ejected after AppSpec::consecutive_5xx in a row
  kStall,    // no answer for a while: probed at once, ejected if the probe fails too
};

// One app's targets, as the load balancer sees them. Owned by the Fleet, which outlives it.
class TargetGroup {
 public:
  virtual ~TargetGroup() = default;
  virtual const AppSpec& spec() const = 0;
  // The targets in rotation now: an immutable snapshot, replaced on every change. Cheap.
  virtual std::shared_ptr<const std::vector<Target>> Targets() const = 0;
  // Passive checks. Ejection takes the target out of rotation until active checks re-admit it.
  virtual void Report(const std::string& instance_id, Failure failure,
                      const std::string& detail) = 0;
  // Healthy and unhealthy instance counts (ELB's HealthyHostCount, UnHealthyHostCount).
  virtual std::pair<int, int> HostCounts() const = 0;
};

struct FleetOptions {
  std::string data_dir;  // <data_dir>/fleet/<app>/<instance>.log and .pid
  std::vector<AppSpec> apps;
  int64_t sample_interval_ms = 1000;
  Clock* clock = nullptr;         // required
  Logger* logger = nullptr;       // required
  MetricSink* metrics = nullptr;  // optional: Vigil/Instances and Vigil/Host samples
  // Optional: each instance's stdout and stderr as read (app, instance id, bytes), on that
  // instance's reader thread (see ProcessSpec::on_output).
  std::function<void(const std::string& app, const std::string& instance, std::string_view)>
      on_output;
};

class Fleet {
 public:
  // Validates the specs, stops what a previous Vigil left running (pidfiles in data_dir), and
  // starts every app's instances. InvalidArgument naming the app when a spec is wrong (a
  // command that cannot run included); Unavailable when the data dir cannot be written.
  static StatusOr<std::unique_ptr<Fleet>> Start(FleetOptions options);

  // Stops every instance (SIGTERM, SIGKILL after each app's stop_timeout) and the supervisor.
  virtual ~Fleet() = default;
  virtual void Stop() = 0;

  virtual std::vector<AppInfo> Apps() const = 0;
  // NotFound for an unknown app.
  virtual StatusOr<AppInfo> App(std::string_view name) const = 0;
  // The app's target group; nullptr for an unknown app. Valid for the Fleet's lifetime.
  virtual TargetGroup* Targets(std::string_view app) = 0;
  // Restarts the app's instances that are not healthy (an alarm's `vigil:restart:<app>`):
  // unhealthy ones get SIGTERM (SIGKILL after stop_timeout) and start again whatever the
  // restart policy; crash-looping ones start now instead of after their backoff. Healthy,
  // starting and draining instances are left alone. Returns how many were restarted;
  // NotFound for an unknown app.
  virtual StatusOr<int> RestartUnhealthy(std::string_view app, const std::string& why) = 0;

  // Deployment primitives (src/deploy). Each returns once the fleet's loop has taken the
  // change; NotFound for an unknown app or instance id, FailedPrecondition while stopping.
  //
  // Starts `count` new instances of `version` (an AppSpec of the app: see AppSpec). With
  // `admit` they join rotation when healthy; without, they run and are checked but take no
  // request (standby) until Admit. Returns their ids.
  virtual StatusOr<std::vector<std::string>> Launch(std::string_view app, const AppSpec& version,
                                                    int count, bool admit) = 0;
  // Puts instances in rotation (they take requests while healthy), or takes them out (they
  // keep running, in standby; requests in flight finish).
  virtual Status SetRotation(std::string_view app, const std::vector<std::string>& ids,
                             bool in_rotation) = 0;
  // Takes instances out of rotation, lets their requests in flight finish (drain timeout),
  // stops them (SIGTERM, SIGKILL after the stop timeout) and forgets them. Returns at once:
  // they show as draining until gone.
  virtual Status Retire(std::string_view app, const std::vector<std::string>& ids,
                        const std::string& why) = 0;
};

}  // namespace vigil::fleet
