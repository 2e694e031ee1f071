// One deployment's thread: the policies batch by batch, the watch, the bake, the rollback.
#include <algorithm>
#include <cmath>

#include "deploy/engine.h"

namespace vigil::deploy {
namespace {

std::string Join(const std::vector<std::string>& ids) {
  std::string out;
  for (const std::string& id : ids) out += (out.empty() ? "" : ", ") + id;
  return out;
}

std::string Seconds(int64_t ms) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.1f s", static_cast<double>(ms) / 1000.0);
  return buf;
}

const fleet::InstanceInfo* Find(const fleet::AppInfo& app, const std::string& id) {
  for (const fleet::InstanceInfo& in : app.instances) {
    if (in.id == id) return &in;
  }
  return nullptr;
}

// Why a deployment stops going forward: something it watches failed, or it was asked to.
Status Failed(std::string why) { return FailedPreconditionError(std::move(why)); }

}  // namespace

void Rollout::Run() {
  const DeployRequest& r = d_.request;
  watch_since_ms_ = engine_->NowMs();
  if (deploy::Watch* watch = engine_->options().watch; watch != nullptr) {
    watched_alarms_ = r.alarms;
    for (const std::string& alarm : watch->DefaultAlarms(r.app)) {
      if (std::find(watched_alarms_.begin(), watched_alarms_.end(), alarm) ==
          watched_alarms_.end()) {
        watched_alarms_.push_back(alarm);
      }
    }
  }
  if (d_.kind == "rollback") {
    SetEnding();
    Note("rolling back from version '" + d_.from_label + "' to '" + r.label + "' (" + r.caller +
         ")");
    Status switched = Switch();
    if (switched.ok()) {
      engine_->SetCurrent(r.app, r.label, d_.from_label);
      Finish(DeploymentState::kSucceeded, "version '" + r.label + "' serves");
    } else if (interrupted() != Interrupt::kStop) {
      Finish(DeploymentState::kFailed, switched.message());
    }
    done_ = true;
    return;
  }
  std::string plan = "deploying version '" + r.label + "' over '" + d_.from_label + "': " +
                     std::string(PolicyName(r.policy));
  if (r.policy == Policy::kRolling || r.policy == Policy::kRollingWithBatch) {
    plan += ", batches of " + std::to_string(r.batch) + (r.batch_percent ? "%" : "");
  }
  plan += ", bake " + Seconds(r.bake_ms);
  if (!watched_alarms_.empty()) plan += ", watching alarms " + Join(watched_alarms_);
  if (!r.canaries.empty()) plan += ", canaries " + Join(r.canaries);
  Note(plan);
  Status deployed = Deploy();
  if (deployed.ok()) deployed = Bake();
  if (deployed.ok()) {
    SetEnding();
    // Blue/green kept the old set warm through the bake; it goes now.
    Status retired = Retire(InstancesOf(d_.from_label, false), "replaced by '" + r.label + "'");
    if (!retired.ok()) Note("could not retire the old instances: " + retired.message());
    engine_->SetCurrent(r.app, r.label, d_.from_label);
    Finish(DeploymentState::kSucceeded, "version '" + r.label + "' serves");
    done_ = true;
    return;
  }
  if (interrupted() == Interrupt::kStop) {
    Note("Vigil is stopping: the deployment resumes when it starts again");
    done_ = true;
    return;
  }
  SetEnding();
  d_.reason = deployed.message();
  SetPhase("rolling back");
  Note("rolling back: " + deployed.message());
  const int64_t started = engine_->NowMs();
  Status back = RollBack();
  if (back.ok()) {
    Finish(DeploymentState::kRolledBack, "rolled back in " + Seconds(engine_->NowMs() - started) +
                                             ": " + deployed.message());
  } else if (interrupted() != Interrupt::kStop) {
    Finish(DeploymentState::kFailed, deployed.message() + "; and the rollback failed: " +
                                         back.message());
  }
  done_ = true;
}

Status Rollout::Deploy() {
  const DeployRequest& r = d_.request;
  const std::vector<std::string> old = InstancesOf(d_.from_label, true);
  const int n = desired_;
  int batch = r.batch_percent
                  ? static_cast<int>(std::ceil(n * static_cast<double>(r.batch) / 100.0))
                  : r.batch;
  batch = std::clamp(batch, 1, n);
  std::vector<std::string> fresh;
  switch (r.policy) {
    case Policy::kAllAtOnce: {
      d_.batches = 1;
      SetPhase("launching " + std::to_string(n) + " instance(s)");
      RETURN_IF_ERROR(LaunchHealthy(to_, n, /*admit=*/true, /*watch=*/true, &fresh));
      RETURN_IF_ERROR(RunCanaries(fresh));
      RETURN_IF_ERROR(Retire(old, "replaced by '" + r.label + "'"));
      d_.batches_done = 1;
      return OkStatus();
    }
    case Policy::kImmutable:
    case Policy::kBlueGreen: {
      d_.batches = 1;
      SetPhase("launching a new set of " + std::to_string(n) + " instance(s) out of rotation");
      RETURN_IF_ERROR(LaunchHealthy(to_, n, /*admit=*/false, /*watch=*/true, &fresh));
      RETURN_IF_ERROR(RunCanaries(fresh));
      // The new set first, then the old one out: never a moment without healthy instances.
      RETURN_IF_ERROR(engine_->fleet()->SetRotation(r.app, fresh, true));
      admitted_.insert(fresh.begin(), fresh.end());
      if (r.policy == Policy::kBlueGreen) {
        RETURN_IF_ERROR(engine_->fleet()->SetRotation(r.app, old, false));
        Note("traffic switched to " + Join(fresh) + "; " + Join(old) +
             " kept warm out of rotation through the bake");
      } else {
        Note("traffic moved to " + Join(fresh));
        RETURN_IF_ERROR(Retire(old, "replaced by '" + r.label + "'"));
      }
      d_.batches_done = 1;
      return OkStatus();
    }
    case Policy::kRolling:
    case Policy::kRollingWithBatch: {
      d_.batches = (n + batch - 1) / batch;
      size_t next_old = 0;
      for (int i = 1; i <= d_.batches; ++i) {
        const int k = std::min(batch, n - (i - 1) * batch);
        SetPhase("batch " + std::to_string(i) + " of " + std::to_string(d_.batches));
        std::vector<std::string> out;
        while (out.size() < static_cast<size_t>(k) && next_old < old.size()) {
          out.push_back(old[next_old++]);
        }
        const size_t old_left = old.size() - next_old;
        // Rolling takes the batch out first, unless nothing healthy would be left to serve.
        if (r.policy == Policy::kRolling && old_left + admitted_.size() >= 1) {
          RETURN_IF_ERROR(Retire(out, "making room for '" + r.label + "'"));
          std::vector<std::string> ids;
          RETURN_IF_ERROR(LaunchHealthy(to_, k, /*admit=*/true, /*watch=*/true, &ids));
          RETURN_IF_ERROR(RunCanaries(ids));
        } else {
          std::vector<std::string> ids;
          RETURN_IF_ERROR(LaunchHealthy(to_, k, /*admit=*/false, /*watch=*/true, &ids));
          RETURN_IF_ERROR(RunCanaries(ids));
          RETURN_IF_ERROR(engine_->fleet()->SetRotation(r.app, ids, true));
          admitted_.insert(ids.begin(), ids.end());
          RETURN_IF_ERROR(Retire(out, "replaced by '" + r.label + "'"));
        }
        d_.batches_done = i;
        Note("batch " + std::to_string(i) + " of " + std::to_string(d_.batches) + " done");
      }
      // More old instances than the app wants (left by an earlier failure): they go too.
      std::vector<std::string> rest(old.begin() + static_cast<std::ptrdiff_t>(next_old), old.end());
      if (!rest.empty()) RETURN_IF_ERROR(Retire(rest, "replaced by '" + r.label + "'"));
      return OkStatus();
    }
  }
  return InternalError("unknown policy");
}

Status Rollout::Bake() {
  const DeployRequest& r = d_.request;
  if (r.bake_ms <= 0) return OkStatus();
  SetPhase("baking");
  Note("baking for " + Seconds(r.bake_ms));
  const int64_t end = engine_->NowMs() + r.bake_ms;
  constexpr int64_t kCanaryEveryMs = 2000;
  int64_t next_canary = engine_->NowMs() + kCanaryEveryMs;
  while (engine_->NowMs() < end) {
    RETURN_IF_ERROR(Watch());
    if (!r.canaries.empty() && engine_->NowMs() >= next_canary) {
      RETURN_IF_ERROR(RunCanaries(InstancesOf(r.label, true)));
      next_canary = engine_->NowMs() + kCanaryEveryMs;
    }
    if (Pause() == Interrupt::kStop) return Failed("stopped");
  }
  return Watch();
}

Status Rollout::RollBack() {
  const std::string& app = d_.request.app;
  fleet::Fleet* fleet = engine_->fleet();
  // The old version first: its warm instances back into rotation, then as many new ones as
  // it lacks, healthy, before the new version leaves.
  const std::vector<std::string> old_all = InstancesOf(d_.from_label, false);
  const std::vector<std::string> old_serving = InstancesOf(d_.from_label, true);
  if (old_all.size() > old_serving.size()) {
    RETURN_IF_ERROR(fleet->SetRotation(app, old_all, true));
    Note("version '" + d_.from_label + "' back in rotation: " + Join(old_all));
  }
  const int missing = desired_ - static_cast<int>(old_all.size());
  if (missing > 0) {
    std::vector<std::string> ids;
    Status back = LaunchHealthy(from_, missing, /*admit=*/true, /*watch=*/false, &ids);
    if (!back.ok()) {
      // Keep what serves: the new version stays rather than nothing.
      Retire(ids, "could not start").IgnoreError();
      return back;
    }
  }
  return Retire(InstancesOf(d_.request.label, false), "rolled back");
}

Status Rollout::Switch() {
  const std::vector<std::string> old = InstancesOf(d_.from_label, false);
  std::vector<std::string> ids;
  SetPhase("launching " + std::to_string(desired_) + " instance(s) of '" + d_.request.label + "'");
  Status launched = LaunchHealthy(to_, desired_, /*admit=*/true, /*watch=*/false, &ids);
  if (!launched.ok()) {
    Retire(ids, "could not start").IgnoreError();
    return launched;
  }
  return Retire(old, "rolled back to '" + d_.request.label + "'");
}

Status Rollout::LaunchHealthy(const fleet::AppSpec& spec, int count, bool admit, bool watch,
                              std::vector<std::string>* ids) {
  const std::string& app = d_.request.app;
  fleet::Fleet* fleet = engine_->fleet();
  ASSIGN_OR_RETURN(std::vector<std::string> launched, fleet->Launch(app, spec, count, admit));
  ids->insert(ids->end(), launched.begin(), launched.end());
  Note("launched " + Join(launched) + " (version '" + spec.version + "')" +
       (admit ? "" : ", out of rotation"));
  const int64_t deadline = engine_->NowMs() + d_.request.health_timeout_ms;
  for (;;) {
    ASSIGN_OR_RETURN(fleet::AppInfo info, fleet->App(app));
    bool all_healthy = true;
    for (const std::string& id : launched) {
      const fleet::InstanceInfo* in = Find(info, id);
      if (in == nullptr) return Failed("instance " + id + " is gone");
      if (in->state == fleet::InstanceState::kCrashLooping ||
          in->state == fleet::InstanceState::kStopped) {
        return Failed("instance " + id + " of version '" + spec.version + "' is " +
                      std::string(fleet::StateName(in->state)) + ": " + in->reason);
      }
      if (in->state != fleet::InstanceState::kHealthy) {
        all_healthy = false;
        if (engine_->NowMs() >= deadline) {
          return Failed("instance " + id + " of version '" + spec.version +
                        "' was not healthy within " + Seconds(d_.request.health_timeout_ms) +
                        ": " + in->reason);
        }
      }
    }
    if (all_healthy) {
      if (admit) admitted_.insert(launched.begin(), launched.end());
      Note(Join(launched) + " healthy");
      return OkStatus();
    }
    if (watch) RETURN_IF_ERROR(Watch());
    if (Pause() == Interrupt::kStop) return Failed("stopped");
  }
}

Status Rollout::RunCanaries(const std::vector<std::string>& ids) {
  deploy::Watch* watch = engine_->options().watch;
  if (watch == nullptr || d_.request.canaries.empty() || ids.empty()) return OkStatus();
  ASSIGN_OR_RETURN(fleet::AppInfo info, engine_->fleet()->App(d_.request.app));
  for (const std::string& canary : d_.request.canaries) {
    for (const std::string& id : ids) {
      const fleet::InstanceInfo* in = Find(info, id);
      if (in == nullptr || in->address.empty()) return Failed("instance " + id + " is gone");
      Status passed = watch->RunCanary(canary, "http://" + in->address);
      if (!passed.ok()) {
        return Failed("canary '" + canary + "' failed on " + id + ": " + passed.message());
      }
    }
  }
  if (d_.phase != "baking") {
    Note("canaries " + Join(d_.request.canaries) + " passed on " + Join(ids));
  }
  return OkStatus();
}

Status Rollout::Watch() {
  {
    std::lock_guard l(mu_);
    if (interrupt_ == Interrupt::kRollback) return Failed(rollback_why_);
    if (interrupt_ == Interrupt::kStop) return Failed("stopped");
  }
  if (deploy::Watch* watch = engine_->options().watch; watch != nullptr) {
    for (const std::string& name : watched_alarms_) {
      StatusOr<deploy::Watch::Alarm> alarm = watch->AlarmState(name);
      if (alarm.ok() && alarm->in_alarm && alarm->updated_ms >= watch_since_ms_) {
        return Failed("alarm '" + name + "' went into ALARM: " + alarm->reason);
      }
    }
  }
  if (admitted_.empty()) return OkStatus();
  ASSIGN_OR_RETURN(fleet::AppInfo info, engine_->fleet()->App(d_.request.app));
  for (const std::string& id : admitted_) {
    const fleet::InstanceInfo* in = Find(info, id);
    if (in == nullptr) return Failed("instance " + id + " of version '" + d_.request.label +
                                     "' is gone");
    if (in->state != fleet::InstanceState::kHealthy) {
      return Failed("instance " + id + " of version '" + d_.request.label + "' is " +
                    std::string(fleet::StateName(in->state)) + ": " + in->reason);
    }
  }
  return OkStatus();
}

std::vector<std::string> Rollout::InstancesOf(const std::string& label, bool in_rotation_only) {
  std::vector<std::string> ids;
  StatusOr<fleet::AppInfo> info = engine_->fleet()->App(d_.request.app);
  if (!info.ok()) return ids;
  for (const fleet::InstanceInfo& in : info->instances) {
    if (in.version == label && !in.retiring && (!in_rotation_only || in.in_rotation)) {
      ids.push_back(in.id);
    }
  }
  return ids;
}

Status Rollout::Retire(const std::vector<std::string>& ids, const std::string& why) {
  if (ids.empty()) return OkStatus();
  RETURN_IF_ERROR(engine_->fleet()->Retire(d_.request.app, ids, why));
  Note("retiring " + Join(ids) + ": " + why);
  return OkStatus();
}

bool Rollout::AskRollback(const std::string& why) {
  std::lock_guard l(mu_);
  if (done_.load()) return false;
  if (!ending_ && interrupt_ == Interrupt::kNone) {
    interrupt_ = Interrupt::kRollback;
    rollback_why_ = "rollback asked: " + why;
  }
  wake_.notify_all();
  return true;
}

void Rollout::AskStop() {
  std::lock_guard l(mu_);
  interrupt_ = Interrupt::kStop;
  wake_.notify_all();
}

void Rollout::SetEnding() {
  std::lock_guard l(mu_);
  ending_ = true;
}

Rollout::Interrupt Rollout::Pause() {
  std::unique_lock l(mu_);
  wake_.wait_for(l, std::chrono::milliseconds(engine_->options().poll_ms), [&] {
    return interrupt_ == Interrupt::kStop || (interrupt_ == Interrupt::kRollback && !ending_);
  });
  return interrupt_ == Interrupt::kStop ? Interrupt::kStop : Interrupt::kNone;
}

Rollout::Interrupt Rollout::interrupted() {
  std::lock_guard l(mu_);
  return interrupt_;
}

void Rollout::Note(std::string message) {
  engine_->options().logger->Info("deploy", d_.id + ": " + message);
  const int64_t now = engine_->NowMs();
  d_.events.push_back(Event{now, std::move(message)});
  d_.updated_ms = now;
  engine_->Save(d_);
}

void Rollout::SetPhase(std::string phase) {
  d_.phase = std::move(phase);
  d_.updated_ms = engine_->NowMs();
  engine_->Save(d_);
}

void Rollout::Finish(DeploymentState state, std::string reason) {
  d_.state = state;
  d_.reason = reason;
  d_.phase = "done";
  d_.finished_ms = engine_->NowMs();
  Note(std::move(reason));
}

}  // namespace vigil::deploy
