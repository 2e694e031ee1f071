// End-to-end tests of the load balancer over loopback sockets: a fake TargetGroup the test
// edits mid-request, real backends (Vigil's http::Server) and misbehaving raw-socket ones, a
// capturing MetricSink, and a Beast client with a deadline on every call (see lb_test_util.h).
#include "lb/lb.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <fstream>
#include <iterator>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "lb/access_log.h"
#include "lb/lb_test_util.h"

namespace vigil::lb {
namespace {

namespace bhttp = http::bhttp;
using testutil::Backend;
using testutil::BeastRequest;
using testutil::BeastResponse;
using testutil::Client;
using testutil::Field;
using testutil::LbTest;
using testutil::MakeRequest;
using testutil::RawBackend;
using testutil::Refused;
using testutil::RefusingPort;
using testutil::SteadyNowNs;
using testutil::WaitFor;
using namespace std::chrono_literals;

TEST_F(LbTest, ProxiesGetAndPostWithForwardingHeadersOnKeptAliveConnections) {
  Backend backend("b1");
  group_.Set({backend.target()});
  StartLb();
  Client c(port());
  ASSERT_TRUE(c.connected()) << c.error().message();

  BeastRequest get = MakeRequest(bhttp::verb::get, "/path?q=1");
  get.set("X-Forwarded-For", "10.0.0.1");
  get.set(bhttp::field::connection, "foo");
  get.set("Foo", "hop");
  get.set(bhttp::field::keep_alive, "timeout=5");
  get.set(bhttp::field::te, "trailers");
  get.set(bhttp::field::upgrade, "websocket");
  get.set("X-Custom", "end-to-end");
  BeastResponse res = c.RoundTrip(get);
  ASSERT_EQ(res.result_int(), 200) << c.error().message();
  EXPECT_EQ(res.body(), "b1");
  EXPECT_EQ(Field(res, "X-Reply"), "intact");
  EXPECT_EQ(Field(res, "Content-Type"), "text/plain; charset=utf-8");
  EXPECT_TRUE(res.keep_alive());

  const std::string payload(10'000, 'p');
  res = c.RoundTrip(MakeRequest(bhttp::verb::post, "/echo", payload));
  ASSERT_EQ(res.result_int(), 200) << c.error().message();
  EXPECT_EQ(res.body(), payload);
  for (int i = 0; i < 4; ++i) ASSERT_EQ(c.Get("/again").result_int(), 200);

  const std::vector<http::Request> seen = backend.requests();
  ASSERT_EQ(seen.size(), 6u);
  const http::Request& first = seen[0];
  EXPECT_EQ(first.target, "/path?q=1");
  EXPECT_EQ(first.Header("X-Forwarded-For").value_or(""), "10.0.0.1, 127.0.0.1");
  EXPECT_EQ(first.Header("X-Forwarded-Proto").value_or(""), "http");
  EXPECT_EQ(first.Header("X-Forwarded-Port").value_or(""), std::to_string(port()));
  EXPECT_EQ(first.Header("X-Custom").value_or(""), "end-to-end");
  EXPECT_EQ(first.Header("Host").value_or(""), "app.test");
  for (const char* hop : {"Foo", "Keep-Alive", "TE", "Upgrade"}) {
    EXPECT_FALSE(first.Header(hop).has_value()) << hop << " was forwarded";
  }
  EXPECT_EQ(first.Header("Connection").value_or("").find("foo"), std::string::npos);
  EXPECT_EQ(seen[1].method, "POST");
  EXPECT_EQ(seen[1].body, payload);
  EXPECT_EQ(seen[1].Header("X-Forwarded-For").value_or(""), "127.0.0.1");

  std::set<std::string> upstream_connections;
  for (const http::Request& r : seen) upstream_connections.insert(r.remote_address);
  EXPECT_EQ(upstream_connections.size(), 1u) << "upstream connections were not reused";
}

TEST_F(LbTest, RelaysHeadNoContentChunkedCloseDelimitedAndLargeResponses) {
  Backend backend("b1");
  RawBackend chunked(RawBackend::Mode::kReply,
                     "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: x-hop\r\n"
                     "X-Hop: 1\r\nKeep-Alive: timeout=5\r\nX-Kept: yes\r\n\r\n"
                     "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n");
  RawBackend until_eof(RawBackend::Mode::kReply,
                       "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nbody until the end");
  group_.Set({backend.target()});
  StartLb();

  Client c(port());
  BeastResponse res = c.RoundTrip(MakeRequest(bhttp::verb::head, "/big"), /*head=*/true);
  ASSERT_EQ(res.result_int(), 200) << c.error().message();
  EXPECT_EQ(Field(res, "Content-Length"), std::to_string(4 << 20));
  EXPECT_TRUE(res.body().empty());
  res = c.Get("/nocontent");  // on the same connection: no stray body bytes came before
  EXPECT_EQ(res.result_int(), 204) << c.error().message();
  EXPECT_TRUE(res.body().empty());
  res = c.Get("/big");
  ASSERT_EQ(res.result_int(), 200) << c.error().message();
  EXPECT_TRUE(res.body() == Backend::BigBody()) << "a 4 MiB body came back altered";

  group_.Set({chunked.target("chunked")});
  res = c.Get("/chunked");
  ASSERT_EQ(res.result_int(), 200) << c.error().message();
  EXPECT_EQ(res.body(), "hello world");
  EXPECT_TRUE(res.chunked());
  EXPECT_EQ(Field(res, "X-Kept"), "yes");
  EXPECT_EQ(Field(res, "X-Hop"), "");
  EXPECT_EQ(Field(res, "Keep-Alive"), "");

  // A body that ends with the upstream connection: the client sees its end (the read below
  // completes) only when the load balancer closes the client connection too.
  group_.Set({until_eof.target("eof")});
  res = c.Get("/eof");
  ASSERT_EQ(res.result_int(), 200) << c.error().message();
  EXPECT_EQ(res.body(), "body until the end");
  EXPECT_FALSE(res.keep_alive());
}

// A chunked body whose size is a multiple of the relay's read size, then another request on
// the same connections: nothing may trail the first response.
TEST_F(LbTest, ChunkedBodiesEndCleanly) {
  const std::string body(32 << 10, 'c');
  RawBackend chunked(
      RawBackend::Mode::kReply,
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n8000\r\n" + body + "\r\n0\r\n\r\n");
  Backend backend("b1");
  group_.Set({chunked.target("chunked")});
  StartLb();
  Client c(port());
  BeastResponse res = c.Get("/");
  ASSERT_EQ(res.result_int(), 200) << c.error().message();
  EXPECT_TRUE(res.body() == body) << res.body().size();
  group_.Set({backend.target()});
  res = c.Get("/next");
  ASSERT_EQ(res.result_int(), 200) << c.error().message();
  EXPECT_EQ(res.body(), "b1");

  std::string request =
      "POST /echo HTTP/1.1\r\nHost: app.test\r\nTransfer-Encoding: chunked\r\n\r\n";
  request += "8000\r\n" + body + "\r\n0\r\n\r\n";
  for (int i = 0; i < 3; ++i) {  // the second and third reuse the upstream connection
    ASSERT_FALSE(c.Write(request));
    res = c.Read();
    ASSERT_EQ(res.result_int(), 200) << i << ": " << c.error().message();
    EXPECT_TRUE(res.body() == body) << i << ": " << res.body().size();
  }
  EXPECT_EQ(backend.count(), 4u);
}

// A backend that sends part of a response and waits: the client sees that part at once. The
// end (only the last chunk) comes in a read of its own; nothing may trail it.
TEST_F(LbTest, StreamsResponseBytesAsTheyArrive) {
  RawBackend trickle(RawBackend::Mode::kReply,
                     "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n6\r\nfirst \r\n",
                     "0\r\n\r\n");
  group_.Set({trickle.target("trickle")});
  StartLb();
  Client c(port());
  ASSERT_FALSE(c.Send(MakeRequest(bhttp::verb::get, "/events")));
  const std::string got = c.ReadUntil("first \r\n");
  EXPECT_NE(got.find("HTTP/1.1 200 OK"), std::string::npos) << c.error().message();
  trickle.Continue();
  EXPECT_EQ(c.ReadUntil("0\r\n\r\n"), "0\r\n\r\n") << c.error().message();
  const BeastResponse res = c.Get("/again");
  EXPECT_EQ(res.result_int(), 200) << c.error().message();
  EXPECT_EQ(res.body(), "first ");
}

TEST_F(LbTest, StreamsBodiesLargerThanTheRetryBufferAndAnswersExpectContinue) {
  options_.retry_buffer_bytes = 4096;
  Backend backend("b1");
  group_.Set({backend.target()});
  StartLb();
  std::string big(3 << 20, '\0');
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>(i * 31 % 251);

  Client c(port());
  BeastResponse res = c.RoundTrip(MakeRequest(bhttp::verb::post, "/echo", big));
  ASSERT_EQ(res.result_int(), 200) << c.error().message();
  EXPECT_TRUE(res.body() == big) << "Content-Length body altered, size " << res.body().size();

  std::string chunked =
      "POST /echo HTTP/1.1\r\nHost: app.test\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (size_t off = 0; off < big.size(); off += 100'000) {
    const size_t n = std::min<size_t>(100'000, big.size() - off);
    std::ostringstream size;
    size << std::hex << n;
    chunked += size.str() + "\r\n" + big.substr(off, n) + "\r\n";
  }
  chunked += "0\r\n\r\n";
  ASSERT_FALSE(c.Write(chunked));
  res = c.Read();
  ASSERT_EQ(res.result_int(), 200) << c.error().message();
  EXPECT_TRUE(res.body() == big) << "chunked body altered, size " << res.body().size();

  for (const size_t size : {size_t{5}, big.size()}) {
    ASSERT_FALSE(
        c.Write("POST /echo HTTP/1.1\r\nHost: app.test\r\nExpect: 100-continue\r\n"
                "Content-Length: " +
                std::to_string(size) + "\r\n\r\n"));
    res = c.Read();
    ASSERT_EQ(res.result_int(), 100) << size << ": " << c.error().message();
    ASSERT_FALSE(c.Write(std::string_view(big).substr(0, size)));
    res = c.Read();
    ASSERT_EQ(res.result_int(), 200) << size << ": " << c.error().message();
    EXPECT_TRUE(res.body() == big.substr(0, size)) << size;
  }
  // Without a body there is nothing to continue, and the backend is not asked to either.
  ASSERT_FALSE(
      c.Write("POST /echo HTTP/1.1\r\nHost: app.test\r\nExpect: 100-continue\r\n"
              "Content-Length: 0\r\n\r\n"));
  res = c.Read();
  EXPECT_EQ(res.result_int(), 200) << c.error().message();
  EXPECT_EQ(c.Get("/after").result_int(), 200) << c.error().message();
  for (const http::Request& r : backend.requests()) {
    EXPECT_FALSE(r.Header("Expect").has_value()) << r.method << " " << r.target;
  }
}

TEST_F(LbTest, StartRefusesBadOptionsAndATakenPort) {
  options_.threads = -1;
  Listener listener;
  listener.targets = &group_;
  listener.host = "127.0.0.1";
  options_.listeners = {listener};
  EXPECT_EQ(LoadBalancer::Start(options_).status().code(), StatusCode::kInvalidArgument);

  options_.threads = 2;
  options_.listeners[0].targets = nullptr;
  EXPECT_EQ(LoadBalancer::Start(options_).status().code(), StatusCode::kInvalidArgument);

  RawBackend taken(RawBackend::Mode::kClose);  // listening without SO_REUSEPORT
  options_.listeners[0].targets = &group_;
  options_.listeners[0].port = taken.port();
  auto lb = LoadBalancer::Start(options_);
  EXPECT_EQ(lb.status().code(), StatusCode::kUnavailable) << lb.status().ToString();
  EXPECT_NE(lb.status().ToString().find(std::to_string(taken.port())), std::string::npos)
      << lb.status().ToString();
}

// However the kernel hashes connections to the loops' acceptors, each loop ends up with its share.
TEST_F(LbTest, ConnectionsAreSpreadEvenlyOverTheLoops) {
  Backend backend("b1");
  group_.Set({backend.target()});
  StartLb();
  std::vector<std::unique_ptr<Client>> clients;
  for (int i = 0; i < 16; ++i) {
    clients.push_back(std::make_unique<Client>(port()));
    ASSERT_EQ(clients.back()->Get("/").result_int(), 200) << i;  // accepted and served
  }
  const std::vector<int> per_loop = lb_->ConnectionsPerLoopForTest();
  ASSERT_EQ(per_loop.size(), 2u);
  EXPECT_EQ(per_loop[0], 8);
  EXPECT_EQ(per_loop[1], 8);
  for (auto& c : clients) EXPECT_EQ(c->Get("/again").body(), "b1");
}

TEST_F(LbTest, NoTargetIs503NamingTheApp) {
  StartLb();
  Client c(port());
  BeastResponse res = c.Get("/");
  ASSERT_EQ(res.result_int(), 503) << c.error().message();
  EXPECT_NE(res.body().find("no healthy instance of app 'web'"), std::string::npos) << res.body();
  EXPECT_EQ(c.Get("/").result_int(), 503);  // the connection stays usable
}

TEST_F(LbTest, RefusedTargetIsReportedAndTheRequestGoesToAnother) {
  RefusingPort refusing;
  Backend backend("good");
  group_.Set({refusing.target("bad"), backend.target()});
  StartLb();
  Client c(port());
  for (int i = 0; i < 4; ++i) {
    BeastResponse res = c.Get("/");
    ASSERT_EQ(res.result_int(), 200) << c.error().message();
    EXPECT_EQ(res.body(), "good");
  }
  EXPECT_GE(group_.Reports("bad", fleet::Failure::kConnect), 1);
  EXPECT_EQ(group_.Reports("good", fleet::Failure::kConnect), 0);
}

TEST_F(LbTest, AllTargetsRefusingIs502NamingTheError) {
  RefusingPort a, b;
  group_.Set({a.target("a"), b.target("b")});
  StartLb();
  Client c(port());
  BeastResponse res = c.Get("/");
  ASSERT_EQ(res.result_int(), 502) << c.error().message();
  EXPECT_NE(res.body().find("502 Bad Gateway: app 'web'"), std::string::npos) << res.body();
  EXPECT_NE(res.body().find("Connection refused"), std::string::npos) << res.body();
  EXPECT_EQ(group_.Reports("a", fleet::Failure::kConnect), 1);
  EXPECT_EQ(group_.Reports("b", fleet::Failure::kConnect), 1);
}

// A fresh load balancer's first pick on either worker is the first target in the list.
TEST_F(LbTest, UnansweredGetIsRetriedElsewhere) {
  RawBackend closer(RawBackend::Mode::kClose);
  Backend backend("good");
  group_.Set({closer.target("closer"), backend.target()});
  StartLb();
  Client c(port());
  BeastResponse res = c.Get("/");
  ASSERT_EQ(res.result_int(), 200) << c.error().message();
  EXPECT_EQ(res.body(), "good");
  EXPECT_EQ(closer.accepted(), 1);
  EXPECT_EQ(group_.Reports("closer", fleet::Failure::kConnect), 1);
}

TEST_F(LbTest, StaleConnectionsOfADeadTargetDoNotUseUpTheAttempts) {
  auto dying = std::make_unique<Backend>("dying", 20ms);
  Backend backend("good");
  const fleet::Target dying_target = dying->target();
  group_.Set({dying_target});
  StartLb();
  {
    // Concurrent requests leave many idle upstream connections in the pools.
    std::vector<std::unique_ptr<Client>> clients;
    for (int i = 0; i < 12; ++i) {
      clients.push_back(std::make_unique<Client>(port()));
      ASSERT_FALSE(clients.back()->Send(MakeRequest(bhttp::verb::get, "/", "")));
    }
    for (auto& c : clients) ASSERT_EQ(c->Read().result_int(), 200);
  }
  dying.reset();  // its connections close; its port refuses
  group_.Set({dying_target, backend.target()});
  for (int i = 0; i < 10; ++i) {
    Client c(port());
    BeastResponse res = c.Get("/");
    ASSERT_EQ(res.result_int(), 200) << i << ": " << res.body();
    EXPECT_EQ(res.body(), "good");
  }
}

TEST_F(LbTest, UnansweredPostOnAFreshConnectionIsNotRetried) {
  RawBackend closer(RawBackend::Mode::kClose);
  Backend backend("good");
  group_.Set({closer.target("closer"), backend.target()});
  StartLb();
  Client c(port());
  BeastResponse res = c.RoundTrip(MakeRequest(bhttp::verb::post, "/echo", "once only"));
  ASSERT_EQ(res.result_int(), 502) << c.error().message();
  EXPECT_NE(res.body().find("closer"), std::string::npos) << res.body();
  EXPECT_EQ(closer.accepted(), 1);
  EXPECT_EQ(backend.count(), 0u);
}

TEST_F(LbTest, BrokenResponsesAreNotRetried) {
  RawBackend half_header(RawBackend::Mode::kReply, "HTTP/1.1 200 OK\r\nContent-Le");
  RawBackend half_body(RawBackend::Mode::kReply,
                       "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly a part");
  Backend backend("good");
  group_.Set({half_header.target("half-header"), backend.target()});
  StartLb();
  Client c(port());
  BeastResponse res = c.Get("/");
  ASSERT_EQ(res.result_int(), 502) << c.error().message();
  EXPECT_NE(res.body().find("broken response"), std::string::npos) << res.body();

  // A short body is read whole before anything is sent, so its loss is still a clean 502.
  group_.Set({half_body.target("half-body")});
  Client d(port());
  res = d.Get("/");
  ASSERT_EQ(res.result_int(), 502) << d.error().message();
  EXPECT_NE(res.body().find("broke off its response"), std::string::npos) << res.body();
  EXPECT_EQ(backend.count(), 0u);

  group_.Set({backend.target()});
  Client e(port());
  EXPECT_EQ(e.Get("/").result_int(), 200);
}

TEST_F(LbTest, NoResponseWithinTheTimeoutIs504) {
  options_.response_timeout_ms = 300;
  RawBackend silent(RawBackend::Mode::kSilent);
  group_.Set({silent.target("silent")});
  StartLb();
  Client c(port());
  const auto start = std::chrono::steady_clock::now();
  BeastResponse res = c.Get("/");
  const auto took = std::chrono::steady_clock::now() - start;
  ASSERT_EQ(res.result_int(), 504) << c.error().message();
  EXPECT_NE(res.body().find("504 Gateway Timeout"), std::string::npos) << res.body();
  EXPECT_GE(took, 300ms);
  EXPECT_LT(took, 3s);
}

TEST_F(LbTest, StalledTargetIsReportedAndAbandonedWhenItLeavesRotation) {
  options_.stall_timeout_ms = 50;
  options_.response_timeout_ms = 20'000;
  RawBackend silent(RawBackend::Mode::kSilent);
  Backend backend("good");
  group_.Set({silent.target("silent")});
  StartLb();
  Client c(port());
  const auto start = std::chrono::steady_clock::now();
  ASSERT_FALSE(c.Send(MakeRequest(bhttp::verb::get, "/")));
  ASSERT_TRUE(WaitFor([&] { return group_.Reports("silent", fleet::Failure::kStall) > 0; }));
  group_.Set({backend.target()});  // the fleet ejected it
  BeastResponse res = c.Read();
  ASSERT_EQ(res.result_int(), 200) << c.error().message();
  EXPECT_EQ(res.body(), "good");
  EXPECT_LT(std::chrono::steady_clock::now() - start, 3s);
  EXPECT_EQ(group_.Reports("silent", fleet::Failure::kStall), 1);
  EXPECT_EQ(group_.Reports("silent", fleet::Failure::kConnect), 0);
}

TEST_F(LbTest, ConsecutiveFiveHundredsAreReportedOncePerRun) {
  group_.mutable_spec().consecutive_5xx = 3;
  Backend backend("b1");
  group_.Set({backend.target()});
  StartLb();
  Client c(port());
  auto k5xx = [&] { return group_.Reports("b1", fleet::Failure::k5xx); };
  for (const char* path : {"/fail", "/fail", "/ok", "/fail", "/fail"}) {
    ASSERT_NE(c.Get(path).result_int(), 0) << c.error().message();
  }
  EXPECT_EQ(k5xx(), 0) << "a 200 between 5xx answers must reset the run";
  ASSERT_EQ(c.Get("/fail").result_int(), 500);
  EXPECT_EQ(k5xx(), 1);
  ASSERT_EQ(c.Get("/fail").result_int(), 500);
  ASSERT_EQ(c.Get("/fail").result_int(), 500);
  EXPECT_EQ(k5xx(), 1) << "the run restarts after a report";
}

TEST_F(LbTest, LeastOutstandingSendsMostRequestsToTheFastTarget) {
  Backend slow("slow", 200ms);
  Backend fast("fast");
  group_.Set({slow.target(), fast.target()});
  StartLb();
  // Clients share a budget of requests: while some wait on the slow target, the others spend it.
  constexpr int kClients = 4, kRequests = 40;
  std::atomic<int> issued{0}, ok{0};
  std::vector<std::thread> clients;
  for (int i = 0; i < kClients; ++i) {
    clients.emplace_back([&] {
      Client c(port());
      while (issued++ < kRequests) ok += c.Get("/").result_int() == 200;
    });
  }
  for (std::thread& t : clients) t.join();
  EXPECT_EQ(ok.load(), kRequests);
  EXPECT_EQ(slow.count() + fast.count(), static_cast<size_t>(kRequests));
  EXPECT_GE(fast.count(), 3 * slow.count()) << "slow " << slow.count() << ", fast " << fast.count();
}

TEST_F(LbTest, SlowStartKeepsTrafficOnTheEstablishedTarget) {
  group_.mutable_spec().slow_start_ms = 60'000;
  Backend old_one("old"), new_one("new");
  group_.Set({new_one.target(), old_one.target(SteadyNowNs() - 3'600'000'000'000)});
  StartLb();
  Client c(port());
  for (int i = 0; i < 10; ++i) ASSERT_EQ(c.Get("/").body(), "old");
  EXPECT_EQ(new_one.count(), 0u);
}

TEST_F(LbTest, PublishesPerAppMetrics) {
  Backend backend("b1", 20ms);
  group_.Set({backend.target()});
  group_.SetHostCounts(2, 1);
  StartLb();
  Client c(port());
  for (int i = 0; i < 3; ++i) ASSERT_EQ(c.Get("/").result_int(), 200);
  group_.Set({});
  ASSERT_EQ(c.Get("/").result_int(), 503);
  lb_->Stop();

  EXPECT_EQ(sink_.Sum("RequestCount"), 4);
  EXPECT_EQ(sink_.Sum("HTTPCode_Target_2XX_Count"), 3);
  EXPECT_EQ(sink_.Sum("HTTPCode_ELB_503_Count"), 1);
  EXPECT_EQ(sink_.Sum("HTTPCode_ELB_5XX_Count"), 1);
  EXPECT_EQ(sink_.Sum("HTTPCode_Target_5XX_Count"), 0);
  double count = 0;
  for (const Datum& d : sink_.Get("TargetResponseTime")) {
    EXPECT_EQ(d.unit, "Seconds");
    EXPECT_GT(d.count, 0);
    EXPECT_GE(d.value, 0.015) << "not in seconds?";
    EXPECT_LT(d.value, 2.0) << "not in seconds?";
    count += d.count;
  }
  EXPECT_EQ(count, 3);
  const std::vector<Datum> healthy = sink_.Get("HealthyHostCount");
  ASSERT_FALSE(healthy.empty());
  EXPECT_EQ(healthy.back().value, 2);
  ASSERT_FALSE(sink_.Get("UnHealthyHostCount").empty());
  EXPECT_EQ(sink_.Get("UnHealthyHostCount").back().value, 1);
  EXPECT_EQ(sink_.Sum("NewConnectionCount"), 1);
  EXPECT_TRUE(sink_.Get("ClientTLSNegotiationErrorCount").empty()) << "a plain listener has no TLS";
}

TEST_F(LbTest, WritesOneAccessLogLinePerRequest) {
  const std::string path =
      ::testing::TempDir() + "/lb_test_access_" + std::to_string(::getpid()) + ".log";
  ::unlink(path.c_str());
  Backend backend("b1");
  group_.Set({backend.target()});
  StartLb(path);
  Client c(port());
  ASSERT_EQ(c.Get("/a").result_int(), 200);
  ASSERT_EQ(c.Get("/fail").result_int(), 500);
  ASSERT_EQ(c.RoundTrip(MakeRequest(bhttp::verb::post, "/echo", "x")).result_int(), 200);
  lb_->Stop();

  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  ::unlink(path.c_str());
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_NE(lines[0].find(" 200 200 "), std::string::npos) << lines[0];
  EXPECT_NE(lines[0].find("\"GET /a HTTP/1.1\""), std::string::npos) << lines[0];
  EXPECT_NE(lines[1].find(" 500 500 "), std::string::npos) << lines[1];
  EXPECT_NE(lines[1].find("\"GET /fail HTTP/1.1\""), std::string::npos) << lines[1];
  EXPECT_NE(lines[2].find("\"POST /echo HTTP/1.1\""), std::string::npos) << lines[2];
  EXPECT_NE(lines[0].find(" web "), std::string::npos) << lines[0];
}

TEST(AccessLogFileTest, RotatesPastItsSizeKeepingOneOldFile) {
  const std::string path =
      ::testing::TempDir() + "/lb_test_rotate_" + std::to_string(::getpid()) + ".log";
  ::unlink(path.c_str());
  ::unlink((path + ".1").c_str());
  AccessLogFile log;
  ASSERT_TRUE(log.Open(path, 100).ok());
  const std::string a(60, 'a'), b(60, 'b'), c(30, 'c');
  ASSERT_TRUE(log.Append({&a}).ok());
  ASSERT_TRUE(log.Append({&b, &c}).ok());  // 60 bytes before: under the limit, no rotation
  ASSERT_TRUE(log.Append({&c}).ok());      // 150 bytes before: rotated first
  auto read = [](const std::string& p) {
    std::ifstream in(p);
    return std::string(std::istreambuf_iterator<char>(in), {});
  };
  EXPECT_EQ(read(path + ".1"), a + b + c);
  EXPECT_EQ(read(path), c);
  ASSERT_TRUE(log.Append({&a}).ok());
  ASSERT_TRUE(log.Append({&b}).ok());  // 90 before: appended; the next rotation replaces .1
  ASSERT_TRUE(log.Append({&c}).ok());
  EXPECT_EQ(read(path + ".1"), c + a + b);
  EXPECT_EQ(read(path), c);
  ::unlink(path.c_str());
  ::unlink((path + ".1").c_str());
}

TEST_F(LbTest, StopLetsRequestsInFlightFinishAndRefusesNewConnections) {
  Backend backend("b1");
  group_.Set({backend.target()});
  StartLb();
  Client idle(port());
  ASSERT_EQ(idle.Get("/").result_int(), 200);
  Client busy(port());
  ASSERT_FALSE(busy.Send(MakeRequest(bhttp::verb::get, "/hold")));
  ASSERT_TRUE(WaitFor([&] { return backend.count() == 2; }));

  std::thread stopper([&] { lb_->Stop(); });
  EXPECT_TRUE(WaitFor([&] { return Refused(port()); }));
  backend.Release();
  BeastResponse res = busy.Read();
  stopper.join();
  EXPECT_EQ(res.result_int(), 200) << busy.error().message();
  EXPECT_EQ(res.body(), "held");
  EXPECT_FALSE(res.keep_alive());
  EXPECT_TRUE(busy.PeerClosed());
  EXPECT_TRUE(idle.PeerClosed());
  EXPECT_TRUE(Refused(port()));
  lb_->Stop();  // idempotent
}

TEST_F(LbTest, BadRequestLineIs400AndHugeHeaderIs431) {
  options_.max_header_bytes = 8 << 10;
  Backend backend("b1");
  group_.Set({backend.target()});
  StartLb();

  Client a(port());
  ASSERT_FALSE(a.Write("this is not http\r\n\r\n"));
  EXPECT_EQ(a.Read().result_int(), 400) << a.error().message();

  Client b(port());
  ASSERT_FALSE(b.Write("GET / HTTP/1.1\r\nHost: app.test\r\nX-Big: " + std::string(32 << 10, 'a') +
                       "\r\n\r\n"));
  EXPECT_EQ(b.Read().result_int(), 431) << b.error().message();

  Client c(port());
  EXPECT_EQ(c.Get("/").result_int(), 200);
  EXPECT_EQ(backend.count(), 1u);
}

}  // namespace
}  // namespace vigil::lb
