// Deployments end to end: a real server running three vigil-shop instances behind its load
// balancer, versions uploaded with `vigil versions create` (a copy of vigil-shop and a
// manifest), `vigil deploy` / `vigil rollback` with their exit codes, and vigil-shop-load
// driving the load balancer through each deployment:
//  - every policy rolls out with no failed request and ends with every instance on the new
//    version;
//  - a bad version rolls back by itself for each cause: crash on start, 5xx (the default
//    alarm), latency (an alarm the test makes), a failing canary;
//  - manual rollback, to the previous version and to a named one;
//  - SIGTERM of Vigil mid-deployment: the app comes back on the old version and the
//    deployment runs again;
//  - the `vigil:rollback:<app>` alarm action.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "tests/integration/vigil_server.h"
#include "tests/testutil/await.h"
#include "tests/testutil/process.h"

namespace vigil::integration {
namespace {

using namespace std::chrono_literals;
using Json = nlohmann::json;

// Polls every 50 ms until `pred` holds or `timeout` passes.
bool Await(const std::function<bool()>& pred, std::chrono::milliseconds timeout = 30s) {
  return testutil::Await(pred, timeout, 50ms);
}

bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// vigil-shop-load against a load balancer, from Start() until Stop().
class ShopLoad {
 public:
  // Starts 4 connections sharing 100 requests/s and waits for its first one-second report,
  // so that the load runs before what the test does next.
  static StatusOr<std::unique_ptr<ShopLoad>> Start(uint16_t port) {
    testutil::SpawnOptions options;
    const std::string url = "http://127.0.0.1:" + std::to_string(port);
    options.argv = {VIGIL_SHOP_LOAD, "--url", url, "--connections", "4", "--rate", "100", "--json"};
    auto load = std::unique_ptr<ShopLoad>(new ShopLoad);
    ASSIGN_OR_RETURN(load->process_, testutil::Process::Spawn(options));
    testutil::Process* p = load->process_.get();
    if (!Await([p] { return Contains(p->Stderr(), "1s requests=") || !p->running(); }, 10s) ||
        !p->running()) {
      return UnavailableError("vigil-shop-load did not report:\n" + p->Stderr());
    }
    return load;
  }

  // SIGTERM; its summary {"requests","failed","p50_ms","p99_ms","versions":{label: n}}.
  StatusOr<Json> Stop() {
    process_->Signal(SIGTERM);
    std::optional<testutil::ExitStatus> st = process_->Wait(20s);
    if (!st || !st->ok()) return InternalError("vigil-shop-load did not end well:\n" + Log());
    Json summary = Json::parse(process_->Stdout(), nullptr, /*allow_exceptions=*/false);
    if (!summary.is_object()) return InternalError("no summary from vigil-shop-load:\n" + Log());
    return summary;
  }

  std::string Log() const { return process_->Stderr(); }

 private:
  ShopLoad() = default;
  std::unique_ptr<testutil::Process> process_;
};

class DeployTest : public testing::Test {
 protected:
  void SetUp() override {
    scratch_ = std::filesystem::path(server_.WriteScratchFile(".keep", "")).parent_path();
    // Every version shares the configuration's database (a manifest's env adds to the app's).
    const std::string config = server_.WriteScratchFile(
        "vigil.yaml",
        "canaries:\n"
        "  - name: shop-products\n"
        "    app: shop\n"
        "    interval: 0\n"
        "    steps:\n"
        "      - { path: /products, status: 200 }\n"
        "apps:\n"
        "  - name: shop\n"
        "    command: [\"" VIGIL_SHOP
        "\", \"--port\", \"${PORT}\"]\n"
        "    instances: 3\n"
        "    listen: 127.0.0.1:0\n"
        "    health_check: { path: /health, interval: 200ms, timeout: 1s }\n"
        "    env:\n"
        "      SHOP_VERSION: v1\n"
        "      SHOP_DB: " +
            scratch_ + "/shop.db\n");
    ASSERT_OK(server_.Start({"--config", config}));
    ASSERT_TRUE(AllOn("v1")) << Instances().dump(2) << server_.Logs();
  }
  void TearDown() override {
    if (server_.running()) EXPECT_OK(server_.Stop());
  }

  // Version `label` of the shop: a copy of vigil-shop and a manifest setting SHOP_VERSION and
  // `extra_env` (YAML lines "KEY: value"), uploaded with `vigil versions create`.
  void CreateVersion(const std::string& label, const std::vector<std::string>& extra_env = {}) {
    const std::filesystem::path dir = std::filesystem::path(scratch_) / "bundles" / label;
    std::filesystem::create_directories(dir);
    std::filesystem::create_hard_link(StrippedShop(), dir / "vigil-shop");
    std::ofstream manifest(dir / "manifest.yaml");
    manifest << "command: [\"./vigil-shop\", \"--port\", \"${PORT}\"]\n"
             << "env:\n  SHOP_VERSION: " << label << "\n";
    for (const std::string& line : extra_env) manifest << "  " << line << "\n";
    manifest << "health_check: { path: /health, interval: 200ms, timeout: 1s }\n";
    manifest.close();
    AwsResult created = server_.RunVigil({"versions", "create", "shop", label, dir.string()});
    ASSERT_EQ(created.exit_code, 0) << created.Describe();
  }

  // vigil-shop without its debug information (64 MB to a few), made once: every version
  // uploads a copy.
  std::string StrippedShop() {
    const std::string path = scratch_ + "/vigil-shop";
    if (std::filesystem::exists(path)) return path;
    testutil::SpawnOptions strip;
    strip.argv = {"strip", "-o", path, VIGIL_SHOP};
    auto p = testutil::Process::Spawn(strip);
    if (!p.ok() || !(*p)->Wait(60s).value_or(testutil::ExitStatus{}).ok()) {
      std::filesystem::copy_file(VIGIL_SHOP, path,
                                 std::filesystem::copy_options::overwrite_existing);
    }
    return path;
  }

  // `vigil deploy shop LABEL ARGS...` (it waits for the end).
  AwsResult Deploy(const std::string& label, std::vector<std::string> args) {
    args.insert(args.begin(), {"deploy", "shop", label});
    return server_.RunVigil(args);
  }

  // The shop's instances from the registry (an empty array on any error).
  Json Instances() {
    auto r = server_.GetJson("/v1/apps/shop/instances");
    if (!r.ok() || r->first != 200) return Json::array();
    return r->second.value("instances", Json::array());
  }

  // Whether, within the timeout, the shop is exactly three healthy instances of `label`.
  bool AllOn(const std::string& label, std::chrono::milliseconds timeout = 30s) {
    return Await(
        [&] {
          const Json all = Instances();
          if (all.size() != 3) return false;
          for (const Json& in : all) {
            if (in["version"] != label || in["state"] != "healthy" || in["in_rotation"] != true) {
              return false;
            }
          }
          return true;
        },
        timeout);
  }

  // The shop's deployments, newest first.
  Json Deployments() {
    AwsResult listed = server_.RunVigil({"deployments", "shop", "--output", "json"});
    EXPECT_EQ(listed.exit_code, 0) << listed.Describe();
    return listed.Json().value("deployments", Json::array());
  }

  Json Deployment(const std::string& id) {
    auto r = server_.GetJson("/v1/deployments/" + id);
    return r.ok() && r->first == 200 ? r->second : Json();
  }

  std::unique_ptr<ShopLoad> StartLoad() {
    auto port = server_.AppPort("shop");
    EXPECT_OK(port);
    if (!port.ok()) return nullptr;
    auto load = ShopLoad::Start(*port);
    EXPECT_OK(load);
    return load.ok() ? *std::move(load) : nullptr;
  }

  // A CloudWatch call (JSON 1.0 protocol) signed with the root key; its HTTP status.
  int CloudWatch(const std::string& operation, const Json& body) {
    std::unique_ptr<HttpClient> client = server_.NewClient();
    auto r = SendSigned(client.get(), server_.Key(),
                        CloudWatchJsonRequest(*client, operation, body.dump()));
    EXPECT_OK(r);
    if (!r.ok()) return 0;
    EXPECT_EQ(r->status, 200) << operation << ": " << r->body;
    return r->status;
  }

  // Deploys v2 with `args` and a 60 s bake under load, expecting alarm `alarm` to go into
  // ALARM and roll it back within 40 s (a 10 s period and its evaluation), and v1 to serve
  // again. The load's summary over the deployment (null when it could not run).
  Json DeployUntilAlarmRollsBack(std::vector<std::string> args, const std::string& alarm) {
    std::unique_ptr<ShopLoad> load = StartLoad();
    if (load == nullptr) return Json();
    args.insert(args.end(), {"--bake", "60s"});
    const auto started = std::chrono::steady_clock::now();
    AwsResult deployed = Deploy("v2", args);
    EXPECT_LT(std::chrono::steady_clock::now() - started, 40s);
    auto summary = load->Stop();
    EXPECT_EQ(deployed.exit_code, 1) << deployed.Describe() << server_.Logs();
    EXPECT_TRUE(Contains(deployed.out + deployed.err, "alarm '" + alarm + "' went into ALARM"))
        << deployed.Describe();
    EXPECT_TRUE(AllOn("v1")) << Instances().dump(2);
    EXPECT_OK(summary);
    return summary.ok() ? *summary : Json();
  }

  // After a rollback: a fresh load sees only `label` and no failure.
  void ExpectServesCleanly(const std::string& label) {
    std::unique_ptr<ShopLoad> load = StartLoad();
    ASSERT_NE(load, nullptr);
    // A few hundred requests: two one-second reports.
    ASSERT_TRUE(Await([&] { return Contains(load->Log(), "2s requests="); }, 10s)) << load->Log();
    auto summary = load->Stop();
    ASSERT_OK(summary);
    EXPECT_EQ((*summary)["failed"], 0) << load->Log();
    EXPECT_GT((*summary)["requests"].get<int>(), 0);
    EXPECT_EQ((*summary)["versions"], Json({{label, (*summary)["requests"]}})) << summary->dump();
  }

  VigilServer server_;
  std::string scratch_;
};

TEST_F(DeployTest, EveryPolicyRollsOutWithNoFailedRequest) {
  struct Case {
    std::string label, policy;
  };
  const std::vector<Case> cases = {{"v2", "all-at-once"},
                                   {"v3", "rolling"},
                                   {"v4", "rolling-with-batch"},
                                   {"v5", "immutable"},
                                   {"v6", "blue-green"}};
  std::string previous = "v1";
  for (const Case& c : cases) {
    SCOPED_TRACE(c.policy);
    CreateVersion(c.label);
    std::unique_ptr<ShopLoad> load = StartLoad();
    ASSERT_NE(load, nullptr);
    AwsResult deployed = Deploy(c.label, {"--policy", c.policy, "--batch", "1", "--bake", "1s"});
    auto summary = load->Stop();
    ASSERT_EQ(deployed.exit_code, 0) << deployed.Describe() << server_.Logs();
    EXPECT_TRUE(Contains(deployed.out, "succeeded")) << deployed.out;
    ASSERT_OK(summary);
    EXPECT_EQ((*summary)["failed"], 0) << summary->dump() << "\n" << load->Log();
    EXPECT_GT((*summary)["versions"].value(c.label, 0), 0) << summary->dump();
    EXPECT_GT((*summary)["versions"].value(previous, 0), 0) << summary->dump();
    EXPECT_TRUE(AllOn(c.label)) << Instances().dump(2);
    previous = c.label;
  }
  const Json deployments = Deployments();
  ASSERT_EQ(deployments.size(), cases.size()) << deployments.dump(2);
  for (size_t i = 0; i < cases.size(); ++i) {
    const Json& d = deployments[cases.size() - 1 - i];  // newest first
    EXPECT_EQ(d["id"], "shop-" + std::to_string(i + 1));
    EXPECT_EQ(d["kind"], "deploy");
    EXPECT_EQ(d["version"], cases[i].label);
    EXPECT_EQ(d["from"], i == 0 ? "v1" : cases[i - 1].label);
    EXPECT_EQ(d["policy"], cases[i].policy);
    EXPECT_EQ(d["state"], "succeeded");
  }
  AwsResult table = server_.RunVigil({"deployments", "shop"});
  ASSERT_EQ(table.exit_code, 0) << table.Describe();
  for (const Case& c : cases) EXPECT_TRUE(Contains(table.out, c.policy)) << table.out;
}

TEST_F(DeployTest, CrashingVersionRollsBackWithNoFailedRequest) {
  CreateVersion("v2", {"SHOP_FAULT_CRASH_ON_START: \"1\""});
  std::unique_ptr<ShopLoad> load = StartLoad();
  ASSERT_NE(load, nullptr);
  // Rolling takes an old instance out first: the rollback must start it again.
  AwsResult deployed = Deploy("v2", {"--policy", "rolling", "--bake", "1s"});
  EXPECT_TRUE(AllOn("v1")) << Instances().dump(2);
  auto summary = load->Stop();
  ASSERT_EQ(deployed.exit_code, 1) << deployed.Describe();
  EXPECT_TRUE(Contains(deployed.out + deployed.err, "rolled-back")) << deployed.Describe();
  EXPECT_TRUE(Contains(deployed.out + deployed.err, "crash-looping")) << deployed.Describe();
  ASSERT_OK(summary);
  EXPECT_EQ((*summary)["failed"], 0) << summary->dump() << "\n" << load->Log();
  const Json last = Deployments().at(0);
  EXPECT_EQ(last["state"], "rolled-back");
  EXPECT_TRUE(Contains(last["reason"].get<std::string>(), "crash-looping")) << last.dump(2);
}

TEST_F(DeployTest, FiveXxVersionTripsTheDefaultAlarmAndRollsBack) {
  CreateVersion("v2", {"SHOP_FAULT_ERROR_RATE: \"0.5\""});
  const Json summary =
      DeployUntilAlarmRollsBack({"--policy", "blue-green"}, "shop-target-5xx-rate");
  EXPECT_GT(summary.value("failed", 0), 0) << "the bad version served: " << summary.dump();
  ExpectServesCleanly("v1");
}

TEST_F(DeployTest, SlowVersionTripsAWatchedLatencyAlarmAndRollsBack) {
  Json alarm = {{"AlarmName", "shop-slow"},
                {"Namespace", "Vigil/LoadBalancer"},
                {"MetricName", "TargetResponseTime"},
                {"Dimensions", {{{"Name", "App"}, {"Value", "shop"}}}},
                {"ExtendedStatistic", "p90"},
                {"Period", 10},
                {"EvaluationPeriods", 1},
                {"Threshold", 0.3},
                {"ComparisonOperator", "GreaterThanThreshold"},
                {"TreatMissingData", "notBreaching"}};
  ASSERT_EQ(CloudWatch("PutMetricAlarm", alarm), 200);
  CreateVersion("v2", {"SHOP_FAULT_LATENCY_MS: \"600\""});
  // All at once retires the old set: the rollback must start it again.
  const Json summary =
      DeployUntilAlarmRollsBack({"--policy", "all-at-once", "--alarm", "shop-slow"}, "shop-slow");
  EXPECT_GT(summary["versions"].value("v2", 0), 0) << summary.dump();
  EXPECT_GT(summary.value("p99_ms", 0.0), 500) << summary.dump();
  ExpectServesCleanly("v1");
}

TEST_F(DeployTest, FailingCanaryRollsBackBeforeTheVersionTakesTraffic) {
  // /health passes; every other path answers 500.
  CreateVersion("v2", {"SHOP_FAULT_ERROR_RATE: \"1\""});
  std::unique_ptr<ShopLoad> load = StartLoad();
  ASSERT_NE(load, nullptr);
  AwsResult deployed =
      Deploy("v2", {"--policy", "immutable", "--bake", "1s", "--canary", "shop-products"});
  auto summary = load->Stop();
  ASSERT_EQ(deployed.exit_code, 1) << deployed.Describe();
  EXPECT_TRUE(Contains(deployed.out + deployed.err, "canary 'shop-products' failed on shop-"))
      << deployed.Describe();
  ASSERT_OK(summary);
  EXPECT_EQ((*summary)["failed"], 0) << summary->dump() << "\n" << load->Log();
  EXPECT_EQ((*summary)["versions"].value("v2", 0), 0) << "v2 took traffic: " << summary->dump();
  EXPECT_TRUE(AllOn("v1")) << Instances().dump(2);
}

TEST_F(DeployTest, ManualRollbackToThePreviousVersionAndToANamedOne) {
  CreateVersion("v2");
  CreateVersion("v3");
  std::unique_ptr<ShopLoad> load = StartLoad();
  ASSERT_NE(load, nullptr);
  ASSERT_EQ(Deploy("v2", {"--bake", "1s"}).exit_code, 0);
  ASSERT_EQ(Deploy("v3", {"--bake", "1s"}).exit_code, 0);
  ASSERT_TRUE(AllOn("v3")) << Instances().dump(2);

  {  // A malformed body is the API's 400, not an exception out of the handler.
    std::unique_ptr<HttpClient> client = server_.NewClient();
    testutil::SigV4Key key = server_.Key();
    key.service = "vigil";
    HttpRequest bad;
    bad.method = "POST";
    bad.target = "/v1/apps/shop/rollback";
    bad.headers = {{"Host", client->Host()}, {"Content-Type", "application/json"}};
    bad.body = R"({"to": 5})";
    auto r = SendSigned(client.get(), key, bad);
    ASSERT_OK(r);
    EXPECT_EQ(r->status, 400) << r->body;
    EXPECT_NE(r->body.find("must be a string"), std::string::npos) << r->body;
  }
  AwsResult back = server_.RunVigil({"rollback", "shop"});
  ASSERT_EQ(back.exit_code, 0) << back.Describe();
  EXPECT_TRUE(AllOn("v2")) << Instances().dump(2);
  AwsResult to_v1 = server_.RunVigil({"rollback", "shop", "--to", "v1"});
  ASSERT_EQ(to_v1.exit_code, 0) << to_v1.Describe();
  EXPECT_TRUE(AllOn("v1")) << Instances().dump(2);

  auto summary = load->Stop();
  ASSERT_OK(summary);
  EXPECT_EQ((*summary)["failed"], 0) << summary->dump() << "\n" << load->Log();
  const Json deployments = Deployments();
  ASSERT_EQ(deployments.size(), 4u) << deployments.dump(2);
  EXPECT_EQ(deployments[0]["kind"], "rollback");
  EXPECT_EQ(deployments[0]["from"], "v2");
  EXPECT_EQ(deployments[0]["version"], "v1");
  EXPECT_EQ(deployments[1]["kind"], "rollback");
  EXPECT_EQ(deployments[1]["from"], "v3");
  EXPECT_EQ(deployments[1]["version"], "v2");
  for (const Json& d : deployments) EXPECT_EQ(d["state"], "succeeded") << d.dump(2);
}

TEST_F(DeployTest, RestartMidDeploymentComesBackOnTheOldVersionAndResumes) {
  CreateVersion("v2");
  AwsResult started = server_.RunVigil({"deploy", "shop", "v2", "--policy", "immutable", "--bake",
                                        "4s", "--no-wait", "--output", "json"});
  ASSERT_EQ(started.exit_code, 0) << started.Describe();
  const std::string id = started.Json().value("id", "");
  ASSERT_EQ(id, "shop-1") << started.out;
  ASSERT_TRUE(Await([&] { return Deployment(id).value("phase", "") == "baking"; }))
      << Deployment(id).dump(2);
  // The registry shows the deployment in progress beside the version still current.
  auto apps = server_.GetJson("/v1/apps/shop");
  ASSERT_OK(apps);
  EXPECT_EQ(apps->second["version"], "v1") << apps->second.dump(2);
  EXPECT_EQ(apps->second["deployment"]["id"], id) << apps->second.dump(2);
  EXPECT_EQ(apps->second["deployment"]["version"], "v2");

  ASSERT_OK(server_.Stop());
  ASSERT_OK(server_.Start());
  // The fleet starts on the version that last succeeded; the deployment starts again (and may
  // have replaced v1 before the API answers: its record says what happened).
  ASSERT_TRUE(Await([&] {
    return Contains(Deployment(id).dump(), "the app came back on version 'v1'");
  })) << Deployment(id).dump(2);
  // Load once the app serves again (before that the load balancer answers 503: no target).
  ASSERT_TRUE(Await([&] {
    for (const Json& in : Instances()) {
      if (in["state"] == "healthy" && in["in_rotation"] == true) return true;
    }
    return false;
  })) << Instances().dump(2);
  std::unique_ptr<ShopLoad> load = StartLoad();
  ASSERT_NE(load, nullptr);
  ASSERT_TRUE(Await([&] { return Deployment(id).value("state", "") != "in-progress"; }))
      << Deployment(id).dump(2);
  auto summary = load->Stop();
  const Json d = Deployment(id);
  EXPECT_EQ(d["state"], "succeeded") << d.dump(2) << server_.Logs();
  EXPECT_TRUE(AllOn("v2")) << Instances().dump(2);
  ASSERT_OK(summary);
  EXPECT_EQ((*summary)["failed"], 0) << summary->dump() << "\n" << load->Log();

  AwsResult shown = server_.RunVigil({"deployments", "show", id});
  ASSERT_EQ(shown.exit_code, 0) << shown.Describe();
  EXPECT_TRUE(Contains(shown.out,
                       "Vigil restarted during the deployment; the app came back on "
                       "version 'v1'"))
      << shown.out;
  EXPECT_TRUE(Contains(shown.out, "starting the deployment again from the beginning")) << shown.out;
  // The restarted fleet's v1 instances (ids count from 1 again) are the ones replaced.
  EXPECT_TRUE(Contains(shown.out, "retiring shop-1, shop-2, shop-3: replaced by 'v2'"))
      << shown.out;
}

TEST_F(DeployTest, RollbackAlarmActionTakesTheAppBackToThePreviousVersion) {
  CreateVersion("v2");
  AwsResult deployed = Deploy("v2", {"--policy", "blue-green", "--bake", "1s"});
  ASSERT_EQ(deployed.exit_code, 0) << deployed.Describe();
  ASSERT_TRUE(AllOn("v2")) << Instances().dump(2);

  Json alarm = {{"AlarmName", "shop-orders-dropped"},
                {"Namespace", "Shop"},
                {"MetricName", "Purchases"},
                {"Dimensions", {{{"Name", "App"}, {"Value", "shop"}}}},
                {"Statistic", "Sum"},
                {"Period", 60},
                {"EvaluationPeriods", 1},
                {"Threshold", 1},
                {"ComparisonOperator", "LessThanThreshold"},
                {"AlarmActions", {"vigil:rollback:shop"}}};
  ASSERT_EQ(CloudWatch("PutMetricAlarm", alarm), 200);
  std::unique_ptr<ShopLoad> load = StartLoad();
  ASSERT_NE(load, nullptr);
  ASSERT_EQ(CloudWatch("SetAlarmState", {{"AlarmName", "shop-orders-dropped"},
                                         {"StateValue", "ALARM"},
                                         {"StateReason", "test: orders dropped"}}),
            200);
  EXPECT_TRUE(AllOn("v1")) << Instances().dump(2) << server_.Logs();
  auto summary = load->Stop();
  ASSERT_OK(summary);
  EXPECT_EQ((*summary)["failed"], 0) << summary->dump() << "\n" << load->Log();
  const Json last = Deployments().at(0);
  EXPECT_EQ(last["kind"], "rollback") << last.dump(2);
  EXPECT_EQ(last["from"], "v2");
  EXPECT_EQ(last["version"], "v1");
  EXPECT_EQ(last["state"], "succeeded") << last.dump(2);
}

}  // namespace
}  // namespace vigil::integration
