// The web dashboard end to end: a real server running three vigil-shop instances behind its
// load balancer with vigil-shop-load's traffic, a second version of the shop uploaded, and
// tests/browser/dashboard.mjs driving the dashboard in headless Debian chromium through
// playwright-core (sign-in, overview, charts, an alarm turned red, deploy and rollback from
// the page, logs, audit). Its screenshots go to <build>/dashboard-screenshots.
//
// chromium (Debian package) and web/node_modules (npm ci --prefix web) are installed by
// scripts/install-deps; without them the test fails and says so.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <string>

#include "tests/integration/vigil_server.h"
#include "tests/testutil/await.h"
#include "tests/testutil/process.h"

namespace vigil::integration {
namespace {

using namespace std::chrono_literals;
using namespace std::string_literals;
using Json = nlohmann::json;

constexpr char kPassword[] = "Ada's dashboard passphrase";

constexpr char kMissing[] =
    " is missing: run scripts/install-deps (it installs chromium and "
    "runs npm ci --prefix web)";

bool Await(const std::function<bool()>& pred, std::chrono::milliseconds timeout = 30s) {
  return testutil::Await(pred, timeout, 50ms);
}

std::string Chromium() {
  const char* set = std::getenv("CHROMIUM");
  return set != nullptr && *set != '\0' ? set : "/usr/bin/chromium";
}

class DashboardTest : public testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(std::filesystem::exists(Chromium())) << Chromium() << kMissing;
    ASSERT_TRUE(std::filesystem::exists(VIGIL_SOURCE_DIR "/web/node_modules/playwright-core"))
        << VIGIL_SOURCE_DIR "/web/node_modules/playwright-core" << kMissing;
    scratch_ = std::filesystem::path(server_.WriteScratchFile(".keep", "")).parent_path();
    const std::string config = server_.WriteScratchFile(
        "vigil.yaml",
        "apps:\n"
        "  - name: shop\n"
        "    command: [\"" VIGIL_SHOP
        "\", \"--port\", \"${PORT}\"]\n"
        "    instances: 3\n"
        "    listen: 127.0.0.1:0\n"
        "    health_check: { path: /health, interval: 200ms, timeout: 1s }\n"
        "    metrics_path: /metrics\n"
        "    env:\n"
        "      SHOP_VERSION: v1\n"
        "      SHOP_DB: " +
            scratch_ + "/shop.db\n");
    ASSERT_OK(server_.Start({"--config", config}));
    ASSERT_TRUE(Await([&] {
      auto r = server_.GetJson("/v1/apps/shop");
      return r.ok() && r->first == 200 && r->second.value("healthy", 0) == 3;
    })) << server_.Logs();
    CreateVersion("v2");
    auto port = server_.AppPort("shop");
    ASSERT_OK(port);
    testutil::SpawnOptions load;
    load.argv = {
        VIGIL_SHOP_LOAD, "--url", "http://127.0.0.1:" + std::to_string(*port), "--connections", "2",
        "--rate",        "40"};
    auto spawned = testutil::Process::Spawn(load);
    ASSERT_OK(spawned);
    load_ = *std::move(spawned);
  }
  void TearDown() override {
    load_.reset();
    if (server_.running()) EXPECT_OK(server_.Stop());
  }

  // Version `label` of the shop: a copy of vigil-shop and a manifest, uploaded with
  // `vigil versions create` (the page deploys it).
  void CreateVersion(const std::string& label) {
    const std::filesystem::path dir = std::filesystem::path(scratch_) / "bundles" / label;
    std::filesystem::create_directories(dir);
    testutil::SpawnOptions strip;
    strip.argv = {"strip", "-o", (dir / "vigil-shop").string(), VIGIL_SHOP};
    auto stripped = testutil::Process::Spawn(strip);
    if (!stripped.ok() || !(*stripped)->Wait(60s).value_or(testutil::ExitStatus{}).ok()) {
      std::filesystem::copy_file(VIGIL_SHOP, dir / "vigil-shop",
                                 std::filesystem::copy_options::overwrite_existing);
    }
    std::ofstream(dir / "manifest.yaml")
        << "command: [\"./vigil-shop\", \"--port\", \"${PORT}\"]\n"
        << "env:\n  SHOP_VERSION: " << label << "\n"
        << "health_check: { path: /health, interval: 200ms, timeout: 1s }\n";
    AwsResult created = server_.RunVigil({"versions", "create", "shop", label, dir.string()});
    ASSERT_EQ(created.exit_code, 0) << created.Describe();
  }

  VigilServer server_;
  std::string scratch_;
  std::unique_ptr<testutil::Process> load_;
};

TEST_F(DashboardTest, BrowserWalkThrough) {
  // The page is walked through by a person: an administrator with a password.
  ASSERT_EQ(server_.RunVigil({"iam", "create-user", "ada"}).exit_code, 0);
  ASSERT_EQ(
      server_.RunVigil({"iam", "attach-policy", "--user", "ada", "--policy", "AdministratorAccess"})
          .exit_code,
      0);
  AwsResult profile = server_.RunVigil(
      {"iam", "create-login-profile", "--user", "ada", "--password-stdin"}, kPassword + "\n"s);
  ASSERT_EQ(profile.exit_code, 0) << profile.Describe();
  testutil::SpawnOptions node;
  node.argv = {"node", VIGIL_SOURCE_DIR "/tests/browser/dashboard.mjs"};
  node.env = {{"VIGIL_URL", server_.endpoint()},
              {"VIGIL_ACCESS_KEY_ID", kAccessKeyId},
              {"VIGIL_SECRET_ACCESS_KEY", kSecretAccessKey},
              {"VIGIL_USERNAME", "ada"},
              {"VIGIL_PASSWORD", kPassword},
              {"VIGIL_SCREENSHOT_DIR", VIGIL_SCREENSHOT_DIR},
              {"VIGIL_APP", "shop"},
              {"VIGIL_DEPLOY_VERSION", "v2"},
              {"CHROMIUM", Chromium()}};
  auto browser = testutil::Process::Spawn(node);
  ASSERT_OK(browser);
  std::optional<testutil::ExitStatus> done = (*browser)->Wait(240s);
  // Each step with its time, and the screenshots' folder, in the test's output.
  std::printf("%s%s(screenshots in %s)\n", (*browser)->Stdout().c_str(),
              (*browser)->Stderr().c_str(), VIGIL_SCREENSHOT_DIR);
  ASSERT_TRUE(done.has_value()) << "the browser test did not end in 240 s";
  EXPECT_TRUE(done->ok()) << "tests/browser/dashboard.mjs: " << done->ToString() << "\n"
                          << (*browser)->Stdout() << (*browser)->Stderr() << "\nserver log:\n"
                          << server_.Logs();
}

}  // namespace
}  // namespace vigil::integration
