// The supervisor with real child processes (vigil_test_app): start, health, restart, passive
// reports, liveness, restart policies, draining, sampling, validation.
#include "fleet/fleet.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <mutex>
#include <thread>

#include "common/logging.h"
#include "tests/testutil/await.h"

namespace vigil::fleet {
namespace {

using namespace std::chrono_literals;

bool Await(const std::function<bool()>& pred, std::chrono::milliseconds timeout = 10s) {
  return testutil::Await(pred, timeout);
}

bool Alive(pid_t pid) { return ::kill(pid, 0) == 0 || errno != ESRCH; }

class CapturingSink final : public MetricSink {
 public:
  void Put(const std::string& ns, std::vector<Datum> data) override {
    std::lock_guard l(mu_);
    for (Datum& d : data) seen_.emplace_back(ns, std::move(d));
  }
  bool Has(const std::string& ns, const std::string& metric, const std::string& instance) {
    std::lock_guard l(mu_);
    for (const auto& [n, d] : seen_) {
      if (n != ns || d.metric != metric) continue;
      for (const auto& [k, v] : d.dimensions) {
        if (k == "InstanceId" && v == instance) return true;
        if (k == "Host" && instance.empty()) return true;
      }
    }
    return false;
  }

 private:
  std::mutex mu_;
  std::vector<std::pair<std::string, Datum>> seen_;
};

class FleetTest : public testing::Test {
 protected:
  FleetTest() {
    char tmpl[] = "/tmp/vigil-fleet-test-XXXXXX";
    dir_ = ::mkdtemp(tmpl);
  }
  ~FleetTest() override {
    fleet_.reset();
    std::filesystem::remove_all(dir_);
  }

  AppSpec App(const std::string& name, int instances, std::vector<std::string> extra = {}) {
    AppSpec spec;
    spec.name = name;
    spec.command = {VIGIL_TEST_APP, "--port", "${PORT}"};
    spec.command.insert(spec.command.end(), extra.begin(), extra.end());
    spec.instances = instances;
    spec.readiness = CheckSpec{.path = "/health", .interval_ms = 50, .timeout_ms = 200};
    return spec;
  }

  void Start(std::vector<AppSpec> apps) {
    FleetOptions options;
    options.data_dir = dir_;
    options.apps = std::move(apps);
    options.sample_interval_ms = 100;
    options.clock = &clock_;
    options.logger = &NullLogger();
    options.metrics = &sink_;
    auto fleet = Fleet::Start(options);
    ASSERT_TRUE(fleet.ok()) << fleet.status().ToString();
    fleet_ = std::move(*fleet);
  }

  InstanceInfo Get(const std::string& app, const std::string& id) {
    auto info = fleet_->App(app);
    if (info.ok()) {
      for (const InstanceInfo& in : info->instances) {
        if (in.id == id) return in;
      }
    }
    return InstanceInfo{};
  }

  bool Healthy(const std::string& app, int n) {
    return Await([&] {
      auto info = fleet_->App(app);
      return info.ok() && info->healthy == n;
    });
  }

  std::string dir_;
  SystemClock clock_;
  CapturingSink sink_;
  std::unique_ptr<Fleet> fleet_;
};

TEST_F(FleetTest, StartsInstancesRestartsAKilledOneAndStopsThemAll) {
  Start({App("web", 2)});
  ASSERT_TRUE(Healthy("web", 2));
  TargetGroup* group = fleet_->Targets("web");
  ASSERT_NE(group, nullptr);
  EXPECT_EQ(group->Targets()->size(), 2u);
  EXPECT_EQ(group->HostCounts(), std::make_pair(2, 0));
  EXPECT_EQ(fleet_->Targets("nope"), nullptr);
  EXPECT_FALSE(fleet_->App("nope").ok());

  const InstanceInfo before = Get("web", "web-1");
  ASSERT_GT(before.pid, 0);
  EXPECT_TRUE(std::filesystem::exists(dir_ + "/fleet/web/web-1.pid"));
  ASSERT_EQ(::kill(before.pid, SIGKILL), 0);
  ASSERT_TRUE(Await([&] {
    const InstanceInfo now = Get("web", "web-1");
    return now.state == InstanceState::kHealthy && now.pid != before.pid;
  }));
  const InstanceInfo after = Get("web", "web-1");
  EXPECT_EQ(after.restarts, 1);
  EXPECT_EQ(after.address, before.address) << "a restarted instance keeps its port when free";

  std::vector<pid_t> pids;
  const AppInfo running = *fleet_->App("web");
  for (const InstanceInfo& in : running.instances) pids.push_back(in.pid);
  fleet_->Stop();
  for (pid_t pid : pids) EXPECT_FALSE(Alive(pid));
  const AppInfo stopped = *fleet_->App("web");
  for (const InstanceInfo& in : stopped.instances) {
    EXPECT_EQ(in.state, InstanceState::kStopped);
    EXPECT_EQ(in.pid, 0);
  }
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/fleet/web/web-1.pid"));
}

TEST_F(FleetTest, PassiveReportsEjectAndActiveChecksReadmit) {
  AppSpec spec = App("web", 2);
  spec.readiness->healthy_threshold = 3;
  Start({spec});
  ASSERT_TRUE(Healthy("web", 2));
  TargetGroup* group = fleet_->Targets("web");
  group->Report("web-1", Failure::kConnect, "connection refused");
  ASSERT_TRUE(Await([&] { return Get("web", "web-1").state == InstanceState::kUnhealthy; }));
  EXPECT_NE(Get("web", "web-1").reason.find("ejected by the load balancer: connection refused"),
            std::string::npos);
  EXPECT_EQ(group->Targets()->size(), 1u);
  EXPECT_EQ(group->Targets()->front().instance_id, "web-2");
  // Three passes at 50 ms bring it back.
  ASSERT_TRUE(Await([&] { return Get("web", "web-1").state == InstanceState::kHealthy; }));
  EXPECT_NE(Get("web", "web-1").reason.find("passed 3 health checks"), std::string::npos);
  EXPECT_EQ(Get("web", "web-1").restarts, 0);
}

TEST_F(FleetTest, AStallReportProbesAtOnceAndEjectsAHungInstance) {
  const std::string hang = dir_ + "/hang";
  AppSpec spec = App("web", 1, {"--hang-health-if", hang});
  spec.readiness->interval_ms = 60'000;  // only the stall probe can notice in time
  Start({spec});
  ASSERT_TRUE(Healthy("web", 1));
  std::FILE* f = std::fopen(hang.c_str(), "w");
  ASSERT_NE(f, nullptr);
  std::fclose(f);
  const auto reported = std::chrono::steady_clock::now();
  fleet_->Targets("web")->Report("web-1", Failure::kStall, "no response byte for 150 ms");
  ASSERT_TRUE(Await([&] { return Get("web", "web-1").state == InstanceState::kUnhealthy; }, 2s));
  EXPECT_LT(std::chrono::steady_clock::now() - reported, 1s);
  EXPECT_NE(Get("web", "web-1").reason.find("and a health check then timed out"), std::string::npos)
      << Get("web", "web-1").reason;
  std::filesystem::remove(hang);
}

TEST_F(FleetTest, RestartUnhealthyRestartsOnlyTheUnhealthyWhateverThePolicy) {
  AppSpec spec = App("web", 2, {"--hang-health-if", dir_ + "/hang-${INSTANCE_ID}"});
  spec.restart = RestartPolicy::kNever;
  spec.stop_timeout_ms = 200;
  Start({spec});
  ASSERT_TRUE(Healthy("web", 2));
  const pid_t healthy_pid = Get("web", "web-2").pid;
  EXPECT_EQ(*fleet_->RestartUnhealthy("web", "nothing to do"), 0);
  const std::string hang = dir_ + "/hang-web-1";
  std::FILE* f = std::fopen(hang.c_str(), "w");  // web-1's checks hang: out of rotation
  ASSERT_NE(f, nullptr);
  std::fclose(f);
  ASSERT_TRUE(Await([&] { return Get("web", "web-1").state == InstanceState::kUnhealthy; }, 3s));
  const pid_t old_pid = Get("web", "web-1").pid;
  StatusOr<int> restarted = fleet_->RestartUnhealthy("web", "alarm web-5xx");
  ASSERT_TRUE(restarted.ok()) << restarted.status().ToString();
  EXPECT_EQ(*restarted, 1);
  ASSERT_TRUE(Await([&] {
    const InstanceInfo in = Get("web", "web-1");
    return in.pid != 0 && in.pid != old_pid;
  }, 3s)) << Get("web", "web-1").reason;
  EXPECT_EQ(Get("web", "web-1").restarts, 1);
  std::filesystem::remove(hang);
  ASSERT_TRUE(Healthy("web", 2));
  EXPECT_EQ(Get("web", "web-2").pid, healthy_pid) << "a healthy instance is left alone";
  EXPECT_EQ(fleet_->RestartUnhealthy("nope", "x").status().code(), StatusCode::kNotFound);
}

TEST_F(FleetTest, FailingLivenessKillsAndReplacesTheInstance) {
  const std::string hang = dir_ + "/hang";
  AppSpec spec = App("web", 1, {"--hang-health-if", hang});
  spec.readiness->interval_ms = 60'000;
  spec.liveness =
      CheckSpec{.path = "/health", .interval_ms = 50, .timeout_ms = 50, .unhealthy_threshold = 2};
  Start({spec});
  ASSERT_TRUE(Healthy("web", 1));
  const pid_t pid = Get("web", "web-1").pid;
  std::FILE* f = std::fopen(hang.c_str(), "w");
  ASSERT_NE(f, nullptr);
  std::fclose(f);
  ASSERT_TRUE(Await([&] { return Get("web", "web-1").restarts == 1; }));
  EXPECT_FALSE(Alive(pid));
  std::filesystem::remove(hang);
  ASSERT_TRUE(Await([&] { return Get("web", "web-1").state == InstanceState::kHealthy; }));
  EXPECT_NE(Get("web", "web-1").pid, pid);
}

TEST_F(FleetTest, RestartPoliciesAndCrashLoops) {
  AppSpec once = App("once", 1, {"--exit-after-ms", "0", "--exit-code", "0"});
  once.restart = RestartPolicy::kOnFailure;
  AppSpec loop = App("loop", 1, {"--exit-after-ms", "0", "--exit-code", "4"});
  loop.backoff_initial_ms = 50;
  loop.backoff_max_ms = 100;
  AppSpec never = App("never", 1, {"--exit-after-ms", "0", "--exit-code", "5"});
  never.restart = RestartPolicy::kNever;
  Start({once, loop, never});
  ASSERT_TRUE(Await(
      [&] { return Get("once", "once-1").reason.find("not restarted") != std::string::npos; }));
  EXPECT_EQ(Get("once", "once-1").state, InstanceState::kStopped);
  EXPECT_NE(Get("once", "once-1").reason.find("exited with status 0"), std::string::npos);
  EXPECT_NE(Get("once", "once-1").reason.find("not restarted"), std::string::npos);
  ASSERT_TRUE(Await(
      [&] { return Get("never", "never-1").reason.find("not restarted") != std::string::npos; }));
  EXPECT_EQ(Get("never", "never-1").state, InstanceState::kStopped);
  EXPECT_EQ(Get("never", "never-1").restarts, 0);
  ASSERT_TRUE(Await([&] {
    const InstanceInfo in = Get("loop", "loop-1");
    return in.state == InstanceState::kCrashLooping && in.restarts >= 3;
  }));
  EXPECT_NE(Get("loop", "loop-1").reason.find("exited with status 4"), std::string::npos);
  EXPECT_EQ(fleet_->Targets("loop")->HostCounts(), std::make_pair(0, 1));
}

TEST_F(FleetTest, StopDrainsRequestsInFlightFirst) {
  Start({App("web", 1)});
  ASSERT_TRUE(Healthy("web", 1));
  auto targets = fleet_->Targets("web")->Targets();
  ASSERT_EQ(targets->size(), 1u);
  std::shared_ptr<TargetLoad> load = targets->front().load;
  const pid_t pid = Get("web", "web-1").pid;
  load->outstanding = 1;  // a request the load balancer has in flight
  std::thread stopper([&] { fleet_->Stop(); });
  ASSERT_TRUE(Await([&] { return Get("web", "web-1").state == InstanceState::kDraining; }));
  EXPECT_TRUE(fleet_->Targets("web")->Targets()->empty());
  EXPECT_TRUE(Alive(pid)) << "still serving while draining";
  load->outstanding = 0;
  stopper.join();
  EXPECT_FALSE(Alive(pid));
}

TEST_F(FleetTest, SamplesInstancesAndTheHost) {
  AppSpec spec = App("web", 1);
  spec.metrics_path = "/metrics";
  Start({spec});
  ASSERT_TRUE(Healthy("web", 1));
  for (const char* metric : {"CPUUtilization", "MemoryRSS", "OpenFileDescriptors", "Threads",
                             "Uptime", "Restarts", "Healthy", "test_app_requests_total"}) {
    EXPECT_TRUE(Await([&] { return sink_.Has("Vigil/Instances", metric, "web-1"); })) << metric;
  }
  for (const char* metric : {"CPUUtilization", "MemoryUsed", "MemoryUtilization", "NetworkIn"}) {
    EXPECT_TRUE(Await([&] { return sink_.Has("Vigil/Instances", metric, ""); })) << metric;
  }
}

TEST_F(FleetTest, BadSpecsAreRefusedNamingTheApp) {
  struct Case {
    std::function<void(AppSpec*)> edit;
    std::string want;
  };
  const Case cases[] = {
      {[](AppSpec* s) { s->command.clear(); }, "has no command"},
      {[](AppSpec* s) { s->command = {"no-such-program-anywhere"}; }, "not found in PATH"},
      {[](AppSpec* s) { s->command = {"/no/such/program"}; }, "cannot run '/no/such/program'"},
      {[](AppSpec* s) { s->instances = 0; }, "at least one instance"},
      {[](AppSpec* s) { s->backoff_max_ms = 1; }, "backoff"},
      {[](AppSpec* s) { s->name = "bad name"; }, "must be 1 to 64"},
      {[](AppSpec* s) { s->readiness->unhealthy_threshold = 0; }, "thresholds"},
  };
  for (const Case& c : cases) {
    AppSpec spec = App("web", 1);
    c.edit(&spec);
    FleetOptions options;
    options.data_dir = dir_;
    options.apps = {spec};
    options.clock = &clock_;
    options.logger = &NullLogger();
    auto fleet = Fleet::Start(options);
    ASSERT_FALSE(fleet.ok()) << c.want;
    EXPECT_EQ(fleet.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(fleet.status().message().find(c.want), std::string::npos) << fleet.status().message();
  }
  FleetOptions twice;
  twice.data_dir = dir_;
  twice.apps = {App("web", 1), App("web", 1)};
  twice.clock = &clock_;
  twice.logger = &NullLogger();
  EXPECT_FALSE(Fleet::Start(twice).ok());
}

TEST_F(FleetTest, LaunchesAVersionInStandbyAdmitsItAndRetiresTheOldOne) {
  AppSpec v1 = App("web", 2);
  v1.version = "v1";
  Start({v1});
  ASSERT_TRUE(Healthy("web", 2));
  TargetGroup* group = fleet_->Targets("web");

  AppSpec v2 = App("web", 2, {"--exit-after-ms", "600000"});
  v2.version = "v2";
  auto launched = fleet_->Launch("web", v2, 2, /*admit=*/false);
  ASSERT_TRUE(launched.ok()) << launched.status().ToString();
  ASSERT_EQ(launched->size(), 2u);
  EXPECT_EQ((*launched)[0], "web-3") << "ids count on from the configured instances";
  ASSERT_TRUE(Await([&] {
    return Get("web", "web-3").state == InstanceState::kHealthy &&
           Get("web", "web-4").state == InstanceState::kHealthy;
  }));
  // Healthy in standby: checked, but no traffic.
  EXPECT_EQ(Get("web", "web-3").version, "v2");
  EXPECT_FALSE(Get("web", "web-3").in_rotation);
  EXPECT_EQ(group->Targets()->size(), 2u);
  EXPECT_EQ(fleet_->App("web")->healthy, 2);

  ASSERT_TRUE(fleet_->SetRotation("web", *launched, true).ok());
  EXPECT_EQ(group->Targets()->size(), 4u);
  EXPECT_EQ(group->HostCounts(), std::make_pair(4, 0));

  const pid_t old_pid = Get("web", "web-1").pid;
  ASSERT_TRUE(fleet_->Retire("web", {"web-1", "web-2"}, "replaced by v2").ok());
  EXPECT_EQ(group->Targets()->size(), 2u) << "retiring instances leave rotation at once";
  ASSERT_TRUE(Await([&] { return fleet_->App("web")->instances.size() == 2; }));
  EXPECT_TRUE(Await([&] { return !Alive(old_pid); }));
  const AppInfo after = *fleet_->App("web");
  for (const InstanceInfo& in : after.instances) EXPECT_EQ(in.version, "v2");

  EXPECT_EQ(fleet_->Retire("web", {"web-1"}, "again").code(), StatusCode::kNotFound);
  EXPECT_EQ(fleet_->SetRotation("nope", {}, true).code(), StatusCode::kNotFound);
  AppSpec other = App("api", 1);
  EXPECT_EQ(fleet_->Launch("web", other, 1, true).status().code(), StatusCode::kInvalidArgument);

  // Out of rotation, an instance keeps running.
  ASSERT_TRUE(fleet_->SetRotation("web", {"web-3"}, false).ok());
  EXPECT_EQ(group->Targets()->size(), 1u);
  EXPECT_EQ(Get("web", "web-3").state, InstanceState::kHealthy);
}

}  // namespace
}  // namespace vigil::fleet
