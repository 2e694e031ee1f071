// The server's TLS: handshakes at each protocol version, refusals, reload, self-signed
// certificates, and the https client; against a CA made in the test.
#include <gtest/gtest.h>
#include <openssl/ssl.h>
#include <sys/stat.h>

#include <ctime>
#include <memory>
#include <optional>
#include <string>

#include "common/metrics.h"
#include "http/beast_ssl.h"
#include "http/client.h"
#include "http/http.h"
#include "storage/file_util.h"
#include "tests/testutil/await.h"
#include "tests/testutil/test_ca.h"
#include "tests/testutil/tls_client.h"

namespace vigil::http {
namespace {

using testutil::ClientTls;
using testutil::TlsClient;

class TlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto ca = testutil::TestCa::Create();
    ASSERT_TRUE(ca.ok()) << ca.status().ToString();
    ca_.emplace(std::move(*ca));
    dir_ = ca_->dir();
    auto files = ca_->Issue("server", 0x1001);
    ASSERT_TRUE(files.ok()) << files.status().ToString();
    files_ = *files;
    router_.Handle("GET", "/secure", [](const Request& r) {
      return Response::Text(200, r.secure ? "secure" : "plain");
    });
  }
  void TearDown() override {
    if (server_) server_->Stop();
  }

  Status StartServer(TlsFiles files) {
    ServerOptions o;
    o.port = 0;
    o.io_threads = 1;
    o.worker_threads = 2;
    o.logger = &NullLogger();
    o.metrics = &metrics_;
    o.tls = std::move(files);
    server_ = std::make_unique<Server>(o, &router_);
    return server_->Start();
  }
  uint16_t port() const { return server_->port(); }

  std::string dir_;
  std::optional<testutil::TestCa> ca_;
  TlsFiles files_;
  Router router_;
  Registry metrics_;
  std::unique_ptr<Server> server_;
};

TEST_F(TlsTest, ServesTls13AndTls12WithModernParameters) {
  ASSERT_TRUE(StartServer(files_).ok());
  TlsClient best(port(), ca_->ca_file());
  ASSERT_FALSE(best.handshake_error()) << best.handshake_error().message();
  EXPECT_EQ(best.version(), TLS1_3_VERSION);  // preferred when the client has it
  EXPECT_EQ(best.alpn(), "http/1.1");
  auto res = best.Get("/secure");
  ASSERT_TRUE(res.ok()) << res.status().ToString();
  EXPECT_EQ(res->body(), "secure");  // Request::secure

  TlsClient tls12(port(), ca_->ca_file(), {TLS1_2_VERSION, TLS1_2_VERSION});
  ASSERT_FALSE(tls12.handshake_error()) << tls12.handshake_error().message();
  EXPECT_EQ(tls12.version(), TLS1_2_VERSION);
  EXPECT_EQ(tls12.cipher().rfind("ECDHE-ECDSA-", 0), 0u) << tls12.cipher();
  EXPECT_NE(tls12.cipher().find("GCM"), std::string::npos) << tls12.cipher();
  res = tls12.Get("/secure");
  ASSERT_TRUE(res.ok()) << res.status().ToString();
  EXPECT_EQ(res->body(), "secure");
}

TEST_F(TlsTest, RefusesTls11AndPlainHttpWithoutHarm) {
  ASSERT_TRUE(StartServer(files_).ok());
  TlsClient old(port(), ca_->ca_file(), {TLS1_1_VERSION, TLS1_1_VERSION});
  EXPECT_TRUE(old.handshake_error());

  // Plain HTTP to the TLS port: the server drops the connection.
  {
    asio::io_context io;
    tcp::socket plain(io);
    plain.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port()));
    asio::write(plain, asio::buffer(std::string("GET /secure HTTP/1.1\r\nHost: x\r\n\r\n")));
    char buf[512];
    boost::system::error_code ec;
    size_t total = 0;
    while (!ec) total += plain.read_some(asio::buffer(buf), ec);
    EXPECT_TRUE(ec == asio::error::eof || ec == asio::error::connection_reset) << ec.message();
    EXPECT_EQ(std::string(buf, std::min<size_t>(total, 4)).find("HTTP"), std::string::npos);
  }
  // The server goes on serving, and counted both failures.
  TlsClient after(port(), ca_->ca_file());
  ASSERT_FALSE(after.handshake_error());
  EXPECT_TRUE(after.Get("/secure").ok());
  const Counter* failures = metrics_.NewCounter("vigil_http_tls_handshake_failures_total", "");
  EXPECT_TRUE(testutil::Await([&] { return failures->Value() == 2; })) << failures->Value();
}

TEST_F(TlsTest, ReloadSwapsTheCertificateForNewConnectionsOnly) {
  ASSERT_TRUE(StartServer(files_).ok());
  TlsClient before(port(), ca_->ca_file());
  ASSERT_FALSE(before.handshake_error());
  EXPECT_EQ(before.PeerSerial(), "1001");
  ASSERT_TRUE(before.Get("/secure").ok());

  // A new certificate in the same files, then a reload.
  ASSERT_TRUE(ca_->Issue("server", 0x2002).ok());
  ASSERT_TRUE(server_->ReloadTls().ok());
  TlsClient fresh(port(), ca_->ca_file());
  ASSERT_FALSE(fresh.handshake_error());
  EXPECT_EQ(fresh.PeerSerial(), "2002");
  // The keep-alive connection opened before goes on with its own.
  auto res = before.Get("/secure");
  ASSERT_TRUE(res.ok()) << res.status().ToString();
  EXPECT_EQ(res->body(), "secure");

  // A broken certificate is refused, naming the file; the last good one stays in use.
  ASSERT_TRUE(storage::WriteFileAtomic(files_.cert_file, "not a certificate\n").ok());
  Status broken = server_->ReloadTls();
  ASSERT_FALSE(broken.ok());
  EXPECT_NE(broken.message().find(files_.cert_file), std::string::npos) << broken.ToString();
  TlsClient still(port(), ca_->ca_file());
  ASSERT_FALSE(still.handshake_error());
  EXPECT_EQ(still.PeerSerial(), "2002");
  EXPECT_TRUE(still.Get("/secure").ok());
}

TEST_F(TlsTest, StartRefusesUnusableFilesNamingThem) {
  Status missing = StartServer({dir_ + "/absent.pem", files_.key_file});
  EXPECT_NE(missing.message().find(dir_ + "/absent.pem"), std::string::npos) << missing.ToString();
  auto other = ca_->Issue("other");
  ASSERT_TRUE(other.ok());
  Status mismatch = StartServer({files_.cert_file, other->key_file});
  EXPECT_NE(mismatch.message().find("does not match"), std::string::npos) << mismatch.ToString();
  EXPECT_NE(mismatch.message().find(other->key_file), std::string::npos) << mismatch.ToString();
  ServerOptions plain;
  plain.port = 0;
  plain.logger = &NullLogger();
  Server no_tls(plain, &router_);
  ASSERT_TRUE(no_tls.Start().ok());
  EXPECT_EQ(no_tls.ReloadTls().code(), StatusCode::kFailedPrecondition);
}

TEST_F(TlsTest, SelfSignedIsMadeOnceAndTrustedAsItsOwnCa) {
  const int64_t now = static_cast<int64_t>(std::time(nullptr));
  const std::string tls_dir = dir_ + "/self";
  auto made = LoadOrCreateSelfSigned(tls_dir, {"localhost", "127.0.0.1", "::1"}, now);
  ASSERT_TRUE(made.ok()) << made.status().ToString();
  struct stat st;
  ASSERT_EQ(::stat(made->key_file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  const std::string first = *storage::ReadFile(made->cert_file);
  // Reused while valid and covering the hosts; made anew for another host or near its end.
  ASSERT_TRUE(LoadOrCreateSelfSigned(tls_dir, {"127.0.0.1"}, now).ok());
  EXPECT_EQ(*storage::ReadFile(made->cert_file), first);
  ASSERT_TRUE(LoadOrCreateSelfSigned(tls_dir, {"127.0.0.1"}, now + 365LL * 86400).ok());
  const std::string renewed = *storage::ReadFile(made->cert_file);
  EXPECT_NE(renewed, first);
  ASSERT_TRUE(LoadOrCreateSelfSigned(tls_dir, {"127.0.0.1", "vigil.example"}, now).ok());
  EXPECT_NE(*storage::ReadFile(made->cert_file), renewed);
  auto fingerprint = CertificateFingerprint(*storage::ReadFile(made->cert_file));
  ASSERT_TRUE(fingerprint.ok());
  EXPECT_EQ(fingerprint->size(), 32u * 3 - 1);  // "AB:CD:..."

  ASSERT_TRUE(StartServer(*made).ok());
  TlsClient client(port(), made->cert_file);
  ASSERT_FALSE(client.handshake_error()) << client.handshake_error().message();
  EXPECT_TRUE(client.Get("/secure").ok());
}

TEST_F(TlsTest, HttpsClientVerifiesThePeer) {
  ASSERT_TRUE(StartServer(files_).ok());
  const std::string url = "https://127.0.0.1:" + std::to_string(port());
  ClientRequest get;
  get.method = "GET";
  get.target = "/secure";
  Client trusting(*ParseUrl(url), ClientOptions{ca_->ca_file()});
  for (int i = 0; i < 2; ++i) {  // the second on the kept-alive connection
    auto res = trusting.RoundTrip(get);
    ASSERT_TRUE(res.ok()) << res.status().ToString();
    EXPECT_EQ(res->body, "secure");
  }
  Client untrusting(*ParseUrl(url));
  auto refused = untrusting.RoundTrip(get);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("certificate verify failed"), std::string::npos)
      << refused.status().ToString();
  // The certificate names 127.0.0.1 and localhost, not this address.
  auto other = ca_->Issue("elsewhere", 0, {"vigil.example"});
  ASSERT_TRUE(other.ok());
  server_->Stop();
  ASSERT_TRUE(StartServer(*other).ok());
  Client wrong_name(*ParseUrl("https://127.0.0.1:" + std::to_string(port())),
                    ClientOptions{ca_->ca_file()});
  auto mismatch = wrong_name.RoundTrip(get);
  ASSERT_FALSE(mismatch.ok());
  EXPECT_NE(mismatch.status().message().find("TLS handshake"), std::string::npos)
      << mismatch.status().ToString();
}

}  // namespace
}  // namespace vigil::http
