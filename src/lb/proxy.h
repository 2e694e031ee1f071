#pragma once
// Private to vigil::lb: the LoadBalancer implementation.
//
//   lb.cc       lifecycle: listeners, worker threads, the once-a-second flusher, stop
//   session.cc  a client connection's request loop
//   forward.cc  the forwarding of one request: target choice, pools, retries, the response
//   http1.h     HTTP/1.1 heads parsed in place and rewritten; chunked framing
//   relay.h     moving messages: reading heads, relaying bodies by their framing, own answers
//   sweeper.cc  deadlines and stall watches, checked by one 10 ms sweep per worker
//   stats.cc    per-second metrics (a latency histogram per app) and the access log
#include <algorithm>
#include <atomic>
#include <chrono>
#include <climits>
#include <condition_variable>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include "http/beast_ssl.h"
#include "http/tls.h"
#include "lb/access_log.h"
#include "lb/lb.h"

namespace vigil::lb {

namespace asio = http::asio;
using http::tcp;
using ErrorCode = boost::system::error_code;

// Each worker's loop is one thread's own io_context, so its executor type is named rather than
// type-erased (asio::any_io_executor costs a copy and an indirection at every operation).
using Executor = asio::io_context::executor_type;
using Socket = asio::basic_stream_socket<tcp, Executor>;
using Acceptor = asio::basic_socket_acceptor<tcp, Executor>;
// A TLS listener's client connection: the TLS stream over the connection's socket.
using TlsSocket = http::beast::ssl_stream<Socket&>;
using Timer = asio::basic_waitable_timer<std::chrono::steady_clock,
                                         asio::wait_traits<std::chrono::steady_clock>, Executor>;
template <class T>
using Awaitable = asio::awaitable<T, Executor>;
inline constexpr asio::use_awaitable_t<Executor> kUseAwaitable;
// The completion token of every operation: errors into `ec`, never thrown.
inline auto Into(ErrorCode& ec) { return asio::redirect_error(kUseAwaitable, ec); }

// The steady clock in nanoseconds: deadlines and stall watches are kept in it.
inline int64_t NowNs() { return std::chrono::steady_clock::now().time_since_epoch().count(); }

// TargetResponseTime as a histogram of logarithmic buckets (2% wide) from 1 µs to ~100 s:
// each second's percentiles come out within 1% of exact while a second costs a few hundred
// numbers at most, however many requests it saw.
constexpr int kLatencyBuckets = 960;
int LatencyBucket(int64_t micros);
double BucketSeconds(int bucket);  // the bucket's midpoint

// What one request did, for the metrics and the access log.
struct RequestRecord {
  std::string_view remote;                    // the client's address
  std::string_view request_line, user_agent;  // filled only when an access log is kept
  const fleet::Target* target = nullptr;      // the last target tried, when logging
  std::shared_ptr<const std::vector<fleet::Target>> target_snapshot;  // which holds `target`
  int64_t total_us = 0;
  int64_t target_us = -1;                // request sent to response header; < 0: no target answered
  int status = 0;                        // what the client got
  int target_status = 0;                 // what the target answered; 0: nothing
  uint64_t bytes_in = 0, bytes_out = 0;  // bodies
  int attempts = 0;
  bool elb_error() const { return target_us < 0; }
};

// The access log's time stamps, formatted once a second.
class LogClock {
 public:
  // Appends "2026-11-26T10:15:56.123Z".
  void Append(std::string* out, int64_t now_ms);

 private:
  int64_t second_ = -1;
  std::string prefix_;  // up to the seconds' dot
};

// Appends one access-log line (format in docs/ARCHITECTURE.md) to *out.
void AppendAccessLog(std::string* out, LogClock* clock, int64_t now_ms, const std::string& app,
                     const RequestRecord& r);

// One app's counters on one worker. Written by that worker under `mu` (never contended but by
// the flusher, once a second), read and reset by the flusher.
struct AppStats {
  std::mutex mu;
  uint64_t requests = 0;
  uint64_t target_class[6] = {};  // [2] = 2xx ... [5] = 5xx
  uint64_t elb_5xx = 0, elb_502 = 0, elb_503 = 0, elb_504 = 0;
  uint64_t new_connections = 0;
  uint64_t processed_bytes = 0;
  uint64_t connection_errors = 0;
  uint64_t retries = 0;
  uint64_t tls_negotiation_errors = 0;  // failed TLS handshakes (session.cc says which count)
  uint32_t latency[kLatencyBuckets] = {};
  std::string access_log;  // lines not yet written
  LogClock log_clock;
  std::string access_log_spare;  // the flusher's, outside `mu`: lines taken, being written

  // Counts one request (and logs it when `log_as_app` is not null). Takes `mu`.
  void Count(const RequestRecord& r, int64_t now_ms, const std::string* log_as_app);
};

// One listener (an app), shared by the workers.
struct LbApp {
  Listener listener;
  std::string name;
  uint16_t port = 0;         // bound
  std::string port_text;     // the same, for X-Forwarded-Port
  AccessLogFile access_log;  // not open: no access log
  std::atomic<int> active_connections{0};
  std::unique_ptr<http::TlsContext> tls;  // null: plain HTTP
};

// A time limit on a socket's pending operations, and (for a request waiting for its response
// header) a watch on its target. Checked by the worker's sweeper every kSweepInterval, so that a
// request costs no timer of its own (a timer per operation was a timerfd syscall per request):
// past `at_ns` the socket's operations are cancelled and `expired` is set.
struct Deadline {
  Socket* socket = nullptr;
  int64_t at_ns = kNever;  // steady clock
  bool expired = false;
  // The stall watch: past stall_at_ns a stall is reported once; from then on, the wait is
  // cancelled (and `abandoned` set) as soon as the target leaves rotation.
  fleet::TargetGroup* group = nullptr;
  const fleet::Target* target = nullptr;
  int64_t stall_at_ns = kNever;
  bool stall_reported = false;
  bool abandoned = false;
  size_t index = 0;  // in Worker::deadlines while armed

  static constexpr int64_t kNever = INT64_MAX;
};

// A connection's read buffer: bytes read and not yet consumed, at the front of one allocation
// that grows only when a read needs more room than consuming has freed.
class ByteBuffer {
 public:
  std::string_view data() const { return {buf_.get() + begin_, end_ - begin_}; }
  size_t size() const { return end_ - begin_; }
  void Consume(size_t n) {
    begin_ += std::min(n, size());
    if (begin_ == end_) begin_ = end_ = 0;
  }
  // Room for at least `n` more bytes after the data (which may move: views of it end here).
  asio::mutable_buffer Prepare(size_t n);
  void Commit(size_t n) { end_ += n; }

 private:
  std::unique_ptr<char[]> buf_;
  size_t capacity_ = 0, begin_ = 0, end_ = 0;
};

struct UpstreamConn {
  explicit UpstreamConn(asio::io_context& io) : socket(io) {}
  Socket socket;
  ByteBuffer buffer;
  int64_t idle_since_ns = 0;
};

// Idle upstream connections of one run of a target (its load counters and rotation start
// identify it: a restarted instance is a new run).
struct Pool {
  fleet::TargetGroup* group = nullptr;
  const fleet::TargetLoad* load = nullptr;
  int64_t in_rotation_since_ns = 0;
  std::vector<std::unique_ptr<UpstreamConn>> idle;
};

// A client connection, for Stop: one waiting for its next request is closed at once.
struct ClientConn {
  Socket* socket = nullptr;
  bool idle = false;
};

class LoadBalancerImpl;

namespace http1 {
struct Head;
}
struct RelayScratch;

// A client connection's buffers, reused by each request it makes.
struct Exchange {
  ByteBuffer buffer;  // from the client
  std::string request_head, request_body, response_head, response_body;
  std::string request_line, user_agent;  // for the access log
  std::unique_ptr<http1::Head> response;
  std::unique_ptr<RelayScratch> scratch;
};

struct ForwardResult {
  bool keep = false;    // the client connection may serve another request
  bool linger = false;  // an error was answered before the request was read whole
};

// A thread with its own event loop, acceptors and pools: nothing here is shared.
struct Worker {
  Worker(LoadBalancerImpl* l, size_t index) : lb(l), id(index), io(1) {}
  LoadBalancerImpl* const lb;
  const size_t id;
  // Declared before io: coroutines still pending when the loop is destroyed disarm their
  // deadlines as they go.
  std::list<ClientConn> clients;     // live client connections
  std::vector<Deadline*> deadlines;  // armed deadlines, in no order
  asio::io_context io;               // concurrency hint 1: one thread, no locking inside Asio
  // Declared after io: their sockets go before the loop they belong to.
  std::vector<std::unique_ptr<Acceptor>> acceptors;  // one per app
  std::vector<std::unique_ptr<AppStats>> stats;      // one per app
  std::vector<Pool> pools;
  std::atomic<int> sessions{0};  // Session coroutines running
  uint64_t pick_counter = 0;
  std::thread thread;

  // session.cc
  Awaitable<void> AcceptLoop(size_t app);
  // A client connection's life: the TLS handshake for a TLS listener, Serve, the close.
  Awaitable<void> Session(size_t app, Socket socket);
  // The request loop on `client` (the socket, or its TLS stream); whether to linger.
  template <class Client>
  Awaitable<bool> Serve(size_t app, Client& client, ClientConn& self, Deadline& deadline,
                        const std::string& remote);
  // Forwards one request whose head `request` (in x.buffer) was read, from `client` (the
  // socket, or its TLS stream; instantiated for both in forward.cc).
  template <class Client>
  Awaitable<ForwardResult> Forward(size_t app, Client& client, Deadline& client_deadline,
                                   Exchange& x, const http1::Head& request,
                                   const std::string& remote);
  Pool& PoolOf(fleet::TargetGroup* group, const fleet::Target& target);
  // An idle pooled connection to `target` still open, or null.
  std::unique_ptr<UpstreamConn> TakeIdle(fleet::TargetGroup* group, const fleet::Target& target);
  // A pooled connection to `target` failed before any answer: not the request's fault.
  void ForgiveStaleConnection(fleet::TargetGroup* group, const fleet::Target& target,
                              int* attempts);

  // lb.cc: stops accepting and closes the connections waiting for a request (only_idle), or
  // every connection.
  void CloseClients(bool only_idle);

  // sweeper.cc
  void Arm(Deadline* d);
  void Disarm(Deadline* d);
  // Every kSweepInterval: expires deadlines, watches stalls; every second drops the pools of
  // targets that left rotation.
  Awaitable<void> Sweeper();
};

// Arms a deadline for its lifetime.
class ArmedDeadline {
 public:
  ArmedDeadline(Worker* w, Socket* socket) : w_(w) {
    d_.socket = socket;
    w_->Arm(&d_);
  }
  ~ArmedDeadline() { w_->Disarm(&d_); }
  ArmedDeadline(const ArmedDeadline&) = delete;
  ArmedDeadline& operator=(const ArmedDeadline&) = delete;
  Deadline& operator*() { return d_; }
  Deadline* operator->() { return &d_; }

 private:
  Worker* const w_;
  Deadline d_;
};

class LoadBalancerImpl final : public LoadBalancer {
 public:
  explicit LoadBalancerImpl(Options options);
  ~LoadBalancerImpl() override;
  Status Init();
  uint16_t port(size_t listener) const override { return apps_[listener]->port; }
  void Stop() override;
  Status ReloadTls() override;
  std::vector<int> ConnectionsPerLoopForTest() const override {
    std::vector<int> n;
    for (const auto& w : workers_) n.push_back(w->sessions.load());
    return n;
  }

  const Options& options() const { return options_; }
  LbApp& app(size_t i) { return *apps_[i]; }
  size_t num_apps() const { return apps_.size(); }
  bool stopping() const { return stopping_.load(std::memory_order_relaxed); }
  std::atomic<int> in_flight{0};  // requests between header read and response written

  // stats.cc
  void Flush();  // every second, on the flusher thread, and at Stop

 private:
  void FlusherLoop();

  Options options_;
  std::vector<std::unique_ptr<LbApp>> apps_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::atomic<bool> stopping_{false};
  bool stopped_ = false;
  std::mutex flusher_mu_;
  std::condition_variable flusher_cv_;
  bool flusher_stop_ = false;  // guarded by flusher_mu_
  std::thread flusher_;
  friend struct Worker;

 public:
  std::vector<std::unique_ptr<Worker>>& workers() { return workers_; }
};

}  // namespace vigil::lb
