// TLS end to end: vigil serving its API and an app's load balancer over TLS with certificates
// of a CA made in the test, driven by real clients (curl, both aws CLIs with --ca-bundle, the
// vigil CLI, openssl s_client); SIGHUP reloads; --tls-self-signed; aws:SecureTransport; an
// app's TLS listener: its failed handshakes in the metrics, a canary through it.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <optional>
#include <regex>
#include <string>
#include <vector>

#include "storage/file_util.h"
#include "tests/integration/assertions.h"
#include "tests/integration/vigil_server.h"
#include "tests/testutil/await.h"
#include "tests/testutil/test_ca.h"
#include "tests/testutil/tls_client.h"

namespace vigil::integration {
namespace {

using namespace std::chrono_literals;

struct Outcome {
  int exit_code = -1;
  std::string out, err;
  std::string Describe() const { return "exit " + std::to_string(exit_code) + "\n" + out + err; }
};

Outcome RunProgram(std::vector<std::string> argv,
                   std::vector<std::pair<std::string, std::optional<std::string>>> env = {}) {
  testutil::SpawnOptions spawn;
  spawn.argv = std::move(argv);
  spawn.env = std::move(env);
  Outcome run;
  auto r = testutil::RunCommand(spawn, 60s);
  if (!r.ok()) {
    run.err = r.status().ToString();
    return run;
  }
  run.exit_code = r->status.exited ? r->status.code : -1;
  run.out = r->out;
  run.err = r->err;
  return run;
}

Outcome Curl(const std::string& url, const std::string& ca_file) {
  std::vector<std::string> argv = {"curl", "--silent", "--show-error", "--max-time", "20"};
  if (!ca_file.empty()) argv.insert(argv.end(), {"--cacert", ca_file});
  argv.push_back(url);
  return RunProgram(argv);
}

// The serial number (hex) of the certificate a new connection to `port` is shown, by
// openssl s_client.
std::string ServedSerial(uint16_t port, const std::string& ca_file) {
  const Outcome r = RunProgram(
      {"sh", "-c",
       "openssl s_client -connect 127.0.0.1:" + std::to_string(port) + " -CAfile " + ca_file +
           " -verify_return_error </dev/null 2>/dev/null | openssl x509 -noout -serial"});
  return r.out.rfind("serial=", 0) == 0 ? r.out.substr(7, r.out.find('\n') - 7) : r.Describe();
}

class TlsTest : public testing::Test {
 protected:
  void SetUp() override {
    auto ca = testutil::TestCa::Create();
    ASSERT_OK(ca);
    ca_.emplace(std::move(*ca));
    dir_ = ca_->dir();
    auto files = ca_->Issue("api", 0x11);
    ASSERT_OK(files);
    files_ = *files;
  }
  void TearDown() override {
    if (server_.running()) EXPECT_OK(server_.Stop());
  }
  Status StartTls(std::vector<std::string> extra = {}) {
    extra.insert(extra.end(), {"--tls-cert", files_.cert_file, "--tls-key", files_.key_file});
    return server_.Start(extra);
  }
  std::string Url(const std::string& path) const { return server_.endpoint() + path; }

  std::string dir_;
  std::optional<testutil::TestCa> ca_;
  http::TlsFiles files_;
  VigilServer server_;
};

TEST_F(TlsTest, ApiOverTlsWithCurlBothAwsClisAndTheVigilCli) {
  ASSERT_OK(StartTls());
  ASSERT_EQ(server_.endpoint().rfind("https://", 0), 0u) << server_.endpoint();
  const std::string ca = ca_->ca_file();
  Outcome ok = Curl(Url("/healthz"), ca);
  ASSERT_EQ(ok.exit_code, 0) << ok.Describe();
  EXPECT_EQ(ok.out, "ok\n");
  Outcome untrusted = Curl(Url("/healthz"), "");
  EXPECT_EQ(untrusted.exit_code, 60) << untrusted.Describe();  // peer certificate not trusted
  // A dashboard sign-in over TLS gets a Secure cookie.
  Outcome signin =
      RunProgram({"curl", "--silent", "--show-error", "--include", "--cacert", ca, "--data",
                  std::string(R"({"access_key_id":")") + kAccessKeyId +
                      R"(","secret_access_key":")" + kSecretAccessKey + "\"}",
                  Url("/v1/session")});
  ASSERT_EQ(signin.exit_code, 0) << signin.Describe();
  EXPECT_TRUE(std::regex_search(signin.out, std::regex("Set-Cookie: vigil_session=[^\r]*; Secure")))
      << signin.out;

  for (Cli cli : kBothClis) {
    if (CliPath(cli).empty()) continue;
    SCOPED_TRACE(CliName(cli));
    AwsResult put =
        server_.RunAws(cli, {"cloudwatch", "put-metric-data", "--namespace", "Tls", "--metric-name",
                             "Handshakes" + CliName(cli), "--value", "1", "--ca-bundle", ca});
    ASSERT_TRUE(AwsOk(put));
    AwsResult list = server_.RunAws(cli, {"cloudwatch", "list-metrics", "--namespace", "Tls"},
                                    AwsOptions{.env = {{"AWS_CA_BUNDLE", ca}}});
    ASSERT_TRUE(AwsOk(list));
    EXPECT_NE(list.out.find("Handshakes" + CliName(cli)), std::string::npos) << list.out;
    AwsResult refused = server_.RunAws(cli, {"cloudwatch", "list-metrics"});
    EXPECT_NE(refused.exit_code, 0) << refused.Describe();
    EXPECT_NE(refused.err.find("CERTIFICATE_VERIFY_FAILED"), std::string::npos)
        << refused.Describe();
  }

  AwsResult vigil_list =
      server_.RunVigil({"metrics", "list", "--namespace", "Tls", "--ca-bundle", ca});
  ASSERT_EQ(vigil_list.exit_code, 0) << vigil_list.Describe();
  Outcome from_env = RunProgram({VIGIL_BINARY_PATH, "metrics", "list", "--endpoint",
                                 server_.endpoint(), "--data-dir", server_.data_dir()},
                                {{"AWS_CA_BUNDLE", ca},
                                 {"AWS_ACCESS_KEY_ID", std::nullopt},
                                 {"AWS_SECRET_ACCESS_KEY", std::nullopt}});
  EXPECT_EQ(from_env.exit_code, 0) << from_env.Describe();
  AwsResult vigil_refused = server_.RunVigil({"metrics", "list"});
  EXPECT_EQ(vigil_refused.exit_code, 1) << vigil_refused.Describe();
  EXPECT_NE(vigil_refused.err.find("certificate verify failed"), std::string::npos)
      << vigil_refused.Describe();
}

// A policy denying plain HTTP (Bool aws:SecureTransport false) lets the TLS caller through and
// stops the same caller on a plain-HTTP server.
TEST_F(TlsTest, SecureTransportConditionSeesTls) {
  const std::string policy = server_.WriteScratchFile("https-only.json", R"({"Statement":[
      {"Effect":"Allow","Action":"cloudwatch:*","Resource":"*"},
      {"Sid":"HttpsOnly","Effect":"Deny","Action":"*","Resource":"*",
       "Condition":{"Bool":{"aws:SecureTransport":"false"}}}]})");
  const Cli cli = CliPath(Cli::kV2Query).empty() ? Cli::kV1Json : Cli::kV2Query;
  if (CliPath(cli).empty()) GTEST_SKIP() << "no aws CLI";
  for (bool tls : {true, false}) {
    SCOPED_TRACE(tls ? "https" : "http");
    ASSERT_OK(tls ? StartTls() : server_.Start({}));
    std::vector<std::string> ca;
    if (tls) ca = {"--ca-bundle", ca_->ca_file()};
    auto vigil = [&](std::vector<std::string> args) {
      args.insert(args.end(), ca.begin(), ca.end());
      return server_.RunVigil(args);
    };
    ASSERT_EQ(vigil({"iam", "create-user", "ci"}).exit_code, 0);
    AwsResult key = vigil({"iam", "create-access-key", "ci", "--output", "json"});
    ASSERT_EQ(key.exit_code, 0) << key.Describe();
    ASSERT_EQ(vigil({"iam", "put-user-policy", "--user", "ci", "--policy-name", "https-only",
                     "--document", "@" + policy})
                  .exit_code,
              0);
    AwsOptions as_ci;
    as_ci.env = {{"AWS_SHARED_CREDENTIALS_FILE", std::nullopt},
                 {"AWS_ACCESS_KEY_ID", key.Json().value("access_key_id", "")},
                 {"AWS_SECRET_ACCESS_KEY", key.Json().value("secret_access_key", "")}};
    std::vector<std::string> put = {
        "cloudwatch", "put-metric-data", "--namespace", "Tls", "--metric-name", "M", "--value",
        "1"};
    put.insert(put.end(), ca.begin(), ca.end());
    AwsResult r = server_.RunAws(cli, put, as_ci);
    if (tls) {
      EXPECT_TRUE(AwsOk(r));
    } else {
      EXPECT_TRUE(AwsError(cli, r, "AccessDenied"));
      EXPECT_NE(r.err.find("HttpsOnly"), std::string::npos) << r.Describe();
    }
    ASSERT_OK(server_.Stop());
    std::error_code ec;
    std::filesystem::remove_all(server_.data_dir(), ec);  // the next round starts afresh
  }
}

TEST_F(TlsTest, SighupReloadsTheCertificateWithoutDroppingConnections) {
  ASSERT_OK(StartTls());
  const std::string ca = ca_->ca_file();
  testutil::TlsClient before(server_.port(), ca);
  ASSERT_FALSE(before.handshake_error()) << before.handshake_error().message();
  EXPECT_EQ(before.PeerSerial(), "11");
  ASSERT_OK(before.Get("/healthz"));
  EXPECT_EQ(ServedSerial(server_.port(), ca), "11");

  ASSERT_OK(ca_->Issue("api", 0x22));  // over the same files
  ASSERT_TRUE(server_.Signal(SIGHUP));
  ASSERT_TRUE(testutil::Await([&] {
    return server_.Logs().find("TLS certificates reloaded") != std::string::npos;
  })) << server_.Logs();
  EXPECT_EQ(ServedSerial(server_.port(), ca), "22");
  auto again = before.Get("/healthz");  // opened before the reload, still served
  ASSERT_OK(again);
  EXPECT_EQ(again->body(), "ok\n");

  // A broken certificate: logged naming the file, the last good one stays, serving goes on.
  ASSERT_OK(storage::WriteFileAtomic(files_.cert_file, "broken\n"));
  ASSERT_TRUE(server_.Signal(SIGHUP));
  ASSERT_TRUE(testutil::Await([&] {
    return server_.Logs().find("TLS reload of the API listener") != std::string::npos;
  })) << server_.Logs();
  EXPECT_NE(server_.Logs().find(files_.cert_file), std::string::npos) << server_.Logs();
  EXPECT_EQ(ServedSerial(server_.port(), ca), "22");
  Outcome healthz = Curl(Url("/healthz"), ca);
  EXPECT_EQ(healthz.exit_code, 0) << healthz.Describe();
  EXPECT_TRUE(server_.running());
}

TEST_F(TlsTest, SelfSignedQuickStartIsTrustedThroughItsPrintedFile) {
  ASSERT_OK(server_.Start({"--tls-self-signed"}));
  std::smatch m;
  const std::string out = server_.Stdout();
  ASSERT_TRUE(std::regex_search(out, m, std::regex("TLS: self-signed certificate (\\S+)"))) << out;
  const std::string cert = m[1];
  ASSERT_TRUE(std::regex_search(out, m, std::regex("SHA-256 fingerprint ([0-9A-F:]{95})"))) << out;
  const std::string fingerprint = m[1];
  Outcome ok = Curl(Url("/healthz"), cert);
  ASSERT_EQ(ok.exit_code, 0) << ok.Describe();
  Outcome by_name = Curl("https://localhost:" + std::to_string(server_.port()) + "/healthz", cert);
  EXPECT_EQ(by_name.exit_code, 0) << by_name.Describe();
  if (!CliPath(Cli::kV2Query).empty()) {
    EXPECT_TRUE(
        AwsOk(server_.RunAws(Cli::kV2Query, {"cloudwatch", "list-metrics", "--ca-bundle", cert})));
  }
  // The next start reuses it.
  ASSERT_OK(server_.Restart());
  EXPECT_NE(server_.Stdout().find(fingerprint), std::string::npos) << server_.Stdout();
}

TEST_F(TlsTest, StartFailsNamingAnUnusableFile) {
  files_.key_file = dir_ + "/no-such.key";
  Status s = StartTls();
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find(files_.key_file), std::string::npos) << s.ToString();
}

TEST_F(TlsTest, AppLoadBalancerTerminatesTls) {
  auto web = ca_->Issue("web", 0x33);
  ASSERT_OK(web);
  const std::string config = server_.WriteScratchFile(
      "vigil.yaml", "apps:\n  - name: web\n    command: [\"" VIGIL_TEST_APP
                    "\", \"--port\", \"${PORT}\"]\n    listen: 127.0.0.1:0\n"
                    "    tls: {cert: " +
                        web->cert_file + ", key: " + web->key_file +
                        "}\n"
                        // Its certificate's CA is in no system store: the canary trusts the
                        // certificate the listener is configured with.
                        "canaries:\n  - name: web-tls\n    app: web\n    interval: 0\n"
                        "    steps: [{path: /hello, body_contains: 'ok '}]\n");
  ASSERT_OK(server_.Start({"--config", config}));
  EXPECT_NE(server_.Stdout().find("app web load balancer on https://"), std::string::npos)
      << server_.Stdout();
  auto lb_port = server_.AppPort("web");
  ASSERT_OK(lb_port);
  const std::string url = "https://127.0.0.1:" + std::to_string(*lb_port) + "/hello";
  Outcome r;
  ASSERT_TRUE(testutil::Await(
      [&] {
        r = Curl(url, ca_->ca_file());
        return r.exit_code == 0 && r.out.rfind("ok ", 0) == 0;
      },
      30s))
      << r.Describe() << server_.Logs();
  EXPECT_EQ(ServedSerial(*lb_port, ca_->ca_file()), "33");
  AwsResult canary = server_.RunVigil({"canaries", "run", "web-tls"});
  EXPECT_EQ(canary.exit_code, 0) << canary.Describe() << server_.Logs();

  // A failed handshake (plain HTTP to the TLS listener) is counted in the app's
  // ClientTLSNegotiationErrorCount, as ELB publishes it.
  Outcome plain = Curl("http://127.0.0.1:" + std::to_string(*lb_port) + "/hello", "");
  EXPECT_NE(plain.exit_code, 0) << plain.Describe();
  const Cli cli = CliPath(Cli::kV2Query).empty() ? Cli::kV1Json : Cli::kV2Query;
  if (!CliPath(cli).empty()) {
    AwsResult stats;
    double sum = 0;
    ASSERT_TRUE(testutil::Await(
        [&] {
          const int64_t now = NowSeconds();
          stats = server_.RunAws(
              cli, {"cloudwatch", "get-metric-statistics", "--namespace", "Vigil/LoadBalancer",
                    "--metric-name", "ClientTLSNegotiationErrorCount", "--dimensions",
                    "Name=App,Value=web", "--start-time", Iso8601(now - 600), "--end-time",
                    Iso8601(now + 60), "--period", "60", "--statistics", "Sum"});
          sum = 0;
          for (const Stats& p : ParseDatapoints(stats.Json())) sum += p.sum.value_or(0);
          return AwsOk(stats) && sum >= 1;
        },
        30s))
        << stats.Describe();
    EXPECT_EQ(sum, 1) << stats.out;
  }

  // SIGHUP reloads the load balancer's certificate too.
  ASSERT_OK(ca_->Issue("web", 0x44));
  ASSERT_TRUE(server_.Signal(SIGHUP));
  ASSERT_TRUE(testutil::Await([&] {
    return server_.Logs().find("TLS certificates reloaded") != std::string::npos;
  })) << server_.Logs();
  EXPECT_EQ(ServedSerial(*lb_port, ca_->ca_file()), "44");
  canary = server_.RunVigil({"canaries", "run", "web-tls"});
  EXPECT_EQ(canary.exit_code, 0) << canary.Describe() << server_.Logs();
}

}  // namespace
}  // namespace vigil::integration
