// The deployment engine over a real fleet of vigil_test_app processes: versions from bundles,
// every policy with traffic never left without a healthy target, automatic rollback for each
// cause (a crash on start, an alarm, a canary), manual rollback, a restart mid-deployment.
#include "deploy/deploy.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <mutex>
#include <sstream>
#include <thread>

#include "common/logging.h"
#include "auth/keyring.h"
#include "deploy/records.h"
#include "tests/testutil/await.h"
#include "state/state.h"

namespace vigil::deploy {
namespace {

using namespace std::chrono_literals;

bool Await(const std::function<bool()>& pred, std::chrono::milliseconds timeout = 20s) {
  return testutil::Await(pred, timeout);
}

// The engine's own Watch interface, driven by the test.
class TestWatch final : public Watch {
 public:
  StatusOr<Alarm> AlarmState(const std::string& name) override {
    std::lock_guard l(mu_);
    if (name != "errors") return NotFoundError("no alarm " + name);
    return alarm_;
  }
  std::vector<std::string> DefaultAlarms(const std::string&) override { return {"errors"}; }
  Status CanaryExists(const std::string& name) override {
    return name == "smoke" ? OkStatus() : NotFoundError("no canary " + name);
  }
  Status RunCanary(const std::string&, const std::string& base_url) override {
    std::lock_guard l(mu_);
    ++canary_runs_;
    return canary_fails_ ? UnavailableError("GET / on " + base_url + " answered 500") : OkStatus();
  }
  void Breach(int64_t now_ms) {
    std::lock_guard l(mu_);
    alarm_ = Alarm{true, now_ms, "Threshold Crossed: 1 datapoint [9.0] > 5.0"};
  }
  void FailCanaries() {
    std::lock_guard l(mu_);
    canary_fails_ = true;
  }
  int canary_runs() {
    std::lock_guard l(mu_);
    return canary_runs_;
  }

 private:
  std::mutex mu_;
  Alarm alarm_;
  bool canary_fails_ = false;
  int canary_runs_ = 0;
};

// The test's manifest: each line is one more argument of the test app's command.
StatusOr<fleet::AppSpec> ParseTestManifest(const fleet::AppSpec& app, const std::string& text,
                                           const std::string& dir, const std::string&) {
  fleet::AppSpec spec = app;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (line == "bad") return InvalidArgumentError("manifest.yaml: bad");
    if (!line.empty()) spec.command.push_back(line);
  }
  spec.working_dir = dir;
  return spec;
}

class DeployTest : public testing::Test {
 protected:
  DeployTest() {
    char tmpl[] = "/tmp/vigil-deploy-test-XXXXXX";
    dir_ = ::mkdtemp(tmpl);
    store_ = *state::OpenSqliteStore(dir_ + "/state.db");
    app_.name = "web";
    app_.command = {VIGIL_TEST_APP, "--port", "${PORT}"};
    app_.instances = 3;
    app_.readiness = fleet::CheckSpec{.path = "/health", .interval_ms = 50, .timeout_ms = 200};
    app_.drain_timeout_ms = 1000;
  }
  ~DeployTest() override {
    StopAll();
    std::filesystem::remove_all(dir_);
  }

  Options EngineOptions() {
    Options o;
    o.data_dir = dir_;
    o.apps = {app_};
    o.store = store_.get();
    o.parse_manifest = ParseTestManifest;
    o.cipher = cipher_.get();
    o.watch = &watch_;
    o.clock = &clock_;
    o.logger = &NullLogger();
    o.poll_ms = 20;
    return o;
  }

  void Open() {
    auto engine = Engine::Open(EngineOptions());
    ASSERT_TRUE(engine.ok()) << engine.status().ToString();
    engine_ = std::move(*engine);
    auto specs = engine_->CurrentSpecs();
    ASSERT_TRUE(specs.ok()) << specs.status().ToString();
    fleet::FleetOptions f;
    f.data_dir = dir_;
    f.apps = *specs;
    f.clock = &clock_;
    f.logger = &NullLogger();
    auto fleet = fleet::Fleet::Start(f);
    ASSERT_TRUE(fleet.ok()) << fleet.status().ToString();
    fleet_ = std::move(*fleet);
    ASSERT_TRUE(engine_->Start(fleet_.get()).ok());
    ASSERT_TRUE(Serving(3));
  }

  void StopAll() {
    if (engine_) engine_->Stop();
    if (fleet_) fleet_->Stop();
    engine_.reset();
    fleet_.reset();
  }

  bool Serving(int n) {
    return Await([&] { return fleet_->App("web")->healthy == n; });
  }

  // A .tar.gz of a bundle whose manifest is `manifest`.
  std::string Bundle(const std::string& manifest) {
    const std::string src = dir_ + "/src-" + std::to_string(++bundles_);
    std::filesystem::create_directories(src);
    std::ofstream(src + "/manifest.yaml") << manifest;
    const std::string tgz = src + ".tar.gz";
    EXPECT_EQ(std::system(("tar -czf " + tgz + " -C " + src + " .").c_str()), 0);
    std::ifstream in(tgz, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }

  void CreateVersion(const std::string& label, const std::string& manifest) {
    auto v = engine_->CreateVersion("web", label, Bundle(manifest), "test " + label);
    ASSERT_TRUE(v.ok()) << v.status().ToString();
  }

  // Waits for the deployment to end; meanwhile checks that the app always had a target.
  Deployment Finish(const Deployment& started) {
    std::atomic<bool> stop{false};
    std::atomic<int> empty{0};
    std::thread sampler([&] {
      fleet::TargetGroup* group = fleet_->Targets("web");
      while (!stop) {
        if (group->Targets()->empty()) ++empty;
        std::this_thread::sleep_for(1ms);
      }
    });
    Deployment d;
    EXPECT_TRUE(Await([&] {
      d = *engine_->Get(started.id);
      return d.state != DeploymentState::kInProgress;
    }, 60s));
    stop = true;
    sampler.join();
    EXPECT_EQ(empty.load(), 0) << "the app was left without a healthy target";
    return d;
  }

  std::vector<std::string> Versions() {
    std::vector<std::string> out;
    const fleet::AppInfo app = *fleet_->App("web");
    for (const fleet::InstanceInfo& in : app.instances) out.push_back(in.version);
    return out;
  }

  static DeployRequest Request(const std::string& label, Policy policy, int64_t bake_ms = 200) {
    DeployRequest r;
    r.app = "web";
    r.label = label;
    r.policy = policy;
    r.bake_ms = bake_ms;
    return r;
  }

  std::string Events(const Deployment& d) {
    std::string out;
    for (const Event& e : d.events) out += e.message + "\n";
    return out;
  }

  std::string dir_;
  SystemClock clock_;
  TestWatch watch_;
  fleet::AppSpec app_;
  std::unique_ptr<state::Store> store_;
  std::unique_ptr<auth::Keyring> keyring_;
  std::unique_ptr<storage::Cipher> cipher_;  // null: manifests stored as uploaded
  std::unique_ptr<Engine> engine_;
  std::unique_ptr<fleet::Fleet> fleet_;
  int bundles_ = 0;
};

const std::vector<std::string> kAllV2 = {"v2", "v2", "v2"};
const std::vector<std::string> kAllV1 = {"v1", "v1", "v1"};

TEST_F(DeployTest, StoresVersionsFromBundlesAndRefusesBadOnes) {
  Open();
  CreateVersion("v2", "--exit-after-ms\n600000\n");
  EXPECT_EQ(engine_->CreateVersion("web", "v2", Bundle(""), "").status().code(),
            StatusCode::kAlreadyExists);
  EXPECT_EQ(engine_->CreateVersion("web", "../x", Bundle(""), "").status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(engine_->CreateVersion("web", "v3", "not a tarball", "").status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(engine_->CreateVersion("web", "v4", Bundle("bad"), "").status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(engine_->CreateVersion("nope", "v5", Bundle(""), "").status().code(),
            StatusCode::kNotFound);
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/versions/web/v4"));
  auto versions = engine_->Versions("web");
  ASSERT_TRUE(versions.ok());
  ASSERT_EQ(versions->size(), 2u);
  EXPECT_EQ((*versions)[0].label, "v1");
  EXPECT_EQ((*versions)[0].source, "config");
  EXPECT_EQ((*versions)[1].label, "v2");
  EXPECT_TRUE(std::filesystem::exists(dir_ + "/versions/web/v2/manifest.yaml"));
  EXPECT_EQ(*engine_->CurrentVersion("web"), "v1");
}

// With a keyring, manifests (the apps' environment) are sealed in the state store and not left
// in the version's directory; versions stored before are migrated at Open; a sealed record
// moved to another version does not open.
TEST_F(DeployTest, ManifestsAreSealedBoundToTheirVersion) {
  Open();
  CreateVersion("v2", "--exit-after-ms\n600001\n");
  StopAll();
  auto ring = auth::Keyring::Open(auth::KeyringOptions{dir_ + "/keys", "", nullptr});
  ASSERT_TRUE(ring.ok()) << ring.status().ToString();
  keyring_ = std::move(*ring);
  cipher_ = keyring_->CipherFor("deploy");
  Open();
  CreateVersion("v3", "--exit-after-ms\n600002\n");
  for (const char* label : {"v2", "v3"}) {
    SCOPED_TRACE(label);
    EXPECT_FALSE(std::filesystem::exists(dir_ + "/versions/web/" + label + "/manifest.yaml"));
    auto record = store_->Get(kVersionsTable, std::string("web/") + label);
    ASSERT_TRUE(record.ok() && record->has_value());
    EXPECT_EQ((*record)->find("60000"), std::string::npos) << **record;
    EXPECT_NE((*record)->find("manifest_sealed"), std::string::npos);
  }
  StopAll();
  Open();
  auto versions = engine_->Versions("web");
  ASSERT_TRUE(versions.ok());
  ASSERT_EQ(versions->size(), 3u);
  EXPECT_EQ((*versions)[1].manifest, "--exit-after-ms\n600001\n");
  EXPECT_EQ((*versions)[2].manifest, "--exit-after-ms\n600002\n");
  StopAll();
  auto v3 = store_->Get(kVersionsTable, "web/v3");
  std::string moved = **v3;
  const size_t at = moved.find("\"label\":\"v3\"");
  ASSERT_NE(at, std::string::npos) << moved;
  moved.replace(at, 12, "\"label\":\"v4\"");
  ASSERT_TRUE(store_->Put(kVersionsTable, "web/v4", moved).ok());
  auto engine = Engine::Open(EngineOptions());
  EXPECT_EQ(engine.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(engine.status().message().find("'v4'"), std::string::npos) << engine.status().ToString();
}

TEST_F(DeployTest, EveryPolicyReplacesTheVersionWithoutAMomentWithoutTargets) {
  Open();
  const Policy policies[] = {Policy::kRolling, Policy::kRollingWithBatch, Policy::kAllAtOnce,
                             Policy::kImmutable, Policy::kBlueGreen};
  int version = 1;
  for (Policy policy : policies) {
    const std::string label = "v" + std::to_string(++version);
    CreateVersion(label, "");
    DeployRequest r;
    r.app = "web";
    r.label = label;
    r.policy = policy;
    r.bake_ms = 200;
    r.canaries = {"smoke"};
    auto started = engine_->Deploy(r);
    ASSERT_TRUE(started.ok()) << started.status().ToString();
    EXPECT_EQ(engine_->Deploy(r).status().code(), StatusCode::kFailedPrecondition)
        << "one deployment of an app at a time";
    const Deployment d = Finish(*started);
    EXPECT_EQ(d.state, DeploymentState::kSucceeded) << PolicyName(policy) << "\n" << Events(d);
    EXPECT_EQ(d.batches_done, d.batches);
    ASSERT_TRUE(Await([&] {
      return Versions() == std::vector<std::string>(3, label);
    })) << PolicyName(policy);
    EXPECT_EQ(*engine_->CurrentVersion("web"), label);
  }
  EXPECT_GE(watch_.canary_runs(), 15) << "each new instance is checked by the canary";
  auto history = engine_->Deployments("web", 0);
  ASSERT_TRUE(history.ok());
  ASSERT_EQ(history->size(), 5u);
  EXPECT_EQ((*history)[0].request.label, "v6") << "newest first";
  EXPECT_EQ((*history)[0].from_label, "v5");
}

TEST_F(DeployTest, AVersionThatCrashesOnStartIsRolledBack) {
  Open();
  CreateVersion("v2", "--exit-after-ms\n0\n");
  DeployRequest r = Request("v2", Policy::kRollingWithBatch);
  const Deployment d = Finish(*engine_->Deploy(r));
  EXPECT_EQ(d.state, DeploymentState::kRolledBack) << Events(d);
  EXPECT_NE(d.reason.find("crash-looping"), std::string::npos) << d.reason;
  ASSERT_TRUE(Await([&] { return Versions() == kAllV1; }));
  EXPECT_EQ(*engine_->CurrentVersion("web"), "v1");
}

TEST_F(DeployTest, AnAlarmDuringTheBakeRollsBlueGreenBackAtOnce) {
  Open();
  CreateVersion("v2", "");
  DeployRequest r = Request("v2", Policy::kBlueGreen, 60'000);
  auto started = engine_->Deploy(r);
  ASSERT_TRUE(started.ok());
  ASSERT_TRUE(Await([&] { return engine_->Get(started->id)->phase == "baking"; }));
  const auto breach = std::chrono::steady_clock::now();
  watch_.Breach(clock_.NowMillis());
  // Back in rotation: every target is a v1 instance again.
  ASSERT_TRUE(Await([&] {
    auto targets = fleet_->Targets("web")->Targets();
    const fleet::AppInfo app = *fleet_->App("web");
    int v1_targets = 0;
    for (const fleet::Target& t : *targets) {
      for (const fleet::InstanceInfo& in : app.instances) {
        if (in.id == t.instance_id && in.version == "v1") ++v1_targets;
      }
    }
    return v1_targets == 3 && targets->size() == 3;
  }));
  const auto switched = std::chrono::steady_clock::now() - breach;
  EXPECT_LT(switched, 1s) << "the warm old set takes the traffic back without starting";
  const Deployment d = Finish(*started);
  EXPECT_EQ(d.state, DeploymentState::kRolledBack) << Events(d);
  EXPECT_NE(d.reason.find("alarm 'errors'"), std::string::npos) << d.reason;
  ASSERT_TRUE(Await([&] { return Versions() == kAllV1; }));
}

TEST_F(DeployTest, AFailingCanaryKeepsTheNewSetOutOfRotation) {
  Open();
  CreateVersion("v2", "");
  watch_.FailCanaries();
  DeployRequest r = Request("v2", Policy::kImmutable);
  r.canaries = {"smoke"};
  const Deployment d = Finish(*engine_->Deploy(r));
  EXPECT_EQ(d.state, DeploymentState::kRolledBack) << Events(d);
  EXPECT_NE(d.reason.find("canary 'smoke' failed"), std::string::npos) << d.reason;
  ASSERT_TRUE(Await([&] { return Versions() == kAllV1; }));
  r.canaries = {"nope"};
  EXPECT_EQ(engine_->Deploy(r).status().code(), StatusCode::kNotFound);
}

TEST_F(DeployTest, ManualRollbackGoesBackAndAbortsADeploymentInProgress) {
  Open();
  EXPECT_EQ(engine_->Rollback("web", "", "test").status().code(),
            StatusCode::kFailedPrecondition) << "nothing deployed yet";
  CreateVersion("v2", "");
  DeployRequest r = Request("v2", Policy::kAllAtOnce, 0);
  EXPECT_EQ(Finish(*engine_->Deploy(r)).state, DeploymentState::kSucceeded);

  auto back = engine_->Rollback("web", "", "operator");
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->kind, "rollback");
  EXPECT_EQ(Finish(*back).state, DeploymentState::kSucceeded);
  ASSERT_TRUE(Await([&] { return Versions() == kAllV1; }));
  EXPECT_EQ(*engine_->CurrentVersion("web"), "v1");

  // During a bake, a rollback ends the deployment as rolled back.
  r.bake_ms = 60'000;
  auto started = engine_->Deploy(r);
  ASSERT_TRUE(started.ok());
  ASSERT_TRUE(Await([&] { return engine_->Get(started->id)->phase == "baking"; }));
  auto aborted = engine_->Rollback("web", "", "operator");
  ASSERT_TRUE(aborted.ok());
  EXPECT_EQ(aborted->id, started->id);
  const Deployment d = Finish(*started);
  EXPECT_EQ(d.state, DeploymentState::kRolledBack) << Events(d);
  EXPECT_NE(d.reason.find("rollback asked: operator"), std::string::npos) << d.reason;
  ASSERT_TRUE(Await([&] { return Versions() == kAllV1; }));
}

TEST_F(DeployTest, ARestartMidDeploymentComesBackOnTheOldVersionAndDeploysAgain) {
  Open();
  CreateVersion("v2", "");
  DeployRequest r = Request("v2", Policy::kRollingWithBatch, 60'000);
  auto started = engine_->Deploy(r);
  ASSERT_TRUE(started.ok());
  ASSERT_TRUE(Await([&] { return engine_->Get(started->id)->phase == "baking"; }));
  StopAll();  // as Vigil stopping (or a crash: the record is written at every step)
  EXPECT_EQ(store_->Get("deploy_runs", "web/0000000001").ok(), true);

  Open();  // the fleet starts on v1, the last version that succeeded
  auto resumed = engine_->Get(started->id);
  ASSERT_TRUE(resumed.ok());
  EXPECT_EQ(resumed->state, DeploymentState::kInProgress);
  EXPECT_NE(Events(*resumed).find("Vigil restarted during the deployment"), std::string::npos);
  auto rolled = engine_->Rollback("web", "", "enough");
  ASSERT_TRUE(rolled.ok());
  const Deployment d = Finish(*resumed);
  EXPECT_EQ(d.state, DeploymentState::kRolledBack) << Events(d);
  ASSERT_TRUE(Await([&] { return Versions() == kAllV1; }));
}

TEST_F(DeployTest, ARecordLeftInProgressAfterItsVersionServesIsClosedAtRestart) {
  Open();
  CreateVersion("v2", "");
  const Deployment done = Finish(*engine_->Deploy(Request("v2", Policy::kAllAtOnce, 0)));
  ASSERT_EQ(done.state, DeploymentState::kSucceeded);
  StopAll();
  // As if Vigil died after recording v2 as current and before closing the record.
  Deployment open = done;
  open.state = DeploymentState::kInProgress;
  open.phase = "baking";
  ASSERT_TRUE(store_->Put(kRunsTable, RunKey("web", 1), EncodeDeployment(open)).ok());
  Open();
  const Deployment closed = *engine_->Get(done.id);
  EXPECT_EQ(closed.state, DeploymentState::kSucceeded) << Events(closed);
  EXPECT_EQ(Versions(), kAllV2) << "nothing was deployed again";
}

}  // namespace
}  // namespace vigil::deploy
