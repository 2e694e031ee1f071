#include "http/fetch.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <regex>

#include "tests/testutil/process.h"

namespace vigil::http {
namespace {

using namespace std::chrono_literals;

// The echo server of tests/testdata/tls, plain or with TLS; its base URL.
class EchoServer {
 public:
  explicit EchoServer(bool tls) {
    testutil::SpawnOptions o;
    o.argv = {"python3", std::string(VIGIL_TLS_TESTDATA) + "/echo_server.py"};
    if (tls) {
      o.argv.insert(o.argv.end(), {"--tls", std::string(VIGIL_TLS_TESTDATA) + "/cert.pem",
                                   std::string(VIGIL_TLS_TESTDATA) + "/key.pem"});
    }
    auto p = testutil::Process::Spawn(o);
    EXPECT_TRUE(p.ok()) << p.status().ToString();
    if (!p.ok()) return;
    process_ = std::move(*p);
    auto port = process_->WaitForLine(std::regex("port (\\d+)"), 10s);
    EXPECT_TRUE(port.has_value()) << process_->Stderr();
    if (port) url_ = std::string(tls ? "https" : "http") + "://127.0.0.1:" + (*port)[1];
  }
  const std::string& url() const { return url_; }

 private:
  std::unique_ptr<testutil::Process> process_;
  std::string url_;
};

ClientRequest Post(std::string body) {
  ClientRequest r;
  r.method = "POST";
  r.target = "";
  r.headers = {{"Content-Type", "application/json"}, {"X-Vigil-Signature", "sha256=ab"}};
  r.body = std::move(body);
  return r;
}

TEST(FetchTest, PostsOverHttp) {
  EchoServer server(false);
  ASSERT_FALSE(server.url().empty());
  auto r = Fetch(server.url() + "/hook?x=1", Post("{\"a\":1}"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 200);
  const auto echo = nlohmann::json::parse(r->body);
  EXPECT_EQ(echo["method"], "POST");
  EXPECT_EQ(echo["path"], "/hook?x=1");
  EXPECT_EQ(echo["body"], "{\"a\":1}");
  EXPECT_EQ(echo["headers"]["x-vigil-signature"], "sha256=ab");
  auto missing = Fetch(server.url() + "/status/503", Post(""));
  ASSERT_TRUE(missing.ok());
  EXPECT_EQ(missing->status, 503);
}

TEST(FetchTest, PostsOverHttpsVerifyingTheCertificate) {
  EchoServer server(true);
  ASSERT_FALSE(server.url().empty());
  FetchOptions trusted;
  trusted.ca_file = std::string(VIGIL_TLS_TESTDATA) + "/cert.pem";
  auto r = Fetch(server.url() + "/hook", Post("x"), trusted);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(nlohmann::json::parse(r->body)["body"], "x");
  // Without the test CA the self-signed certificate is refused.
  auto untrusted = Fetch(server.url() + "/hook", Post("x"));
  ASSERT_FALSE(untrusted.ok());
  EXPECT_NE(untrusted.status().message().find("TLS handshake with 127.0.0.1"), std::string::npos)
      << untrusted.status().ToString();
  // A name the certificate does not carry is refused too.
  std::string other = server.url();
  other.replace(other.find("127.0.0.1"), 9, "127.0.0.2");
  auto wrong_name = Fetch(other + "/hook", Post("x"), trusted);
  EXPECT_FALSE(wrong_name.ok());
}

TEST(FetchTest, FailuresSayWhatFailed) {
  EchoServer server(false);
  ASSERT_FALSE(server.url().empty());
  FetchOptions quick;
  quick.timeout = 300ms;
  const auto start = std::chrono::steady_clock::now();
  auto slow = Fetch(server.url() + "/slow", Post(""), quick);
  ASSERT_FALSE(slow.ok());
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
  EXPECT_NE(slow.status().message().find("timed out after 300 ms"), std::string::npos)
      << slow.status().ToString();
  auto refused = Fetch("http://127.0.0.1:1/hook", Post(""));
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("connecting to 127.0.0.1:1"), std::string::npos)
      << refused.status().ToString();
  EXPECT_EQ(Fetch("ftp://x/", Post("")).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace vigil::http
