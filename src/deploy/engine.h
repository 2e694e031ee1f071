#pragma once
// Private to vigil::deploy: the Engine implementation.
//
//   engine.cc   versions, the deployment records, starting and resuming deployments
//   rollout.cc  one deployment's thread: the policies, the watch, the bake, the rollback
#include <atomic>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "deploy/deploy.h"
#include "deploy/records.h"

namespace vigil::deploy {

class EngineImpl;

// One deployment, run on its own thread. It owns its record and hands every change to the
// engine, which stores it and answers readers from its copy.
class Rollout {
 public:
  Rollout(EngineImpl* engine, Deployment d, fleet::AppSpec from, fleet::AppSpec to, int desired)
      : engine_(engine), d_(std::move(d)), from_(std::move(from)), to_(std::move(to)),
        desired_(desired) {}

  void Run();
  // Asks the deployment to roll back (manual rollback, an alarm's action); false when it has
  // already ended.
  bool AskRollback(const std::string& why);
  // Asks it to stop where it is (Vigil stopping): the record stays in progress.
  void AskStop();
  bool done() const { return done_.load(); }
  const std::string& app() const { return d_.request.app; }

 private:
  // What was asked of the deployment from outside.
  enum class Interrupt { kNone, kRollback, kStop };

  Status Deploy();    // the policy, batch by batch
  Status Bake();      // watch for bake_ms
  Status RollBack();  // bring `from_` back, retire `to_`
  Status Switch();    // a rollback deployment: `to_` replaces `from_`, without analysis

  // Launches `count` instances of `spec` and waits until they are healthy, watching (when
  // `watch`) alarms and the instances already admitted. Their ids go to *ids as launched.
  Status LaunchHealthy(const fleet::AppSpec& spec, int count, bool admit, bool watch,
                       std::vector<std::string>* ids);
  // Runs the deployment's canaries against each of `ids`.
  Status RunCanaries(const std::vector<std::string>& ids);
  // What the deployment watches: alarms that entered ALARM since it began, new instances that
  // were healthy and are not any more, a rollback asked.
  Status Watch();
  // The app's instances running `label` (not retiring); in rotation only, or all.
  std::vector<std::string> InstancesOf(const std::string& label, bool in_rotation_only);
  Status Retire(const std::vector<std::string>& ids, const std::string& why);
  // Sleeps one poll interval, or less when interrupted.
  Interrupt Pause();
  Interrupt interrupted();

  void SetEnding();
  void Note(std::string message);  // an event, stored
  void SetPhase(std::string phase);
  void Finish(DeploymentState state, std::string reason);

  EngineImpl* const engine_;
  Deployment d_;
  const fleet::AppSpec from_, to_;
  const int desired_;
  std::set<std::string> admitted_;  // new instances that were healthy in rotation
  int64_t watch_since_ms_ = 0;      // alarms that entered ALARM since then fail the deployment
  std::vector<std::string> watched_alarms_;

  std::mutex mu_;
  std::condition_variable wake_;
  Interrupt interrupt_ = Interrupt::kNone;  // guarded by mu_
  std::string rollback_why_;                // guarded by mu_
  bool ending_ = false;  // guarded by mu_: rolling back or switching; a rollback ask changes nothing
  std::atomic<bool> done_{false};
};

class EngineImpl final : public Engine {
 public:
  explicit EngineImpl(Options options) : options_(std::move(options)) {}
  ~EngineImpl() override { Stop(); }

  Status Load();
  StatusOr<std::vector<fleet::AppSpec>> CurrentSpecs() override;
  Status Start(fleet::Fleet* fleet) override;
  void Stop() override;
  StatusOr<Version> CreateVersion(const std::string& app, const std::string& label,
                                  const std::string& archive,
                                  const std::string& description) override;
  StatusOr<std::vector<Version>> Versions(const std::string& app) const override;
  StatusOr<std::string> CurrentVersion(const std::string& app) const override;
  StatusOr<Deployment> Deploy(const DeployRequest& request) override;
  StatusOr<Deployment> Rollback(const std::string& app, const std::string& to,
                                const std::string& why) override;
  StatusOr<std::vector<Deployment>> Deployments(const std::string& app,
                                                size_t limit) const override;
  StatusOr<Deployment> Get(const std::string& id) const override;

  // For rollouts.
  const Options& options() const { return options_; }
  fleet::Fleet* fleet() const { return fleet_; }
  int64_t NowMs() const { return options_.clock->NowMillis(); }
  // Stores the record and publishes it to readers.
  void Save(const Deployment& d);
  // Records that `label` serves the app now (`previous` before it).
  void SetCurrent(const std::string& app, const std::string& label, const std::string& previous);

 private:
  const fleet::AppSpec* ConfigApp(const std::string& app) const;
  // The spec instances of `label` run with. NotFound for an unknown version.
  StatusOr<fleet::AppSpec> SpecOf(const std::string& app, const std::string& label) const;
  std::string VersionDir(const std::string& app, const std::string& label) const;
  // The app's running rollout, if any (mu_ held).
  Rollout* FindRunning(const std::string& app);
  // A new record for the app, numbered and stored (mu_ held).
  StatusOr<Deployment> NewDeployment(const std::string& kind, DeployRequest request,
                                     const std::string& from);
  // Starts a thread for the deployment (mu_ held).
  Status Launch(Deployment d);
  // Launch, or the just-made record `d` marked failed (mu_ held).
  Status LaunchOrFail(Deployment& d);
  void ReapFinished();  // joins the threads of ended rollouts (mu_ held)

  const Options options_;
  fleet::Fleet* fleet_ = nullptr;
  mutable std::mutex versions_mu_;  // guards versions_; taken after mu_ when both are
  std::map<std::string, Version> versions_;  // "<app>/<label>"
  mutable std::mutex mu_;                    // guards the rest
  std::map<std::string, AppRecord> apps_;    // by app
  std::map<std::string, Deployment> runs_;   // by RunKey
  std::map<std::string, int> last_run_;      // by app: the last deployment's number
  struct Running {
    std::unique_ptr<Rollout> rollout;
    std::thread thread;
  };
  std::vector<Running> running_;
  bool stopped_ = false;
};

}  // namespace vigil::deploy
