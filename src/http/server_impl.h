#pragma once
// Private to vigil::http: Server::Impl, shared by server.cc (lifecycle, accept loop, drain) and
// session.cc (one connection's request loop).
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "common/logging.h"
#include "common/metrics.h"
#include "http/beast_ssl.h"
#include "http/http.h"
#include "http/tls.h"

namespace vigil::http {

// One accepted connection. The socket's executor is a strand of the io_context, and the
// connection's coroutine runs on that same strand; every other thread touches the socket only
// by posting to it (see Server::Impl::CloseConnections).
struct Connection {
  explicit Connection(tcp::socket s) : socket(std::move(s)) {}
  tcp::socket socket;
  // With TLS: the encrypted stream over `socket`, made at accept from the context then current
  // (OpenSSL keeps that context alive for the connection's life, whatever reloads follow).
  std::optional<beast::ssl_stream<tcp::socket&>> tls;
  // True while waiting for the first byte of the next request (nothing in flight), so Stop() may
  // close it at once. Read and written only on the strand.
  bool idle = false;
};

// Self-metrics; point into the Registry when one is given, else into `fallback_*`.
struct ServerStats {
  Counter* requests_by_class[5];  // 1xx..5xx
  Gauge* in_flight;
  Gauge* connections;
  Counter* bytes_in;   // request bytes parsed (head + body)
  Counter* bytes_out;  // response bytes written
  Counter* tls_handshake_failures;
};

struct Server::Impl {
  Impl(ServerOptions opts, const Router* r);

  // --- server.cc
  void RegisterStats();
  Status Start();
  void Stop();
  asio::awaitable<void> AcceptLoop();
  // Posts a close to each tracked connection's strand; with only_idle, skips busy ones.
  void CloseConnections(bool only_idle);

  // --- session.cc
  // The connection's life: the TLS handshake when serving TLS, then Serve.
  asio::awaitable<void> Session(std::shared_ptr<Connection> conn);
  // The TLS handshake, within kHandshakeTime; whether the connection may go on.
  asio::awaitable<bool> Handshake(std::shared_ptr<Connection> conn);
  // The request loop on `stream`: conn->socket itself, or its TLS stream. A template so that
  // plain HTTP pays nothing for TLS (no indirection per read or write).
  template <class Stream>
  asio::awaitable<void> Serve(std::shared_ptr<Connection> conn, Stream& stream);
  // Runs the router on the calling (worker) thread; exceptions become 500.
  Response RunHandler(const Request& request) const;
  asio::awaitable<void> LingeringClose(std::shared_ptr<Connection> conn) const;
  void CountResponse(int status, uint64_t bytes) const;

  // Gate (Seastar's gate): counts requests between their first byte and their response
  // written. Stop() waits for it to reach zero.
  void EnterGate();
  void LeaveGate();

  const ServerOptions options;
  std::unique_ptr<TlsContext> tls;  // set by Start() when options.tls is enabled
  const Router* const router;
  Logger* const logger;
  ServerStats stats{};
  Counter fallback_counters[8];
  Gauge fallback_gauges[2];

  // Set once by Stop(); sessions then answer with "Connection: close" and do not wait for
  // another request.
  std::atomic<bool> stopping{false};

  std::mutex lifecycle_mu;  // serializes Start() and Stop()
  enum class State { kNew, kRunning, kStopped };
  State state = State::kNew;  // guarded by lifecycle_mu
  uint16_t port = 0;          // written by Start() before any thread starts; then read-only

  std::mutex mu;
  std::condition_variable cv;  // signalled when in_flight reaches 0 or a connection ends
  int in_flight = 0;           // guarded by mu
  std::unordered_map<Connection*, std::shared_ptr<Connection>> connections;  // guarded by mu

  // Declared after everything a coroutine frame touches from its destructor (mu, connections,
  // stats): destroying the io_context destroys frames still suspended in it.
  asio::io_context ioc;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
  std::optional<tcp::acceptor> acceptor;     // on its own strand
  std::optional<asio::thread_pool> workers;  // handlers run here; they may block
  std::vector<std::thread> io_threads;
};

}  // namespace vigil::http
