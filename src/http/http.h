#pragma once
// vigil::http — the HTTP/1.1 server (Boost.Beast on Asio, C++20 coroutines) and its router.
//
// Threads: `io_threads` run the event loop (accept, read, write); handlers run on a separate
// pool of `worker_threads` because they may block (a PutMetricData waits for the WAL fsync),
// and an I/O thread must never block. Shutdown drains: Stop() stops accepting, lets requests
// in flight finish (up to a deadline), then closes idle keep-alive connections.
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/logging.h"
#include "common/metrics.h"
#include "common/status.h"

namespace vigil::http {

struct Request {
  std::string method;  // "GET", "POST", ...
  std::string target;  // as received: path + "?" + query
  std::string path;    // percent-decoding NOT applied
  std::string query;   // raw, without '?'
  // Header fields in the order received, names as received (case kept).
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;            // raw bytes as received (Content-Encoding NOT undone)
  std::string remote_address;  // "127.0.0.1:53412"

  // Value of the first header with this name (ASCII case-insensitive), or nullopt.
  std::optional<std::string_view> Header(std::string_view name) const;
  // The peer's address without its port: "127.0.0.1", "::1".
  std::string_view PeerAddress() const;
};

struct Response {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;  // Content-Length is added
  std::string body;

  static Response Text(int status, std::string body,
                       std::string content_type = "text/plain; charset=utf-8");
};

// Runs on a worker thread. Must not throw; a thrown exception becomes a 500.
using Handler = std::function<Response(const Request&)>;

// Maps (method, exact path) to a handler — or (method, prefix) when the path ends with '*',
// e.g. "/v1/apps/*"; routes are tried in registration order. A path may also have a fallback for
// any method (registered with method "*" or ""), used when no handler matches the exact method. Not
// thread-safe for registration: register everything before Server::Start(); Dispatch() may then run
// concurrently.
class Router {
 public:
  void Handle(std::string method, std::string path, Handler handler);
  // Dispatches: 404 for an unknown path, 405 (with Allow) for a known path and other method.
  Response Dispatch(const Request& request) const;

 private:
  struct Route {
    std::string method, path;
    Handler handler;
  };
  std::vector<Route> routes_;
};

struct ServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 4510;  // 0 = pick a free port (see Server::port())
  int io_threads = 2;
  int worker_threads = 16;
  size_t max_body_bytes = 8 << 20;  // larger bodies get 413 before the handler runs
  int shutdown_grace_ms = 10'000;
  Logger* logger = nullptr;     // required
  Registry* metrics = nullptr;  // optional
  // Optional, for fault injection (Envoy's fault filter; examples/shop's --fault-latency-ms):
  // called on an I/O thread for each request read, before its handler runs; a positive result
  // holds the request that long on an asynchronous timer, so a held request occupies neither an
  // I/O thread nor a worker and other requests go on. Must be cheap and must not block. A held
  // request counts as in flight: Stop() drains it like one whose handler runs.
  std::function<std::chrono::milliseconds(const Request&)> delay;
  // Gzips an answer (on the worker thread, zlib level 1) when the request's Accept-Encoding
  // takes gzip, the answer is a 200 of at least 1 KiB of JSON, XML or text with no
  // Content-Encoding of its own: a day of metric data is ~4x smaller on the wire.
  bool compress_responses = true;
};

class Server {
 public:
  Server(ServerOptions options, const Router* router);  // router must outlive the server
  ~Server();                                            // Stop()s if running

  // Binds and starts serving. Unavailable when the address cannot be bound.
  Status Start();
  // The bound port (after Start), useful with port 0.
  uint16_t port() const;
  // Stops accepting, waits for requests in flight (up to shutdown_grace_ms), closes
  // connections and joins all threads. Idempotent. A handler still running after the grace
  // period is waited for (it cannot be interrupted); must not be called from a handler.
  // A stopped server cannot be started again.
  void Stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Undoes Content-Encoding gzip/deflate; InvalidArgument on corrupt data or when the result
// would exceed max_bytes.
StatusOr<std::string> Gunzip(std::string_view data, size_t max_bytes);

// Compresses `data` as a gzip member (Content-Encoding: gzip) at zlib `level` (-1 = zlib's
// default, 1 fastest, 9 smallest), as HTTP clients such as botocore send large bodies.
std::string Gzip(std::string_view data, int level = -1);

}  // namespace vigil::http
