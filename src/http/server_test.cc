// End-to-end tests of Server: a real server on a loopback port, driven by a Beast client.
#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/metrics.h"
#include "http/beast.h"
#include "http/http.h"

namespace vigil::http {
namespace {

using BeastRequest = bhttp::request<bhttp::string_body>;
using BeastResponse = bhttp::response<bhttp::string_body>;

// A blocking HTTP/1.1 client on one connection.
class TestClient {
 public:
  explicit TestClient(uint16_t port) : socket_(ioc_) {
    socket_.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  }

  BeastResponse Send(BeastRequest req) {
    req.set(bhttp::field::host, "127.0.0.1");
    req.prepare_payload();
    bhttp::write(socket_, req);
    return Read();
  }
  BeastResponse Send(bhttp::verb verb, std::string target, std::string body = "") {
    BeastRequest req(verb, target, 11);
    req.body() = std::move(body);
    return Send(std::move(req));
  }
  BeastResponse Read() {
    bhttp::response_parser<bhttp::string_body> parser;
    parser.body_limit(64 << 20);
    bhttp::read(socket_, buffer_, parser);
    return parser.release();
  }
  tcp::socket& socket_for_test() { return socket_; }
  beast::flat_buffer& buffer_for_test() { return buffer_; }
  void WriteRaw(std::string_view bytes) { asio::write(socket_, asio::buffer(bytes)); }
  // True once the server has closed the connection (EOF or reset, no more data).
  bool ServerClosed() {
    char c;
    boost::system::error_code ec;
    if (buffer_.size() > 0) return false;
    socket_.read_some(asio::buffer(&c, 1), ec);
    return ec == asio::error::eof || ec == asio::error::connection_reset;
  }

 private:
  asio::io_context ioc_;
  tcp::socket socket_;
  beast::flat_buffer buffer_;
};

std::string HeaderValue(const BeastResponse& res, bhttp::field f) {
  auto it = res.find(f);
  return it == res.end() ? "" : std::string(it->value());
}

class ServerTest : public ::testing::Test {
 protected:
  ServerTest() {
    router_.Handle("GET", "/hello", [](const Request&) { return Response::Text(200, "hello"); });
    router_.Handle("POST", "/echo", [](const Request& r) {
      Response res = Response::Text(200, r.body, "application/octet-stream");
      res.headers.emplace_back("X-Echo-Path", r.path);
      return res;
    });
    router_.Handle("GET", "/inspect", [this](const Request& r) {
      std::lock_guard lock(mu_);
      last_request_ = r;
      return Response::Text(200, r.path + "|" + r.query);
    });
    router_.Handle("GET", "/throw",
                   [](const Request&) -> Response { throw std::runtime_error("boom"); });
  }

  void StartServer(size_t max_body = 1 << 20, int grace_ms = 10'000) {
    ServerOptions o;
    o.host = "127.0.0.1";
    o.port = 0;
    o.io_threads = 2;
    o.worker_threads = 4;
    o.max_body_bytes = max_body;
    o.shutdown_grace_ms = grace_ms;
    o.logger = &NullLogger();
    o.metrics = &registry_;
    server_ = std::make_unique<Server>(o, &router_);
    Status s = server_->Start();
    ASSERT_TRUE(s.ok()) << s.ToString();
    ASSERT_NE(server_->port(), 0);
  }

  double Metric(const std::string& name, const std::string& code = "") {
    for (const MetricSample& m : registry_.Collect()) {
      if (m.name != name) continue;
      if (!code.empty() && (m.labels.empty() || m.labels[0].second != code)) continue;
      return m.value;
    }
    return -1;
  }

  Router router_;
  Registry registry_;
  std::unique_ptr<Server> server_;
  std::mutex mu_;
  Request last_request_;  // guarded by mu_
};

TEST_F(ServerTest, RoutesGetAndPost) {
  StartServer();
  TestClient c(server_->port());
  BeastResponse r = c.Send(bhttp::verb::get, "/hello");
  EXPECT_EQ(r.result_int(), 200);
  EXPECT_EQ(r.body(), "hello");
  EXPECT_EQ(HeaderValue(r, bhttp::field::content_length), "5");
  EXPECT_EQ(HeaderValue(r, bhttp::field::content_type), "text/plain; charset=utf-8");

  std::string body(300'000, 'x');
  for (size_t i = 0; i < body.size(); ++i) body[i] = static_cast<char>('a' + i % 26);
  r = c.Send(bhttp::verb::post, "/echo", body);
  EXPECT_EQ(r.result_int(), 200);
  EXPECT_EQ(r.body(), body);
  EXPECT_EQ(HeaderValue(r, bhttp::field::content_length), std::to_string(body.size()));
}

TEST_F(ServerTest, GzipsLargeTextAnswersForClientsThatTakeIt) {
  std::string big;
  for (int i = 0; i < 400; ++i) big += "{\"Timestamp\": " + std::to_string(i) + "},";
  router_.Handle("GET", "/big", [&](const Request&) {
    return Response::Text(200, big, "application/x-amz-json-1.0");
  });
  router_.Handle("GET", "/png",
                 [&](const Request&) { return Response::Text(200, big, "image/png"); });
  StartServer();
  TestClient c(server_->port());
  auto get = [&](const std::string& path, const char* accept) {
    BeastRequest req(bhttp::verb::get, path, 11);
    if (accept != nullptr) req.set(bhttp::field::accept_encoding, accept);
    return c.Send(std::move(req));
  };
  BeastResponse plain = get("/big", nullptr);
  EXPECT_EQ(plain.body(), big);
  EXPECT_EQ(HeaderValue(plain, bhttp::field::content_encoding), "");
  BeastResponse zipped = get("/big", "br, gzip;q=0.8");
  EXPECT_EQ(HeaderValue(zipped, bhttp::field::content_encoding), "gzip");
  EXPECT_LT(zipped.body().size(), big.size() / 4);
  auto unzipped = Gunzip(zipped.body(), 1 << 20);
  ASSERT_TRUE(unzipped.ok());
  EXPECT_EQ(*unzipped, big);
  EXPECT_EQ(HeaderValue(get("/big", "gzip;q=0, identity"), bhttp::field::content_encoding), "");
  EXPECT_EQ(HeaderValue(get("/big", "identity"), bhttp::field::content_encoding), "");
  EXPECT_EQ(HeaderValue(get("/png", "gzip"), bhttp::field::content_encoding), "");    // not text
  EXPECT_EQ(HeaderValue(get("/hello", "gzip"), bhttp::field::content_encoding), "");  // small
}

TEST_F(ServerTest, BuildsRequestFaithfully) {
  StartServer();
  TestClient c(server_->port());
  BeastRequest req(bhttp::verb::get, "/inspect?b=2&a=%2F", 11);
  req.insert("X-Amz-Date", "20261125T195434Z");
  req.insert("x-lower", "  v  ");
  BeastResponse r = c.Send(std::move(req));
  EXPECT_EQ(r.body(), "/inspect|b=2&a=%2F");
  std::lock_guard lock(mu_);
  EXPECT_EQ(last_request_.method, "GET");
  EXPECT_EQ(last_request_.target, "/inspect?b=2&a=%2F");
  ASSERT_GE(last_request_.headers.size(), 3u);
  EXPECT_EQ(last_request_.headers[0].first, "X-Amz-Date");
  EXPECT_EQ(last_request_.headers[0].second, "20261125T195434Z");
  EXPECT_EQ(last_request_.headers[1].first, "x-lower");
  EXPECT_EQ(*last_request_.Header("Host"), "127.0.0.1");
  EXPECT_EQ(last_request_.remote_address.rfind("127.0.0.1:", 0), 0u);
}

TEST_F(ServerTest, NotFoundAndMethodNotAllowed) {
  StartServer();
  TestClient c(server_->port());
  EXPECT_EQ(c.Send(bhttp::verb::get, "/missing").result_int(), 404);
  BeastResponse r = c.Send(bhttp::verb::delete_, "/hello");
  EXPECT_EQ(r.result_int(), 405);
  EXPECT_EQ(HeaderValue(r, bhttp::field::allow), "GET");
  EXPECT_EQ(c.Send(bhttp::verb::get, "/hello").result_int(), 200);  // connection still usable
}

TEST_F(ServerTest, HeadResponsesCarryNoBody) {
  router_.Handle("HEAD", "/hello", [](const Request&) { return Response::Text(200, "hello"); });
  StartServer();
  TestClient c(server_->port());
  c.WriteRaw("HEAD /hello HTTP/1.1\r\nHost: x\r\n\r\nHEAD /missing HTTP/1.1\r\nHost: x\r\n\r\n");
  for (int expected : {200, 404}) {
    bhttp::response_parser<bhttp::string_body> parser;
    parser.skip(true);  // a response to HEAD: no body follows the head
    bhttp::read(c.socket_for_test(), c.buffer_for_test(), parser);
    EXPECT_EQ(parser.get().result_int(), expected);
    EXPECT_EQ(parser.get().body(), "");
  }
  EXPECT_EQ(c.Send(bhttp::verb::get, "/hello").body(), "hello");  // stream still in sync
}

TEST_F(ServerTest, HandlerExceptionIs500) {
  StartServer();
  TestClient c(server_->port());
  EXPECT_EQ(c.Send(bhttp::verb::get, "/throw").result_int(), 500);
  EXPECT_EQ(c.Send(bhttp::verb::get, "/hello").result_int(), 200);
  server_->Stop();
  EXPECT_EQ(Metric("vigil_http_requests_total", "5xx"), 1);
}

TEST_F(ServerTest, KeepAliveServesManyRequestsOnOneConnection) {
  StartServer();
  TestClient c(server_->port());
  std::string first_remote;
  for (int i = 0; i < 20; ++i) {
    BeastResponse r = c.Send(bhttp::verb::get, "/inspect?i=" + std::to_string(i));
    ASSERT_EQ(r.result_int(), 200);
    EXPECT_TRUE(r.keep_alive());
    std::lock_guard lock(mu_);
    if (i == 0) first_remote = last_request_.remote_address;
    EXPECT_EQ(last_request_.remote_address, first_remote);
  }
}

TEST_F(ServerTest, PipelinedRequestsAreAnsweredInOrder) {
  StartServer();
  TestClient c(server_->port());
  c.WriteRaw(
      "GET /inspect?n=1 HTTP/1.1\r\nHost: x\r\n\r\n"
      "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc"
      "GET /inspect?n=3 HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(c.Read().body(), "/inspect|n=1");
  EXPECT_EQ(c.Read().body(), "abc");
  EXPECT_EQ(c.Read().body(), "/inspect|n=3");
}

TEST_F(ServerTest, ConnectionCloseIsHonoured) {
  StartServer();
  TestClient c(server_->port());
  BeastRequest req(bhttp::verb::get, "/hello", 11);
  req.set(bhttp::field::connection, "close");
  BeastResponse r = c.Send(std::move(req));
  EXPECT_EQ(r.result_int(), 200);
  EXPECT_FALSE(r.keep_alive());
  EXPECT_TRUE(c.ServerClosed());
}

TEST_F(ServerTest, Http10ClosesByDefaultAndKeepsAliveOnRequest) {
  StartServer();
  {
    TestClient c(server_->port());
    c.WriteRaw("GET /hello HTTP/1.0\r\n\r\n");
    BeastResponse r = c.Read();
    EXPECT_EQ(r.result_int(), 200);
    EXPECT_EQ(r.version(), 10u);
    EXPECT_EQ(r.body(), "hello");
    EXPECT_TRUE(c.ServerClosed());
  }
  TestClient c(server_->port());
  c.WriteRaw("GET /hello HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
  BeastResponse r = c.Read();
  EXPECT_TRUE(r.keep_alive());
  c.WriteRaw("GET /hello HTTP/1.0\r\n\r\n");
  EXPECT_EQ(c.Read().body(), "hello");
  EXPECT_TRUE(c.ServerClosed());
}

TEST_F(ServerTest, BodyOverLimitIs413) {
  StartServer(/*max_body=*/1024);
  std::atomic<int> calls{0};
  {
    TestClient c(server_->port());
    EXPECT_EQ(c.Send(bhttp::verb::post, "/echo", std::string(1024, 'a')).result_int(), 200);
  }
  for (size_t size : {size_t{1025}, size_t{4096}, size_t{2 << 20}}) {
    TestClient c(server_->port());
    BeastResponse r = c.Send(bhttp::verb::post, "/echo", std::string(size, 'a'));
    EXPECT_EQ(r.result_int(), 413) << size;
    EXPECT_FALSE(r.keep_alive());
    EXPECT_TRUE(c.ServerClosed());
  }
  server_->Stop();
  EXPECT_EQ(Metric("vigil_http_requests_total", "4xx"), 3);
  EXPECT_EQ(Metric("vigil_http_requests_total", "2xx"), 1);
}

TEST_F(ServerTest, ExpectContinueGets100BeforeTheBody) {
  StartServer();
  TestClient c(server_->port());
  c.WriteRaw("POST /echo HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n");
  BeastResponse interim = c.Read();
  EXPECT_EQ(interim.result_int(), 100);
  c.WriteRaw("hello");
  BeastResponse r = c.Read();
  EXPECT_EQ(r.result_int(), 200);
  EXPECT_EQ(r.body(), "hello");
}

TEST_F(ServerTest, MalformedRequestIs400) {
  StartServer();
  for (std::string_view raw : {std::string_view("NOT A REQUEST\r\n\r\n"),
                               std::string_view("GET / HTTP/1.1\r\nBad Header\r\n\r\n"),
                               std::string_view("GET / HTTP/1.1\r\nContent-Length: x\r\n\r\n")}) {
    TestClient c(server_->port());
    c.WriteRaw(raw);
    BeastResponse r = c.Read();
    EXPECT_EQ(r.result_int(), 400) << raw;
    EXPECT_TRUE(c.ServerClosed()) << raw;
  }
}

TEST_F(ServerTest, ConcurrentClients) {
  StartServer();
  constexpr int kThreads = 8, kRequests = 50;
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      TestClient c(server_->port());
      for (int i = 0; i < kRequests; ++i) {
        std::string body = "t" + std::to_string(t) + "-" + std::to_string(i);
        body.append(static_cast<size_t>(i * 100), 'p');
        BeastResponse r = c.Send(bhttp::verb::post, "/echo", body);
        if (r.result_int() == 200 && r.body() == body) ok.fetch_add(1);
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(ok.load(), kThreads * kRequests);
  server_->Stop();  // a response can reach the client just before the server counts it
  EXPECT_EQ(Metric("vigil_http_requests_total", "2xx"), kThreads * kRequests);
  EXPECT_EQ(Metric("vigil_http_requests_in_flight"), 0);
  EXPECT_GT(Metric("vigil_http_request_bytes_total"), 50 * 100 * 49 / 2 * kThreads);
  EXPECT_GT(Metric("vigil_http_response_bytes_total"), 50 * 100 * 49 / 2 * kThreads);
}

// Connects until the server refuses; true when refused (the listener is closed).
bool WaitUntilRefused(uint16_t port) {
  asio::io_context ioc;
  for (int attempt = 0; attempt < 100'000; ++attempt) {
    tcp::socket s(ioc);
    boost::system::error_code ec;
    s.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port), ec);
    if (ec == asio::error::connection_refused) return true;
    std::this_thread::yield();
  }
  return false;
}

TEST_F(ServerTest, StopDrainsRequestsInFlightAndRefusesNewConnections) {
  std::promise<void> entered;
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  router_.Handle("GET", "/slow", [&](const Request&) {
    entered.set_value();
    released.wait();
    return Response::Text(200, "slow done");
  });
  StartServer();
  TestClient idle(server_->port());
  ASSERT_EQ(idle.Send(bhttp::verb::get, "/hello").result_int(), 200);

  TestClient busy(server_->port());
  BeastResponse slow;
  std::thread client([&] { slow = busy.Send(bhttp::verb::get, "/slow"); });
  entered.get_future().wait();

  std::thread stopper([&] { server_->Stop(); });
  EXPECT_TRUE(WaitUntilRefused(server_->port()));
  EXPECT_TRUE(idle.ServerClosed());  // idle keep-alive connections go at once
  release.set_value();
  client.join();
  stopper.join();
  EXPECT_EQ(slow.result_int(), 200);
  EXPECT_EQ(slow.body(), "slow done");
  EXPECT_FALSE(slow.keep_alive());
  EXPECT_TRUE(busy.ServerClosed());
  server_->Stop();  // idempotent
}

TEST_F(ServerTest, GraceExpiryClosesConnectionsOfStuckHandlers) {
  std::promise<void> entered;
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  router_.Handle("GET", "/stuck", [&](const Request&) {
    entered.set_value();
    released.wait();
    return Response::Text(200, "late");
  });
  StartServer(1 << 20, /*grace_ms=*/50);
  TestClient c(server_->port());
  BeastRequest req(bhttp::verb::get, "/stuck", 11);
  req.set(bhttp::field::host, "x");
  bhttp::write(c.socket_for_test(), req);
  entered.get_future().wait();
  std::thread stopper([&] { server_->Stop(); });
  EXPECT_TRUE(c.ServerClosed());  // closed after the grace period, without a response
  release.set_value();
  stopper.join();
}

TEST_F(ServerTest, DelayHoldsRequestsWithoutOccupyingAWorker) {
  router_.Handle("GET", "/held", [](const Request&) { return Response::Text(200, "held"); });
  ServerOptions o;
  o.port = 0;
  o.worker_threads = 1;  // a held request that slept on the worker would stall /hello
  o.logger = &NullLogger();
  o.metrics = &registry_;
  o.delay = [](const Request& r) { return std::chrono::milliseconds(r.path == "/held" ? 300 : 0); };
  Server server(o, &router_);
  ASSERT_TRUE(server.Start().ok());

  const auto start = std::chrono::steady_clock::now();
  std::vector<std::future<BeastResponse>> held;
  for (int i = 0; i < 3; ++i) {
    held.push_back(std::async(std::launch::async, [port = server.port()] {
      return TestClient(port).Send(bhttp::verb::get, "/held");
    }));
  }
  // All three are read and held before /hello is sent.
  while (Metric("vigil_http_requests_in_flight") < 3) std::this_thread::yield();
  TestClient fast(server.port());
  EXPECT_EQ(fast.Send(bhttp::verb::get, "/hello").body(), "hello");
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(250));
  for (auto& f : held) EXPECT_EQ(f.get().body(), "held");
  const auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_GE(elapsed, std::chrono::milliseconds(300));
  EXPECT_LT(elapsed, std::chrono::milliseconds(900));  // held side by side, not one by one
}

TEST(ServerLifecycleTest, StartFailsWhenPortIsTaken) {
  Router router;
  ServerOptions o;
  o.port = 0;
  o.logger = &NullLogger();
  Server first(o, &router);
  ASSERT_TRUE(first.Start().ok());
  o.port = first.port();
  Server second(o, &router);
  Status s = second.Start();
  EXPECT_EQ(s.code(), StatusCode::kUnavailable) << s.ToString();
  EXPECT_FALSE(first.Start().ok());  // only once
}

TEST(ServerLifecycleTest, StopWithoutStartAndDestructorStop) {
  Router router;
  ServerOptions o;
  o.port = 0;
  o.logger = &NullLogger();
  {
    Server never(o, &router);
    never.Stop();
    never.Stop();
    EXPECT_FALSE(never.Start().ok());
  }
  uint16_t port;
  {
    Server s(o, &router);
    ASSERT_TRUE(s.Start().ok());
    port = s.port();
    TestClient c(port);
  }  // destructor stops
  EXPECT_TRUE(WaitUntilRefused(port));
}

}  // namespace
}  // namespace vigil::http
