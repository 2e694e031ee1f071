#pragma once
// vigil::deploy — application versions, and deployments that roll them out with Elastic
// Beanstalk's policies and roll a bad one back faster than a person could.
//
// A version is a labelled bundle (a directory with the program and manifest.yaml) stored under
// <data-dir>/versions/<app>/<label>/; the configuration's app is version "v1". A deployment
// replaces the instances of the version that serves by instances of another, through the
// fleet's Launch / SetRotation / Retire: new instances must pass their health checks (and the
// named canaries, run against each of them) before old ones leave rotation. During the rollout
// and the bake that follows, the engine watches the named alarms, the app's default alarms and
// the new instances' health; any failure rolls back: the old version's instances come back into
// rotation first (launched again if they were retired), then the new ones are drained. At no
// moment is the app left without healthy instances in rotation, or with two versions after the
// deployment ends.
//
// Every deployment is a record in the state store, rewritten at each event, so a Vigil restart
// mid-deployment finds it: the fleet comes back on the last version that succeeded and the
// deployment runs again from the start (or, if it was rolling back, is marked rolled back).
//
// Thread-safety: every public method may be called from any thread. Each deployment runs on a
// thread of its own.
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/logging.h"
#include "common/status.h"
#include "fleet/fleet.h"
#include "state/state.h"
#include "storage/cipher.h"

namespace vigil::deploy {

// Elastic Beanstalk's deployment policies, as Vigil runs them on one machine:
//   all-at-once         every new instance starts at once and serves as soon as it is healthy;
//                       the old ones leave when all new ones are healthy.
//   rolling             batch by batch: a batch of old instances leaves rotation, as many new
//                       ones start and must be healthy before the next batch (capacity dips by
//                       a batch; a batch never takes the last old instance).
//   rolling-with-batch  batch by batch, new instances first: capacity never dips.
//   immutable           a full new set starts out of rotation, passes checks and canaries,
//                       then takes all traffic at once as the old set drains.
//   blue-green          as immutable, but the old set stays warm out of rotation through the
//                       bake, so a rollback is a switch, not a start.
enum class Policy { kAllAtOnce, kRolling, kRollingWithBatch, kImmutable, kBlueGreen };
std::string_view PolicyName(Policy policy);
// InvalidArgument listing the names.
StatusOr<Policy> ParsePolicy(std::string_view name);

struct Version {
  std::string app;
  std::string label;
  std::string source;  // "config" (the configuration's app) or "bundle"
  std::string description;
  std::string manifest;  // manifest.yaml as uploaded ("" for the config's version)
  int64_t created_ms = 0;
};

struct DeployRequest {
  std::string app;
  std::string label;  // the version to deploy
  Policy policy = Policy::kRolling;
  int batch = 1;               // instances per batch, or a percentage of them:
  bool batch_percent = false;  // batch = N%
  int64_t bake_ms = 30'000;    // watched after the last batch before the deployment succeeds
  int64_t health_timeout_ms = 60'000;  // a new instance must be healthy this soon after start
  std::vector<std::string> alarms;     // besides the app's default ones
  std::vector<std::string> canaries;   // run against each new instance, and during the bake
  std::string caller;                  // who asked, for the record
};

enum class DeploymentState { kInProgress, kSucceeded, kRolledBack, kFailed };
// "in-progress", "succeeded", "rolled-back", "failed".
std::string_view StateName(DeploymentState state);

struct Event {
  int64_t at_ms = 0;
  std::string message;
};

struct Deployment {
  std::string id;    // "<app>-<n>": n counts the app's deployments from 1
  std::string kind;  // "deploy", or "rollback" (manual or an alarm's; no analysis)
  DeployRequest request;
  std::string from_label;  // the version serving when it started
  DeploymentState state = DeploymentState::kInProgress;
  std::string phase;   // what it is doing now: "batch 2 of 3", "baking", "rolling back", ...
  std::string reason;  // why it ended as it did
  int64_t created_ms = 0, updated_ms = 0, finished_ms = 0;
  std::vector<Event> events;
  int batches = 0, batches_done = 0;  // progress
};

// What the engine watches, adapted by the server from the alarms and canary engines.
class Watch {
 public:
  virtual ~Watch() = default;
  struct Alarm {
    bool in_alarm = false;
    int64_t updated_ms = 0;  // when it entered its state
    std::string reason;
  };
  // NotFound for an unknown alarm.
  virtual StatusOr<Alarm> AlarmState(const std::string& name) = 0;
  // The alarms every deployment of `app` watches (5xx rate, healthy hosts).
  virtual std::vector<std::string> DefaultAlarms(const std::string& app) = 0;
  // NotFound for an unknown canary.
  virtual Status CanaryExists(const std::string& name) = 0;
  // Runs the canary once against `base_url` ("http://127.0.0.1:PORT"); an error status says
  // why it failed (or could not run).
  virtual Status RunCanary(const std::string& name, const std::string& base_url) = 0;
};

// Reads a version's manifest.yaml into the app's spec for that version (command, env, checks;
// see fleet::AppSpec). `app` is the configuration's spec; `bundle_dir` the version's files
// (its working directory); `source` names the file in errors.
using ManifestParser = std::function<StatusOr<fleet::AppSpec>(
    const fleet::AppSpec& app, const std::string& manifest, const std::string& bundle_dir,
    const std::string& source)>;

struct Options {
  std::string data_dir;                // versions go to <data_dir>/versions
  std::vector<fleet::AppSpec> apps;    // the configuration's apps: version "v1" of each
  state::Store* store = nullptr;       // required
  ManifestParser parse_manifest;       // required
  Watch* watch = nullptr;              // optional: no alarms, no canaries
  const Clock* clock = nullptr;        // required
  Logger* logger = nullptr;            // required
  // Optional: seals each version's manifest (it holds the app's environment variables) in the
  // state store, bound to the version; the manifest.yaml of a stored bundle is then removed
  // from the version's directory (the sealed record is what the engine reads). Null: stored
  // as uploaded. Must outlive the engine.
  storage::Cipher* cipher = nullptr;
  int64_t poll_ms = 100;               // how often a deployment looks at what it watches
};

class Engine {
 public:
  // Reads the versions and deployments; registers the configuration's apps as "v1".
  static StatusOr<std::unique_ptr<Engine>> Open(Options options);
  virtual ~Engine() = default;

  // The specs the fleet starts with: each app at the last version that was deployed with
  // success (or rolled back to). Call before Start.
  virtual StatusOr<std::vector<fleet::AppSpec>> CurrentSpecs() = 0;
  // Takes over the fleet; resumes the deployments a restart interrupted.
  virtual Status Start(fleet::Fleet* fleet) = 0;
  // Stops the deployments in progress where they are (their records say so; the next Start
  // resumes them) and waits for their threads.
  virtual void Stop() = 0;

  // Stores a version from a .tar.gz of its directory (which must hold manifest.yaml).
  // InvalidArgument for a bad label, archive or manifest; AlreadyExists for a taken label.
  virtual StatusOr<Version> CreateVersion(const std::string& app, const std::string& label,
                                          const std::string& archive,
                                          const std::string& description) = 0;
  virtual StatusOr<std::vector<Version>> Versions(const std::string& app) const = 0;
  // The label serving now (the last succeeded deployment's, or "v1").
  virtual StatusOr<std::string> CurrentVersion(const std::string& app) const = 0;

  // Starts a deployment; returns its record at once. FailedPrecondition while another
  // deployment of the app runs, or when the version already serves.
  virtual StatusOr<Deployment> Deploy(const DeployRequest& request) = 0;
  // Manual (or an alarm's) rollback, at once and without analysis: a deployment in progress
  // rolls back; otherwise the app goes back to `to` (default: the version before the current
  // one). FailedPrecondition when there is nothing to roll back to.
  virtual StatusOr<Deployment> Rollback(const std::string& app, const std::string& to,
                                        const std::string& why) = 0;
  // Newest first; at most `limit` (0: all).
  virtual StatusOr<std::vector<Deployment>> Deployments(const std::string& app,
                                                        size_t limit) const = 0;
  virtual StatusOr<Deployment> Get(const std::string& id) const = 0;
};

}  // namespace vigil::deploy
