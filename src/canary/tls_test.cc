// Canaries over https, against an http::Server with certificates of a CA made in the test: a
// url canary's ca_bundle, an app canary trusting the certificate its listener is configured
// with (in place of the host name), the failures' details, and bad ca_bundles refused at start.
#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "canary/canary.h"
#include "http/http.h"
#include "storage/file_util.h"
#include "tests/testutil/manual_clock.h"
#include "tests/testutil/test_ca.h"

namespace vigil::canary {
namespace {

constexpr int64_t kNow = 1'790'000'000'000;

CanarySpec Spec(std::string name, std::string url, std::string ca_bundle = "") {
  CanarySpec s;
  s.name = std::move(name);
  s.url = std::move(url);
  s.ca_bundle = std::move(ca_bundle);
  s.interval_ms = 0;
  s.timeout_ms = 2000;
  Step step;
  step.path = "/products";
  step.body_contains = "tea";
  s.steps = {step};
  return s;
}

class CanaryTlsTest : public testing::Test {
 protected:
  void SetUp() override {
    auto ca = testutil::TestCa::Create();
    ASSERT_TRUE(ca.ok()) << ca.status().ToString();
    ca_.emplace(std::move(*ca));
    auto files = ca_->Issue("shop", 0x51);
    ASSERT_TRUE(files.ok()) << files.status().ToString();
    files_ = *files;
    router_.Handle("GET", "/products",
                   [](const http::Request&) { return http::Response::Text(200, "tea"); });
    http::ServerOptions o;
    o.port = 0;
    o.logger = &NullLogger();
    o.tls = files_;
    server_ = std::make_unique<http::Server>(o, &router_);
    ASSERT_TRUE(server_->Start().ok());
  }
  void TearDown() override { server_->Stop(); }

  std::string url() const { return "https://127.0.0.1:" + std::to_string(server_->port()); }

  // Canaries whose app "shop" resolves to this server with `cert_file` as its configured
  // certificate.
  StatusOr<std::unique_ptr<Canaries>> Start(std::vector<CanarySpec> specs,
                                            std::string cert_file = "") {
    CanaryOptions o;
    o.canaries = std::move(specs);
    o.clock = &clock_;
    o.logger = &NullLogger();
    o.resolve_app = [this, cert_file](const std::string&) -> StatusOr<AppEndpoint> {
      return AppEndpoint{url(), cert_file};
    };
    return Canaries::Start(std::move(o));
  }
  RunResult Run(Canaries& c, const std::string& name) {
    StatusOr<RunResult> run = c.Run(name, "manual");
    EXPECT_TRUE(run.ok()) << run.status().ToString();
    return run.ok() ? *run : RunResult();
  }

  std::optional<testutil::TestCa> ca_;
  http::TlsFiles files_;
  http::Router router_;
  std::unique_ptr<http::Server> server_;
  testutil::ManualClock clock_{kNow};
};

TEST_F(CanaryTlsTest, CaBundleTrustsAPrivateCa) {
  auto canaries = Start({Spec("trusting", url(), ca_->ca_file()), Spec("system-only", url())});
  ASSERT_TRUE(canaries.ok()) << canaries.status().ToString();
  const RunResult ok = Run(**canaries, "trusting");
  EXPECT_TRUE(ok.ok) << ok.failure;
  const RunResult refused = Run(**canaries, "system-only");
  EXPECT_FALSE(refused.ok);
  EXPECT_NE(refused.failure.find("step 'GET /products': TLS handshake with 127.0.0.1:"),
            std::string::npos)
      << refused.failure;
  EXPECT_NE(refused.failure.find("certificate verify failed: unable to get local issuer"),
            std::string::npos)
      << refused.failure;
}

// The listener's certificate names the app's public host, not the loopback address the canary
// dials: the canary aimed at the app passes by the configured certificate itself (a leaf
// alone, its CA unknown to the canary), where a url canary fails on the name.
TEST_F(CanaryTlsTest, AppCanaryTrustsTheListenersConfiguredCertificate) {
  ASSERT_TRUE(ca_->Issue("shop", 0x52, {"shop.example.com"}).ok());  // over files_
  ASSERT_TRUE(server_->ReloadTls().ok());
  CanarySpec by_app = Spec("by-app", "");
  by_app.app = "shop";
  auto canaries = Start({by_app, Spec("by-url", url(), ca_->ca_file())}, files_.cert_file);
  ASSERT_TRUE(canaries.ok()) << canaries.status().ToString();
  const RunResult ok = Run(**canaries, "by-app");
  EXPECT_TRUE(ok.ok) << ok.failure;
  EXPECT_EQ(ok.target, url());
  const RunResult wrong_name = Run(**canaries, "by-url");
  EXPECT_FALSE(wrong_name.ok);
  EXPECT_NE(wrong_name.failure.find("certificate verify failed: IP address mismatch"),
            std::string::npos)
      << wrong_name.failure;

  // Configured with another certificate (of the same CA, with the CA in its chain file): the
  // chain verifies, but the listener does not present what it is configured with.
  auto other = ca_->Issue("other", 0x53);
  ASSERT_TRUE(other.ok());
  auto leaf = storage::ReadFile(other->cert_file);
  auto ca_pem = storage::ReadFile(ca_->ca_file());
  ASSERT_TRUE(leaf.ok() && ca_pem.ok());
  const std::string chain = ca_->dir() + "/other-chain.pem";
  ASSERT_TRUE(storage::WriteFileAtomic(chain, *leaf + *ca_pem).ok());
  auto mismatched = Start({by_app}, chain);
  ASSERT_TRUE(mismatched.ok()) << mismatched.status().ToString();
  const RunResult pinned = Run(**mismatched, "by-app");
  EXPECT_FALSE(pinned.ok);
  EXPECT_NE(pinned.failure.find("certificate verify failed: not the certificate of " + chain),
            std::string::npos)
      << pinned.failure;
}

TEST_F(CanaryTlsTest, BadCaBundlesAreRefusedAtStart) {
  const std::string not_pem = ca_->dir() + "/not.pem";
  ASSERT_TRUE(storage::WriteFileAtomic(not_pem, "hello\n").ok());
  const std::string broken = ca_->dir() + "/broken.pem";
  ASSERT_TRUE(storage::WriteFileAtomic(
                  broken, "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")
                  .ok());
  struct Case {
    CanarySpec spec;
    std::string want;
  } cases[] = {
      {Spec("missing", url(), ca_->dir() + "/no-such.pem"),
       "canary 'missing': ca_bundle: open " + ca_->dir() + "/no-such.pem: No such file"},
      {Spec("not-pem", url(), not_pem),
       "canary 'not-pem': ca_bundle: " + not_pem + " holds no PEM certificate"},
      {Spec("broken", url(), broken), "canary 'broken': ca_bundle: loading CA file " + broken},
      {Spec("plain", "http://127.0.0.1:9", ca_->ca_file()),
       "canary 'plain': ca_bundle: only for a canary with an https url"},
  };
  for (const Case& c : cases) {
    auto started = Start({c.spec});
    ASSERT_FALSE(started.ok()) << c.spec.name;
    EXPECT_EQ(started.status().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(started.status().message().rfind(c.want, 0), 0u) << started.status().ToString();
  }
}

}  // namespace
}  // namespace vigil::canary
