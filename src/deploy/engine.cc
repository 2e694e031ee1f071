#include "deploy/engine.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <filesystem>

#include "deploy/bundle.h"
#include "storage/file_util.h"

namespace vigil::deploy {
namespace {

std::string VersionKey(const std::string& app, const std::string& label) {
  return app + "/" + label;
}

// With manifests sealed in the state store, the bundle's own manifest.yaml (the environment in
// the clear) is removed from the version's directory; the engine never reads it there.
Status RemoveManifestCopy(const std::string& version_dir) {
  const std::string path = version_dir + "/manifest.yaml";
  if (std::remove(path.c_str()) != 0 && errno != ENOENT) return IoError("remove", path, errno);
  return OkStatus();
}

// The n of a deploy_runs key "<app>/<n:010>".
int RunNumber(const std::string& key) { return std::stoi(key.substr(key.rfind('/') + 1)); }

}  // namespace

StatusOr<std::unique_ptr<Engine>> Engine::Open(Options options) {
  if (options.store == nullptr || options.clock == nullptr || options.logger == nullptr ||
      !options.parse_manifest) {
    return InvalidArgumentError("deploy::Engine needs a store, a clock, a logger and a parser");
  }
  auto engine = std::make_unique<EngineImpl>(std::move(options));
  RETURN_IF_ERROR(engine->Load());
  return std::unique_ptr<Engine>(std::move(engine));
}

Status EngineImpl::Load() {
  state::Store& store = *options_.store;
  ASSIGN_OR_RETURN(std::vector<state::Record> versions, store.Scan(kVersionsTable, ""));
  state::Batch batch;
  for (const state::Record& r : versions) {
    ASSIGN_OR_RETURN(Version v, DecodeVersion(r.value, options_.cipher));
    if (options_.cipher != nullptr && !v.manifest.empty()) {
      // Stored before manifests were sealed: seal it now, and drop the bundle's plaintext copy.
      if (r.value.find("\"manifest_sealed\"") == std::string::npos) {
        ASSIGN_OR_RETURN(std::string sealed, EncodeVersion(v, options_.cipher));
        batch.Put(kVersionsTable, r.key, sealed);
      }
      RETURN_IF_ERROR(RemoveManifestCopy(VersionDir(v.app, v.label)));
    }
    versions_[r.key] = std::move(v);
  }
  ASSIGN_OR_RETURN(std::vector<state::Record> apps, store.Scan(kAppsTable, ""));
  for (const state::Record& r : apps) {
    ASSIGN_OR_RETURN(apps_[r.key], DecodeApp(r.value));
  }
  ASSIGN_OR_RETURN(std::vector<state::Record> runs, store.Scan(kRunsTable, ""));
  for (const state::Record& r : runs) {
    ASSIGN_OR_RETURN(Deployment d, DecodeDeployment(r.value));
    int& last = last_run_[d.request.app];
    last = std::max(last, RunNumber(r.key));
    runs_[r.key] = std::move(d);
  }
  // Each configured app's own version, "v1"; the app serves it until something is deployed.
  for (const fleet::AppSpec& app : options_.apps) {
    const std::string key = VersionKey(app.name, std::string(kConfigLabel));
    if (!versions_.contains(key)) {
      Version v{app.name, std::string(kConfigLabel), "config", "the configuration's app", "",
                NowMs()};
      ASSIGN_OR_RETURN(std::string record, EncodeVersion(v, options_.cipher));
      batch.Put(kVersionsTable, key, record);
      versions_[key] = std::move(v);
    }
    if (!apps_.contains(app.name)) {
      AppRecord a{std::string(kConfigLabel), ""};
      batch.Put(kAppsTable, app.name, EncodeApp(a));
      apps_[app.name] = std::move(a);
    }
  }
  if (!batch.empty()) RETURN_IF_ERROR(store.Apply(batch));
  return OkStatus();
}

const fleet::AppSpec* EngineImpl::ConfigApp(const std::string& app) const {
  for (const fleet::AppSpec& spec : options_.apps) {
    if (spec.name == app) return &spec;
  }
  return nullptr;
}

std::string EngineImpl::VersionDir(const std::string& app, const std::string& label) const {
  return options_.data_dir + "/versions/" + app + "/" + label;
}

StatusOr<fleet::AppSpec> EngineImpl::SpecOf(const std::string& app,
                                            const std::string& label) const {
  const fleet::AppSpec* config = ConfigApp(app);
  if (config == nullptr) return NotFoundError("no app named '" + app + "'");
  Version version;
  {
    std::lock_guard l(versions_mu_);
    auto it = versions_.find(VersionKey(app, label));
    if (it == versions_.end()) {
      return NotFoundError("app '" + app + "' has no version '" + label + "'");
    }
    version = it->second;
  }
  fleet::AppSpec spec = *config;
  if (version.source != "config") {
    const std::string dir = VersionDir(app, label);
    ASSIGN_OR_RETURN(spec, options_.parse_manifest(*config, version.manifest, dir,
                                                   dir + "/manifest.yaml"));
  }
  spec.version = label;
  return spec;
}

StatusOr<std::vector<fleet::AppSpec>> EngineImpl::CurrentSpecs() {
  std::vector<fleet::AppSpec> specs;
  for (const fleet::AppSpec& app : options_.apps) {
    ASSIGN_OR_RETURN(std::string label, CurrentVersion(app.name));
    StatusOr<fleet::AppSpec> spec = SpecOf(app.name, label);
    if (!spec.ok()) {
      // The version's files went missing or its manifest no longer reads: serve the
      // configuration's rather than nothing, and say so.
      options_.logger->Error("deploy", app.name + ": cannot start version '" + label + "' (" +
                                           spec.status().message() + "); starting " +
                                           std::string(kConfigLabel) + " instead");
      ASSIGN_OR_RETURN(spec, SpecOf(app.name, std::string(kConfigLabel)));
    }
    specs.push_back(*std::move(spec));
  }
  return specs;
}

Status EngineImpl::Start(fleet::Fleet* fleet) {
  std::lock_guard l(mu_);
  fleet_ = fleet;
  // Deployments a restart interrupted: the fleet came back on the current version.
  for (auto& [key, d] : runs_) {
    if (d.state != DeploymentState::kInProgress) continue;
    Deployment resumed = d;
    const std::string serving = apps_[d.request.app].current;
    resumed.events.push_back(
        Event{NowMs(), "Vigil restarted during the deployment; the app came back on version '" +
                           serving + "'"});
    // Stopped between recording the new version as current and closing the record: done.
    const bool finished = serving == d.request.label;
    if (finished || (d.kind == "deploy" && d.phase == "rolling back")) {
      resumed.state = finished ? DeploymentState::kSucceeded : DeploymentState::kRolledBack;
      resumed.reason = finished ? "version '" + serving + "' serves"
                                : "rolled back (Vigil restarted while rolling back): " + d.reason;
      resumed.finished_ms = resumed.updated_ms = NowMs();
      resumed.phase = "done";
      resumed.events.push_back(Event{NowMs(), resumed.reason});
      d = resumed;
      RETURN_IF_ERROR(options_.store->Put(kRunsTable, key, EncodeDeployment(d)));
      continue;
    }
    resumed.events.push_back(Event{NowMs(), "starting the deployment again from the beginning"});
    resumed.from_label = serving;
    resumed.batches_done = 0;
    RETURN_IF_ERROR(Launch(std::move(resumed)));
  }
  return OkStatus();
}

void EngineImpl::Stop() {
  std::vector<Running> running;
  {
    std::lock_guard l(mu_);
    if (stopped_) return;
    stopped_ = true;
    running = std::move(running_);
  }
  for (Running& r : running) r.rollout->AskStop();
  for (Running& r : running) r.thread.join();
}

StatusOr<Version> EngineImpl::CreateVersion(const std::string& app, const std::string& label,
                                            const std::string& archive,
                                            const std::string& description) {
  const fleet::AppSpec* config = ConfigApp(app);
  if (config == nullptr) return NotFoundError("no app named '" + app + "'");
  if (!IsValidLabel(label)) {
    return InvalidArgumentError("version label '" + label +
                                "' must be 1 to 64 letters, digits, '.', '_' or '-', starting "
                                "with a letter or digit");
  }
  const std::string key = VersionKey(app, label);
  {
    std::lock_guard l(versions_mu_);
    if (versions_.contains(key)) {
      return AlreadyExistsError("app '" + app + "' already has a version '" + label + "'");
    }
  }
  const std::string parent = options_.data_dir + "/versions/" + app;
  RETURN_IF_ERROR(storage::CreateDirs(parent));
  // Unpacked aside, checked, then renamed into place: a version's directory is whole or absent.
  const std::string staging = parent + "/." + label + ".new";
  std::error_code ec;
  std::filesystem::remove_all(staging, ec);
  RETURN_IF_ERROR(Unpack(archive, staging));
  auto discard = [&](Status s) {
    std::filesystem::remove_all(staging, ec);
    return s;
  };
  StatusOr<std::string> manifest = ReadWholeFile(staging + "/manifest.yaml");
  if (!manifest.ok()) {
    return discard(InvalidArgumentError("the bundle has no manifest.yaml at its top level"));
  }
  // Parsed against its final place: the command is checked where it will run.
  const std::string dir = VersionDir(app, label);
  StatusOr<fleet::AppSpec> spec =
      options_.parse_manifest(*config, *manifest, staging, dir + "/manifest.yaml");
  if (!spec.ok()) return discard(spec.status());
  std::filesystem::remove_all(dir, ec);  // a leftover of a creation that was not recorded
  std::filesystem::rename(staging, dir, ec);
  if (ec) return discard(IoError("rename", staging, ec.value()));
  Version v{app, label, "bundle", description, *manifest, NowMs()};
  ASSIGN_OR_RETURN(std::string record, EncodeVersion(v, options_.cipher));
  std::lock_guard l(versions_mu_);
  if (versions_.contains(key)) {  // created meanwhile by another call
    return AlreadyExistsError("app '" + app + "' already has a version '" + label + "'");
  }
  RETURN_IF_ERROR(options_.store->Put(kVersionsTable, key, record));
  if (options_.cipher != nullptr) RETURN_IF_ERROR(RemoveManifestCopy(dir));
  versions_[key] = v;
  options_.logger->Info("deploy", app + ": version '" + label + "' created");
  return v;
}

StatusOr<std::vector<Version>> EngineImpl::Versions(const std::string& app) const {
  if (ConfigApp(app) == nullptr) return NotFoundError("no app named '" + app + "'");
  std::vector<Version> out;
  std::lock_guard l(versions_mu_);
  for (auto it = versions_.lower_bound(app + "/"); it != versions_.end(); ++it) {
    if (it->second.app != app) break;
    out.push_back(it->second);
  }
  std::sort(out.begin(), out.end(),
            [](const Version& a, const Version& b) { return a.created_ms < b.created_ms; });
  return out;
}

StatusOr<std::string> EngineImpl::CurrentVersion(const std::string& app) const {
  std::lock_guard l(mu_);
  auto it = apps_.find(app);
  if (it == apps_.end()) return NotFoundError("no app named '" + app + "'");
  return it->second.current;
}

Rollout* EngineImpl::FindRunning(const std::string& app) {
  for (Running& r : running_) {
    if (!r.rollout->done() && r.rollout->app() == app) return r.rollout.get();
  }
  return nullptr;
}

StatusOr<Deployment> EngineImpl::NewDeployment(const std::string& kind, DeployRequest request,
                                               const std::string& from) {
  Deployment d;
  const int n = ++last_run_[request.app];
  d.id = request.app + "-" + std::to_string(n);
  d.kind = kind;
  d.request = std::move(request);
  d.from_label = from;
  d.created_ms = d.updated_ms = NowMs();
  d.phase = "starting";
  RETURN_IF_ERROR(options_.store->Put(kRunsTable, RunKey(d.request.app, n), EncodeDeployment(d)));
  runs_[RunKey(d.request.app, n)] = d;
  return d;
}

Status EngineImpl::Launch(Deployment d) {
  if (fleet_ == nullptr || stopped_) return FailedPreconditionError("deployments are not running");
  ReapFinished();
  const std::string& app = d.request.app;
  ASSIGN_OR_RETURN(fleet::AppSpec from, SpecOf(app, d.from_label));
  ASSIGN_OR_RETURN(fleet::AppSpec to, SpecOf(app, d.request.label));
  const int desired = ConfigApp(app)->instances;
  auto rollout = std::make_unique<Rollout>(this, std::move(d), std::move(from), std::move(to),
                                           desired);
  Rollout* r = rollout.get();
  running_.push_back(Running{std::move(rollout), std::thread([r] { r->Run(); })});
  return OkStatus();
}

Status EngineImpl::LaunchOrFail(Deployment& d) {
  Status launched = Launch(d);
  if (launched.ok()) return OkStatus();
  d.state = DeploymentState::kFailed;
  d.phase = "done";
  d.reason = "could not start: " + launched.message();
  d.finished_ms = d.updated_ms = NowMs();
  d.events.push_back(Event{d.finished_ms, d.reason});
  const std::string key = RunKey(d.request.app, last_run_[d.request.app]);
  options_.store->Put(kRunsTable, key, EncodeDeployment(d)).IgnoreError();  // reported below
  runs_[key] = d;
  return launched;
}

void EngineImpl::ReapFinished() {
  for (auto it = running_.begin(); it != running_.end();) {
    if (it->rollout->done()) {
      it->thread.join();
      it = running_.erase(it);
    } else {
      ++it;
    }
  }
}

StatusOr<Deployment> EngineImpl::Deploy(const DeployRequest& request) {
  if (ConfigApp(request.app) == nullptr) return NotFoundError("no app named '" + request.app + "'");
  if (request.batch < 1 || (request.batch_percent && request.batch > 100)) {
    return InvalidArgumentError("batch must be at least 1 instance, or 1% to 100%");
  }
  if (request.bake_ms < 0 || request.health_timeout_ms < 1) {
    return InvalidArgumentError("bake must be 0 or more and the health timeout positive");
  }
  if (options_.watch != nullptr) {
    for (const std::string& alarm : request.alarms) {
      RETURN_IF_ERROR(options_.watch->AlarmState(alarm).status());
    }
    for (const std::string& canary : request.canaries) {
      RETURN_IF_ERROR(options_.watch->CanaryExists(canary));
    }
  } else if (!request.alarms.empty() || !request.canaries.empty()) {
    return FailedPreconditionError("this server watches no alarms or canaries");
  }
  RETURN_IF_ERROR(SpecOf(request.app, request.label).status());
  std::lock_guard l(mu_);
  if (Rollout* running = FindRunning(request.app); running != nullptr) {
    return FailedPreconditionError("a deployment of '" + request.app +
                                   "' is in progress; wait for it or roll it back");
  }
  const std::string current = apps_[request.app].current;
  if (current == request.label) {
    return FailedPreconditionError("version '" + request.label + "' of '" + request.app +
                                   "' is already serving");
  }
  ASSIGN_OR_RETURN(Deployment d, NewDeployment("deploy", request, current));
  RETURN_IF_ERROR(LaunchOrFail(d));
  return d;
}

StatusOr<Deployment> EngineImpl::Rollback(const std::string& app, const std::string& to,
                                          const std::string& why) {
  if (ConfigApp(app) == nullptr) return NotFoundError("no app named '" + app + "'");
  std::lock_guard l(mu_);
  if (Rollout* running = FindRunning(app); running != nullptr && running->AskRollback(why)) {
    for (const auto& [key, d] : runs_) {
      if (d.request.app == app && d.state == DeploymentState::kInProgress) return d;
    }
  }
  const AppRecord& record = apps_[app];
  const std::string target = to.empty() ? record.previous : to;
  if (target.empty()) {
    return FailedPreconditionError("'" + app + "' has no earlier version to roll back to");
  }
  if (target == record.current) {
    return FailedPreconditionError("version '" + target + "' of '" + app + "' is already serving");
  }
  DeployRequest request;
  request.app = app;
  request.label = target;
  request.policy = Policy::kAllAtOnce;
  request.bake_ms = 0;
  request.caller = why;
  RETURN_IF_ERROR(SpecOf(app, target).status());
  ASSIGN_OR_RETURN(Deployment d, NewDeployment("rollback", request, record.current));
  RETURN_IF_ERROR(LaunchOrFail(d));
  return d;
}

StatusOr<std::vector<Deployment>> EngineImpl::Deployments(const std::string& app,
                                                          size_t limit) const {
  if (ConfigApp(app) == nullptr) return NotFoundError("no app named '" + app + "'");
  std::vector<Deployment> out;
  std::lock_guard l(mu_);
  const std::string prefix = app + "/";
  for (auto it = runs_.lower_bound(prefix + "~"); it != runs_.begin();) {
    --it;
    if (it->first.compare(0, prefix.size(), prefix) != 0) break;
    out.push_back(it->second);
    if (limit > 0 && out.size() >= limit) break;
  }
  return out;
}

StatusOr<Deployment> EngineImpl::Get(const std::string& id) const {
  const size_t dash = id.rfind('-');
  if (dash != std::string::npos && dash + 1 < id.size() &&
      id.find_first_not_of("0123456789", dash + 1) == std::string::npos) {
    std::lock_guard l(mu_);
    auto it = runs_.find(RunKey(id.substr(0, dash), std::stoi(id.substr(dash + 1))));
    if (it != runs_.end()) return it->second;
  }
  return NotFoundError("no deployment '" + id + "'");
}

void EngineImpl::Save(const Deployment& d) {
  const int n = std::stoi(d.id.substr(d.id.rfind('-') + 1));
  const std::string key = RunKey(d.request.app, n);
  Status stored = options_.store->Put(kRunsTable, key, EncodeDeployment(d));
  if (!stored.ok()) {
    options_.logger->Error("deploy", d.id + ": cannot store the deployment's record: " +
                                         stored.ToString());
  }
  std::lock_guard l(mu_);
  runs_[key] = d;
}

void EngineImpl::SetCurrent(const std::string& app, const std::string& label,
                            const std::string& previous) {
  AppRecord a{label, previous};
  Status stored = options_.store->Put(kAppsTable, app, EncodeApp(a));
  if (!stored.ok()) {
    options_.logger->Error("deploy", app + ": cannot record version '" + label +
                                         "' as current: " + stored.ToString());
  }
  std::lock_guard l(mu_);
  apps_[app] = std::move(a);
}

}  // namespace vigil::deploy
