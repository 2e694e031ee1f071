// Encryption at rest, end to end: a server with `encryption: {metrics: true, logs: true}` takes a
// metric with a distinctive dimension value and a log event with a distinctive message from the
// aws CLI, and a version whose manifest sets a distinctive environment variable from `vigil
// versions create`. Stopped (its head cut into a block, its log cut into a segment), no file under
// the data directory holds any of them, nor the webhook signing secret; restarted, and again
// after `vigil keys rotate` and `rotate-master`, everything reads back.
//
// Documented exceptions, which the grep skips: none. (Names — of log groups, streams, metrics,
// apps — are kept in the clear in state.db; this test uses names that are not its secrets.)
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "tests/integration/assertions.h"
#include "tests/integration/vigil_server.h"

namespace vigil::integration {
namespace {

constexpr char kDimension[] = "zebra-dimension-9431";
constexpr char kMessage[] = "okapi-message-5127 user logged in";
constexpr char kEnvValue[] = "giraffe-env-8812";

// Files under `dir` whose bytes hold `needle`.
std::vector<std::string> FilesHolding(const std::string& dir, const std::string& needle) {
  std::vector<std::string> out;
  for (const auto& f : std::filesystem::recursive_directory_iterator(dir)) {
    if (!f.is_regular_file()) continue;
    std::ifstream in(f.path(), std::ios::binary);
    std::stringstream bytes;
    bytes << in.rdbuf();
    if (bytes.str().find(needle) != std::string::npos) out.push_back(f.path());
  }
  return out;
}

std::string Joined(const std::vector<std::string>& v) {
  std::string out;
  for (const std::string& s : v) out += s + "\n";
  return out;
}

class EncryptionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    cli_ = CliPath(Cli::kV2Query).empty() ? Cli::kV1Json : Cli::kV2Query;
    if (CliPath(cli_).empty()) GTEST_SKIP() << "no aws CLI";
    const std::string config = server_.WriteScratchFile(
        "vigil.yaml",
        "encryption:\n"
        "  metrics: true\n"
        "  logs: true\n"
        "apps:\n"
        "  - name: web\n"
        "    command: [\"" VIGIL_TEST_APP "\", \"--port\", \"${PORT}\"]\n"
        "    instances: 1\n"
        "    health_check: { path: /health, interval: 1s }\n");
    ASSERT_OK(server_.Start({"--config", config}));
  }

  void ExpectEverythingReads(const std::string& when) {
    SCOPED_TRACE(when);
    const int64_t now = NowSeconds();
    AwsResult stats = server_.RunAws(
        cli_, {"cloudwatch", "get-metric-statistics", "--namespace", "Enc", "--metric-name",
               "Logins", "--dimensions", std::string("Name=Host,Value=") + kDimension,
               "--start-time", std::to_string(now - 3600), "--end-time",
               std::to_string(now + 60), "--period", "3600", "--statistics", "Sum"});
    ASSERT_TRUE(AwsOk(stats));
    ASSERT_EQ(stats.Json()["Datapoints"].size(), 1u) << stats.out << server_.Logs();
    EXPECT_EQ(stats.Json()["Datapoints"][0]["Sum"], 42.0);
    AwsResult events = server_.RunAws(cli_, {"logs", "get-log-events", "--log-group-name",
                                             "audit-app", "--log-stream-name", "s1",
                                             "--start-from-head"});
    ASSERT_TRUE(AwsOk(events));
    ASSERT_EQ(events.Json()["events"].size(), 1u) << events.out;
    EXPECT_EQ(events.Json()["events"][0]["message"], kMessage);
    AwsResult versions = server_.RunVigil({"versions", "list", "web", "--output", "json"});
    ASSERT_EQ(versions.exit_code, 0) << versions.Describe();
    EXPECT_NE(versions.out.find(kEnvValue), std::string::npos) << versions.out;
  }

  Cli cli_ = Cli::kV2Query;
  VigilServer server_;
};

TEST_F(EncryptionTest, NothingDistinctiveOnDiskAndEverythingReadsAfterRotations) {
  const int64_t now = NowSeconds();
  ASSERT_TRUE(AwsOk(server_.RunAws(
      cli_, {"cloudwatch", "put-metric-data", "--namespace", "Enc", "--metric-name", "Logins",
             "--dimensions", std::string("Host=") + kDimension, "--value", "42", "--timestamp",
             std::to_string(now - 30)})));
  ASSERT_TRUE(AwsOk(server_.RunAws(cli_, {"logs", "create-log-group", "--log-group-name",
                                          "audit-app"})));
  ASSERT_TRUE(AwsOk(server_.RunAws(cli_, {"logs", "create-log-stream", "--log-group-name",
                                          "audit-app", "--log-stream-name", "s1"})));
  ASSERT_TRUE(AwsOk(server_.RunAws(
      cli_, {"logs", "put-log-events", "--log-group-name", "audit-app", "--log-stream-name", "s1",
             "--log-events",
             "timestamp=" + std::to_string((now - 20) * 1000) + ",message=" + kMessage})));
  const std::filesystem::path scratch =
      std::filesystem::path(server_.WriteScratchFile("unused", "")).parent_path();
  std::filesystem::create_directories(scratch / "bundle");
  const std::filesystem::path bundle = server_.WriteScratchFile("bundle/manifest.yaml",
      std::string("command: [\"" VIGIL_TEST_APP "\", \"--port\", \"${PORT}\"]\n"
                  "env:\n  ZEBRA_TOKEN: ") + kEnvValue + "\n");
  AwsResult created =
      server_.RunVigil({"versions", "create", "web", "v2", bundle.parent_path().string()});
  ASSERT_EQ(created.exit_code, 0) << created.Describe();
  AwsResult secret = server_.RunVigil({"keys", "webhook-secret"});
  ASSERT_EQ(secret.exit_code, 0) << secret.Describe();
  const std::string webhook_secret = secret.out.substr(0, secret.out.find('\n'));
  ASSERT_EQ(webhook_secret.size(), 64u) << secret.out;

  ASSERT_OK(server_.Stop());
  const std::string dir = server_.data_dir();
  EXPECT_TRUE(std::filesystem::exists(dir + "/keys/webhook-secret.sealed"));
  EXPECT_FALSE(std::filesystem::exists(dir + "/keys/webhook-secret"));
  for (const std::string& needle :
       {std::string(kDimension), std::string("okapi-message"), std::string(kEnvValue),
        webhook_secret}) {
    EXPECT_EQ(Joined(FilesHolding(dir, needle)), "") << "in the clear: " << needle;
  }
  // The stop cut the head and the log: there are encrypted blocks and segments to check.
  EXPECT_FALSE(FilesHolding(dir + "/tsdb/blocks", "VGXE").empty());
  EXPECT_FALSE(FilesHolding(dir + "/logs/groups", "VLOGSEG2").empty());

  ASSERT_OK(server_.Start());  // with the same --config
  ExpectEverythingReads("after a restart");
  AwsResult keys = server_.RunVigil({"keys", "list"});
  ASSERT_EQ(keys.exit_code, 0) << keys.Describe();
  for (const char* purpose : {"tsdb", "logs", "deploy", "secrets"}) {
    EXPECT_NE(keys.out.find(purpose), std::string::npos) << keys.out;
  }
  for (const char* purpose : {"tsdb", "logs", "deploy", "secrets"}) {
    AwsResult rotated = server_.RunVigil({"keys", "rotate", purpose});
    EXPECT_EQ(rotated.exit_code, 0) << rotated.Describe();
  }
  AwsResult master = server_.RunVigil({"keys", "rotate-master"});
  ASSERT_EQ(master.exit_code, 0) << master.Describe();
  ASSERT_OK(server_.Restart());
  ExpectEverythingReads("after rotating every key and restarting");
  AwsResult again = server_.RunVigil({"keys", "webhook-secret"});
  EXPECT_EQ(again.out.substr(0, again.out.find('\n')), webhook_secret);
  // The rotations are in the trail, the secret's reads too.
  AwsResult trail = server_.RunVigil({"audit", "events", "--output", "json"});
  ASSERT_EQ(trail.exit_code, 0) << trail.Describe();
  EXPECT_NE(trail.out.find("RotateKey"), std::string::npos) << trail.out.substr(0, 2000);
  EXPECT_NE(trail.out.find("RevealWebhookSecret"), std::string::npos);
}

}  // namespace
}  // namespace vigil::integration
