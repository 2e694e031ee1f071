#pragma once
// Fixtures for lb_test.cc: a fake TargetGroup the test edits mid-request, real backends (Vigil's
// http::Server) and misbehaving raw-socket ones, a capturing MetricSink, a Beast client with a
// deadline on every call, and the LbTest fixture that runs a LoadBalancer over them.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "common/clock.h"
#include "common/logging.h"
#include "common/metric_sink.h"
#include "fleet/fleet.h"
#include "http/beast.h"
#include "http/http.h"
#include "lb/lb.h"

namespace vigil::lb::testutil {

namespace asio = http::asio;
namespace beast = http::beast;
namespace bhttp = http::bhttp;
using http::tcp;
using ErrorCode = boost::system::error_code;
using BeastRequest = bhttp::request<bhttp::string_body>;
using BeastResponse = bhttp::response<bhttp::string_body>;
using namespace std::chrono_literals;

inline constexpr char kApp[] = "web";
inline constexpr auto kIoTimeout = 5s;

// Polls `done` until it holds or `limit` passes; returns whether it held.
inline bool WaitFor(const std::function<bool()>& done, std::chrono::milliseconds limit = 5000ms) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(2ms);
  }
  return true;
}

inline int64_t SteadyNowNs() { return std::chrono::steady_clock::now().time_since_epoch().count(); }

inline fleet::Target MakeTarget(std::string id, uint16_t port, int64_t since_ns = SteadyNowNs()) {
  fleet::Target t;
  t.instance_id = std::move(id);
  t.host = "127.0.0.1";
  t.port = port;
  t.in_rotation_since_ns = since_ns;
  t.load = std::make_shared<fleet::TargetLoad>();
  return t;
}

// One app's targets as a list the test replaces at will; remembers every Report().
// Thread-safe; spec() may be changed only before the load balancer starts.
class FakeGroup final : public fleet::TargetGroup {
 public:
  FakeGroup() { spec_.name = kApp; }
  fleet::AppSpec& mutable_spec() { return spec_; }
  const fleet::AppSpec& spec() const override { return spec_; }
  std::shared_ptr<const std::vector<fleet::Target>> Targets() const override {
    std::lock_guard l(mu_);
    return targets_;
  }
  void Report(const std::string& id, fleet::Failure failure, const std::string&) override {
    std::lock_guard l(mu_);
    reports_.emplace_back(id, failure);
  }
  std::pair<int, int> HostCounts() const override {
    std::lock_guard l(mu_);
    return host_counts_;
  }

  void Set(std::vector<fleet::Target> targets) {
    std::lock_guard l(mu_);
    targets_ = std::make_shared<const std::vector<fleet::Target>>(std::move(targets));
  }
  void SetHostCounts(int healthy, int unhealthy) {
    std::lock_guard l(mu_);
    host_counts_ = {healthy, unhealthy};
  }
  int Reports(const std::string& id, fleet::Failure failure) const {
    std::lock_guard l(mu_);
    return static_cast<int>(std::count(reports_.begin(), reports_.end(), std::pair(id, failure)));
  }

 private:
  fleet::AppSpec spec_;
  mutable std::mutex mu_;
  std::shared_ptr<const std::vector<fleet::Target>> targets_ =
      std::make_shared<const std::vector<fleet::Target>>();      // guarded by mu_
  std::vector<std::pair<std::string, fleet::Failure>> reports_;  // guarded by mu_
  std::pair<int, int> host_counts_;                              // guarded by mu_
};

class CapturingSink final : public MetricSink {
 public:
  void Put(const std::string& ns, std::vector<Datum> data) override {
    std::lock_guard l(mu_);
    for (Datum& d : data) data_.emplace_back(ns, std::move(d));
  }
  // Datums of `metric` in the load balancer's namespace for kApp.
  std::vector<Datum> Get(const std::string& metric) const {
    std::lock_guard l(mu_);
    std::vector<Datum> out;
    for (const auto& [ns, d] : data_) {
      const bool app =
          d.dimensions == std::vector<std::pair<std::string, std::string>>{{"App", kApp}};
      if (ns == "Vigil/LoadBalancer" && app && d.metric == metric) out.push_back(d);
    }
    return out;
  }
  double Sum(const std::string& metric) const {
    double sum = 0;
    for (const Datum& d : Get(metric)) sum += d.value * d.count;
    return sum;
  }

 private:
  mutable std::mutex mu_;
  std::vector<std::pair<std::string, Datum>> data_;  // guarded by mu_
};

// A well-behaved backend: http::Server on a free port, remembering every request. Paths:
// /echo answers the body; /fail 500; /nocontent 204; /big a 4 MiB body; /hold waits for
// Release(); anything else answers the backend's name after `delay`.
class Backend {
 public:
  static std::string BigBody() {
    std::string body(4 << 20, '\0');
    for (size_t i = 0; i < body.size(); ++i) body[i] = static_cast<char>('a' + (i * 7) % 26);
    return body;
  }

  explicit Backend(std::string name, std::chrono::milliseconds delay = 0ms)
      : name_(std::move(name)) {
    router_.Handle("*", "/echo", [this](const http::Request& r) {
      Record(r);
      return http::Response::Text(200, r.body, "application/octet-stream");
    });
    router_.Handle("*", "/fail", [this](const http::Request& r) {
      Record(r);
      return http::Response::Text(500, "failed");
    });
    router_.Handle("*", "/nocontent", [this](const http::Request& r) {
      Record(r);
      return http::Response{204, {}, ""};
    });
    router_.Handle("*", "/big", [this](const http::Request& r) {
      Record(r);
      return http::Response::Text(200, BigBody(), "application/octet-stream");
    });
    router_.Handle("*", "/hold", [this](const http::Request& r) {
      Record(r);
      std::unique_lock l(mu_);
      cv_.wait(l, [this] { return released_; });
      return http::Response::Text(200, "held");
    });
    router_.Handle("*", "/*", [this, delay](const http::Request& r) {
      Record(r);
      std::this_thread::sleep_for(delay);
      http::Response res = http::Response::Text(200, name_);
      res.headers.emplace_back("X-Reply", "intact");
      return res;
    });
    http::ServerOptions o;
    o.host = "127.0.0.1";
    o.port = 0;
    o.io_threads = 1;
    o.worker_threads = 8;
    o.max_body_bytes = 16 << 20;
    o.logger = &NullLogger();
    server_ = std::make_unique<http::Server>(o, &router_);
    const Status s = server_->Start();
    EXPECT_TRUE(s.ok()) << s.ToString();
  }
  ~Backend() {
    Release();
    server_->Stop();
  }

  uint16_t port() const { return server_->port(); }
  fleet::Target target(int64_t since_ns = SteadyNowNs()) const {
    return MakeTarget(name_, port(), since_ns);
  }
  std::vector<http::Request> requests() const {
    std::lock_guard l(mu_);
    return requests_;
  }
  size_t count() const {
    std::lock_guard l(mu_);
    return requests_.size();
  }
  void Release() {
    std::lock_guard l(mu_);
    released_ = true;
    cv_.notify_all();
  }

 private:
  void Record(const http::Request& r) {
    std::lock_guard l(mu_);
    requests_.push_back(r);
  }

  const std::string name_;
  http::Router router_;
  std::unique_ptr<http::Server> server_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<http::Request> requests_;  // guarded by mu_
  bool released_ = false;                // guarded by mu_
};

// A misbehaving backend on raw sockets, a thread per connection. kClose closes each
// connection at once; kSilent reads and never answers; kReply waits for a request header,
// writes `reply`, then (when given) `rest` once Continue() is called, and shuts its side down.
class RawBackend {
 public:
  enum class Mode { kClose, kSilent, kReply };

  explicit RawBackend(Mode mode, std::string reply = "", std::string rest = "")
      : mode_(mode), reply_(std::move(reply)), rest_(std::move(rest)) {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(addr);
    EXPECT_EQ(::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), len), 0);
    EXPECT_EQ(::listen(listen_fd_, 64), 0);
    ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    acceptor_ = std::thread([this] { AcceptLoop(); });
  }
  ~RawBackend() {
    {
      std::lock_guard l(mu_);
      stopping_ = true;
      cv_.notify_all();
    }
    ::shutdown(listen_fd_, SHUT_RDWR);  // wakes accept()
    acceptor_.join();
    for (int fd : fds_) ::shutdown(fd, SHUT_RDWR);  // wakes read()
    for (std::thread& t : threads_) t.join();
    for (int fd : fds_) ::close(fd);
    ::close(listen_fd_);
  }

  uint16_t port() const { return port_; }
  int accepted() const { return accepted_.load(); }
  fleet::Target target(const std::string& id) const { return MakeTarget(id, port_); }
  void Continue() {
    std::lock_guard l(mu_);
    continue_ = true;
    cv_.notify_all();
  }

 private:
  void AcceptLoop() {
    for (;;) {
      const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) {
        if (errno == EINTR) continue;
        return;
      }
      ++accepted_;
      std::lock_guard l(mu_);
      fds_.push_back(fd);
      threads_.emplace_back([this, fd] { Serve(fd); });
    }
  }

  // Never closes fd (the destructor does): a closed number could be reused meanwhile.
  void Serve(int fd) {
    if (mode_ == Mode::kClose) {
      ::shutdown(fd, SHUT_RDWR);
      return;
    }
    std::string in;
    char buf[4096];
    bool replied = false;
    for (;;) {
      const ssize_t n = ::read(fd, buf, sizeof(buf));
      if (n <= 0) return;
      in.append(buf, static_cast<size_t>(n));
      if (mode_ == Mode::kReply && !replied && in.find("\r\n\r\n") != std::string::npos) {
        replied = true;
        WriteAll(fd, reply_);
        if (!rest_.empty()) {
          std::unique_lock l(mu_);
          cv_.wait(l, [this] { return continue_ || stopping_; });
          l.unlock();
          WriteAll(fd, rest_);
        }
        ::shutdown(fd, SHUT_WR);
      }
    }
  }

  static void WriteAll(int fd, const std::string& data) {
    for (size_t off = 0; off < data.size();) {
      const ssize_t n = ::write(fd, data.data() + off, data.size() - off);
      if (n <= 0) return;
      off += static_cast<size_t>(n);
    }
  }

  const Mode mode_;
  const std::string reply_, rest_;
  int listen_fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<int> accepted_{0};
  std::thread acceptor_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;             // guarded by mu_
  bool continue_ = false;             // guarded by mu_
  std::vector<int> fds_;              // guarded by mu_ until the acceptor is joined
  std::vector<std::thread> threads_;  // guarded by mu_ until the acceptor is joined
};

// A port that refuses connections: bound, never listening, for as long as this lives.
class RefusingPort {
 public:
  RefusingPort() : socket_(io_) {
    socket_.open(tcp::v4());
    socket_.bind(tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  }
  fleet::Target target(const std::string& id) const {
    return MakeTarget(id, socket_.local_endpoint().port());
  }

 private:
  asio::io_context io_;
  tcp::socket socket_;
};

inline BeastRequest MakeRequest(bhttp::verb verb, std::string target, std::string body = "") {
  BeastRequest req(verb, target, 11);
  req.set(bhttp::field::host, "app.test");
  req.body() = std::move(body);
  req.prepare_payload();
  return req;
}

// A blocking HTTP/1.1 client on one connection; every call fails after kIoTimeout rather
// than hang. A failed read returns status 0 and leaves the error in error().
class Client {
 public:
  explicit Client(uint16_t port) : stream_(io_) {
    buffer_.reserve(64 << 10);  // reads of 512 B make multi-megabyte bodies slow under ASan
    error_ = Run([&](auto done) {
      stream_.async_connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port), done);
    });
    connected_ = !error_;
  }

  bool connected() const { return connected_; }
  ErrorCode error() const { return error_; }

  ErrorCode Write(std::string_view bytes) {
    return Run([&](auto done) { asio::async_write(stream_, asio::buffer(bytes), done); });
  }
  ErrorCode Send(BeastRequest req) {
    return Run([&](auto done) { bhttp::async_write(stream_, req, done); });
  }
  BeastResponse Read(bool head = false) {
    bhttp::response_parser<bhttp::string_body> parser;
    parser.body_limit(64 << 20);
    parser.skip(head);
    error_ = Run([&](auto done) { bhttp::async_read(stream_, buffer_, parser, done); });
    if (error_) {
      BeastResponse failed;
      failed.result(bhttp::status::unknown);
      return failed;
    }
    return parser.release();
  }
  BeastResponse RoundTrip(BeastRequest req, bool head = false) {
    error_ = Send(std::move(req));
    return error_ ? BeastResponse(bhttp::status::unknown, 11) : Read(head);
  }
  BeastResponse Get(const std::string& target) {
    return RoundTrip(MakeRequest(bhttp::verb::get, target));
  }
  // Reads raw bytes until `needle` has arrived; returns all read (empty on a timeout or error).
  std::string ReadUntil(std::string_view needle) {
    std::string got(static_cast<const char*>(buffer_.data().data()), buffer_.size());
    buffer_.consume(buffer_.size());
    while (got.find(needle) == std::string::npos) {
      char buf[4096];
      size_t n = 0;
      error_ = Run([&](auto done) {
        stream_.async_read_some(asio::buffer(buf), [&n, done](ErrorCode ec, size_t read) mutable {
          n = read;
          done(ec);
        });
      });
      if (error_) return "";
      got.append(buf, n);
    }
    return got;
  }
  // Whether the peer has closed the connection (end of stream, nothing more to read). Only
  // before any read saw the end: Asio's epoll reactor does not report an end of stream twice.
  bool PeerClosed() {
    if (buffer_.size() > 0) return false;
    char c;
    const ErrorCode ec =
        Run([&](auto done) { stream_.async_read_some(asio::buffer(&c, 1), done); });
    return ec == asio::error::eof || ec == asio::error::connection_reset;
  }

 private:
  template <class Start>
  ErrorCode Run(Start start) {
    ErrorCode result = asio::error::would_block;
    stream_.expires_after(kIoTimeout);
    start([&](ErrorCode ec, auto&&...) { result = ec; });
    io_.restart();
    io_.run();
    return result;
  }

  asio::io_context io_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  bool connected_ = false;
  ErrorCode error_;
};

inline bool Refused(uint16_t port) {
  asio::io_context io;
  tcp::socket s(io);
  ErrorCode ec;
  s.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port), ec);
  return ec == asio::error::connection_refused;
}

inline std::string Field(const BeastResponse& res, beast::string_view name) {
  auto it = res.find(name);
  return it == res.end() ? "" : std::string(it->value());
}

class LbTest : public ::testing::Test {
 protected:
  LbTest() {
    options_.threads = 2;
    options_.clock = &clock_;
    options_.logger = &NullLogger();
    options_.metrics = &sink_;
  }
  ~LbTest() override {
    if (lb_) lb_->Stop();
  }

  void StartLb(std::string access_log_path = "") {
    Listener listener;
    listener.targets = &group_;
    listener.host = "127.0.0.1";
    listener.port = 0;
    listener.access_log_path = std::move(access_log_path);
    listener.tls = tls_;
    options_.listeners = {listener};
    auto lb = LoadBalancer::Start(options_);
    ASSERT_TRUE(lb.ok()) << lb.status().ToString();
    lb_ = std::move(*lb);
    ASSERT_NE(port(), 0);
  }
  uint16_t port() const { return lb_->port(0); }

  SystemClock clock_;
  CapturingSink sink_;
  FakeGroup group_;
  Options options_;
  http::TlsFiles tls_;  // the listener's; set before StartLb for TLS
  std::unique_ptr<LoadBalancer> lb_;
};

}  // namespace vigil::lb::testutil
