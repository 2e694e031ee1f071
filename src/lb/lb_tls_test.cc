// The load balancer's TLS termination: a TLS listener in front of plain backends (Vigil's
// http::Server), certificate reload, and what it refuses; against a CA made in the test.
#include <gtest/gtest.h>

#include <optional>
#include <string>

#include "lb/lb.h"
#include "lb/lb_test_util.h"
#include "storage/file_util.h"
#include "tests/testutil/test_ca.h"
#include "tests/testutil/tls_client.h"

namespace vigil::lb {
namespace {

namespace bhttp = http::bhttp;
using testutil::Backend;
using testutil::LbTest;
using testutil::RawBackend;
using ::vigil::testutil::TestCa;
using ::vigil::testutil::TlsClient;

class LbTlsTest : public LbTest {
 protected:
  void SetUp() override {
    auto ca = TestCa::Create();
    ASSERT_TRUE(ca.ok()) << ca.status().ToString();
    ca_.emplace(std::move(*ca));
    dir_ = ca_->dir();
    auto files = ca_->Issue("web", 0xA1);
    ASSERT_TRUE(files.ok()) << files.status().ToString();
    tls_ = *files;
  }
  std::string dir_;
  std::optional<TestCa> ca_;
};

TEST_F(LbTlsTest, TerminatesTlsInFrontOfAPlainBackend) {
  Backend backend("b1");
  RawBackend until_eof(RawBackend::Mode::kReply,
                       "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nbody until the end");
  group_.Set({backend.target()});
  StartLb();

  TlsClient c(port(), ca_->ca_file());
  ASSERT_FALSE(c.handshake_error()) << c.handshake_error().message();
  EXPECT_EQ(c.version(), TLS1_3_VERSION);
  auto res = c.Get("/path?q=1");
  ASSERT_TRUE(res.ok()) << res.status().ToString();
  EXPECT_EQ(res->result_int(), 200);
  EXPECT_EQ(res->body(), "b1");
  const std::string payload(100'000, 'p');  // streamed from the TLS side, in several records
  bhttp::request<bhttp::string_body> post(bhttp::verb::post, "/echo", 11);
  post.body() = payload;
  res = c.Send(post);
  ASSERT_TRUE(res.ok()) << res.status().ToString();
  EXPECT_EQ(res->body(), payload);
  res = c.Get("/big");  // 4 MiB streamed to the TLS side
  ASSERT_TRUE(res.ok()) << res.status().ToString();
  EXPECT_TRUE(res->body() == Backend::BigBody()) << "a 4 MiB body came back altered";

  const std::vector<http::Request> seen = backend.requests();
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_FALSE(seen[0].secure);  // the backend is reached over plain HTTP
  EXPECT_EQ(seen[0].Header("X-Forwarded-Proto").value_or(""), "https");
  EXPECT_EQ(seen[0].Header("X-Forwarded-Port").value_or(""), std::to_string(port()));
  EXPECT_EQ(seen[0].Header("X-Forwarded-For").value_or(""), "127.0.0.1");

  // A body ending with the upstream connection ends for the TLS client with close_notify: a
  // clean end of stream, not a truncation.
  group_.Set({until_eof.target("eof")});
  res = c.Get("/eof");
  ASSERT_TRUE(res.ok()) << res.status().ToString();
  EXPECT_EQ(res->body(), "body until the end");
}

TEST_F(LbTlsTest, ReloadServesTheNewCertificateToNewConnections) {
  Backend backend("b1");
  group_.Set({backend.target()});
  StartLb();
  TlsClient before(port(), ca_->ca_file());
  ASSERT_FALSE(before.handshake_error());
  EXPECT_EQ(before.PeerSerial(), "A1");
  ASSERT_TRUE(before.Get("/x").ok());

  ASSERT_TRUE(ca_->Issue("web", 0xB2).ok());
  ASSERT_TRUE(lb_->ReloadTls().ok());
  TlsClient after(port(), ca_->ca_file());
  ASSERT_FALSE(after.handshake_error());
  EXPECT_EQ(after.PeerSerial(), "B2");
  auto res = before.Get("/y");  // the connection opened before goes on
  ASSERT_TRUE(res.ok()) << res.status().ToString();
  EXPECT_EQ(res->body(), "b1");

  ASSERT_TRUE(storage::WriteFileAtomic(tls_.key_file, "garbage").ok());
  Status bad = lb_->ReloadTls();
  EXPECT_NE(bad.message().find("app web"), std::string::npos) << bad.ToString();
  EXPECT_NE(bad.message().find(tls_.key_file), std::string::npos) << bad.ToString();
  TlsClient still(port(), ca_->ca_file());
  ASSERT_FALSE(still.handshake_error());
  EXPECT_EQ(still.PeerSerial(), "B2");
}

TEST_F(LbTlsTest, PlainHttpToATlsListenerIsDroppedAndBadFilesStopTheStart) {
  Backend backend("b1");
  group_.Set({backend.target()});
  StartLb();
  testutil::Client plain(port());
  ASSERT_TRUE(plain.connected());
  plain.Get("/x");
  EXPECT_TRUE(plain.error()) << "a plain HTTP request got an answer";
  TlsClient c(port(), ca_->ca_file());
  ASSERT_FALSE(c.handshake_error());
  EXPECT_TRUE(c.Get("/x").ok());
  EXPECT_EQ(backend.requests().size(), 1u);
  lb_->Stop();
  lb_.reset();

  tls_.cert_file = dir_ + "/missing.pem";
  options_.listeners[0].tls = tls_;
  auto refused = LoadBalancer::Start(options_);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find(tls_.cert_file), std::string::npos)
      << refused.status().ToString();
}

// ClientTLSNegotiationErrorCount counts the connections that began a handshake and did not
// finish it, whatever the reason; a connection that sends nothing, or a good handshake, does
// not count.
TEST_F(LbTlsTest, FailedHandshakesAreCountedAsClientTlsNegotiationErrors) {
  Backend backend("b1");
  group_.Set({backend.target()});
  StartLb();
  {
    testutil::Client silent(port());  // connects and closes without a byte
    ASSERT_TRUE(silent.connected());
    testutil::Client plain(port());  // bytes that are not TLS
    ASSERT_TRUE(plain.connected());
    plain.Get("/x");
    EXPECT_TRUE(plain.error());
  }
  TlsClient old_protocol(port(), ca_->ca_file(), {TLS1_VERSION, TLS1_1_VERSION});
  EXPECT_TRUE(old_protocol.handshake_error()) << "TLS 1.1 was accepted";
  auto other_ca = TestCa::Create();  // a client that does not trust the certificate: its alert
  ASSERT_TRUE(other_ca.ok()) << other_ca.status().ToString();
  TlsClient distrusting(port(), other_ca->ca_file());
  EXPECT_TRUE(distrusting.handshake_error()) << "a certificate of another CA was trusted";
  {
    TlsClient good(port(), ca_->ca_file());
    ASSERT_FALSE(good.handshake_error()) << good.handshake_error().message();
    ASSERT_TRUE(good.Get("/x").ok());
  }
  const auto open_connections = [&] {
    int n = 0;
    for (int c : lb_->ConnectionsPerLoopForTest()) n += c;
    return n;
  };
  // Every connection above has ended at the load balancer: all counted that will be.
  ASSERT_TRUE(testutil::WaitFor([&] { return open_connections() == 0; })) << open_connections();
  lb_->Stop();
  EXPECT_EQ(sink_.Sum("ClientTLSNegotiationErrorCount"), 3);
  for (const Datum& d : sink_.Get("ClientTLSNegotiationErrorCount")) EXPECT_EQ(d.unit, "Count");
  EXPECT_EQ(sink_.Sum("NewConnectionCount"), 5);
}

}  // namespace
}  // namespace vigil::lb
