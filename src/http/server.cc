// Server lifecycle: bind, accept loop, graceful drain on Stop().
#include <algorithm>
#include <chrono>
#include <future>
#include <string>
#include <utility>

#include "common/thread_name.h"
#include "http/server_impl.h"

namespace vigil::http {

void Server::Impl::RegisterStats() {
  Registry* registry = options.metrics;
  ServerStats& s = stats;
  if (registry == nullptr) {
    for (int i = 0; i < 5; ++i) s.requests_by_class[i] = &fallback_counters[i];
    s.bytes_in = &fallback_counters[5];
    s.bytes_out = &fallback_counters[6];
    s.tls_handshake_failures = &fallback_counters[7];
    s.in_flight = &fallback_gauges[0];
    s.connections = &fallback_gauges[1];
    return;
  }
  static constexpr const char* kClasses[] = {"1xx", "2xx", "3xx", "4xx", "5xx"};
  for (int i = 0; i < 5; ++i) {
    s.requests_by_class[i] =
        registry->NewCounter("vigil_http_requests_total",
                             "HTTP requests answered, by status class.", {{"code", kClasses[i]}});
  }
  s.in_flight = registry->NewGauge("vigil_http_requests_in_flight",
                                   "HTTP requests read but not yet fully answered.");
  s.connections = registry->NewGauge("vigil_http_connections", "Open HTTP connections.");
  s.bytes_in = registry->NewCounter("vigil_http_request_bytes_total",
                                    "Bytes of HTTP requests parsed (head and body).");
  s.bytes_out = registry->NewCounter("vigil_http_response_bytes_total",
                                     "Bytes of HTTP responses written (head and body).");
  s.tls_handshake_failures =
      registry->NewCounter("vigil_http_tls_handshake_failures_total",
                           "TLS handshakes that failed or timed out (plain HTTP to a TLS port, "
                           "old protocol versions, clients refusing the certificate).");
}

Server::Impl::Impl(ServerOptions opts, const Router* r)
    : options(std::move(opts)),
      router(r),
      logger(options.logger != nullptr ? options.logger : &NullLogger()),
      ioc(std::max(1, options.io_threads)) {
  RegisterStats();
}

Status Server::Impl::Start() {
  std::lock_guard lifecycle(lifecycle_mu);
  if (state != State::kNew) return FailedPreconditionError("http server: Start() called twice");
  if (options.tls.enabled()) {
    ASSIGN_OR_RETURN(tls, TlsContext::Load(options.tls));
  }
  const std::string where = options.host + ":" + std::to_string(options.port);
  boost::system::error_code ec;
  tcp::resolver resolver(ioc);
  auto endpoints = resolver.resolve(options.host, std::to_string(options.port),
                                    tcp::resolver::passive | tcp::resolver::numeric_service, ec);
  if (ec || endpoints.empty()) {
    return UnavailableError("http server: cannot resolve " + where + ": " + ec.message());
  }
  tcp::endpoint endpoint = endpoints.begin()->endpoint();
  acceptor.emplace(asio::make_strand(ioc));
  acceptor->open(endpoint.protocol(), ec);
  if (!ec) acceptor->set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor->bind(endpoint, ec);
  if (!ec) acceptor->listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    acceptor.reset();
    return UnavailableError("http server: cannot listen on " + where + ": " + ec.message());
  }
  port = acceptor->local_endpoint(ec).port();
  state = State::kRunning;

  workers.emplace(static_cast<size_t>(std::max(1, options.worker_threads)));
  work.emplace(ioc.get_executor());
  asio::co_spawn(acceptor->get_executor(), AcceptLoop(), asio::detached);
  for (int i = 0; i < std::max(1, options.io_threads); ++i) {
    io_threads.emplace_back([this, i] {
      SetThreadName("vigil-http-" + std::to_string(i));
      ioc.run();
    });
  }
  logger->Info("http", std::string("listening on ") + (tls ? "https://" : "http://") +
                           options.host + ":" + std::to_string(port));
  return OkStatus();
}

asio::awaitable<void> Server::Impl::AcceptLoop() {
  for (;;) {
    boost::system::error_code ec;
    // Each connection gets its own strand: its coroutine and the socket's handlers never run
    // concurrently, while different connections spread over all io threads.
    tcp::socket socket =
        co_await acceptor->async_accept(asio::any_io_executor(asio::make_strand(ioc)),
                                        asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      if (ec == asio::error::operation_aborted || !acceptor->is_open() || stopping) co_return;
      // EMFILE and the like: back off instead of spinning on a full file table.
      logger->Warning("http", "accept: " + ec.message());
      asio::steady_timer timer(co_await asio::this_coro::executor, std::chrono::milliseconds(50));
      co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      continue;
    }
    socket.set_option(tcp::no_delay(true), ec);
    auto conn = std::make_shared<Connection>(std::move(socket));
    if (tls) conn->tls.emplace(conn->socket, *tls->current());
    {
      std::lock_guard lock(mu);
      connections.emplace(conn.get(), conn);
    }
    stats.connections->Add(1);
    asio::co_spawn(conn->socket.get_executor(), Session(conn), asio::detached);
  }
}

void Server::Impl::CloseConnections(bool only_idle) {
  std::lock_guard lock(mu);
  for (auto& [ptr, conn] : connections) {
    asio::post(conn->socket.get_executor(), [conn = conn, only_idle] {
      if (only_idle && !conn->idle) return;
      boost::system::error_code ec;
      conn->socket.shutdown(tcp::socket::shutdown_both, ec);
      conn->socket.close(ec);
    });
  }
}

void Server::Impl::Stop() {
  std::lock_guard lifecycle(lifecycle_mu);
  if (state != State::kRunning) {
    state = State::kStopped;
    return;
  }
  state = State::kStopped;
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(options.shutdown_grace_ms);
  stopping = true;

  // 1. Stop accepting; wait until the listening socket is really closed, so that a connect()
  //    issued after this point is refused.
  std::promise<void> closed;
  asio::post(acceptor->get_executor(), [this, &closed] {
    boost::system::error_code ec;
    acceptor->close(ec);
    closed.set_value();
  });
  closed.get_future().wait();

  // 2. Idle keep-alive connections have nothing to finish: close them now. Busy ones answer
  //    with "Connection: close" and end after their response.
  CloseConnections(/*only_idle=*/true);

  // 3. Drain: wait for requests in flight, up to the grace period.
  std::unique_lock lock(mu);
  bool drained = cv.wait_until(lock, deadline, [this] { return in_flight == 0; });
  if (!drained) {
    logger->Warning("http", "shutdown grace period over with " + std::to_string(in_flight) +
                                " requests in flight; closing their connections");
  }
  lock.unlock();

  // 4. Close whatever is left and let the sessions unwind (briefly: a session whose handler is
  //    still running on a worker cannot end before that handler returns).
  CloseConnections(/*only_idle=*/false);
  if (drained) {
    lock.lock();
    cv.wait_for(lock, std::chrono::seconds(1), [this] { return connections.empty(); });
    lock.unlock();
  }

  work.reset();
  ioc.stop();
  for (std::thread& t : io_threads) t.join();
  io_threads.clear();
  // No io thread runs any more, so this thread may touch the sockets directly. Close those
  // whose posted close may not have run before ioc.stop(): their clients must not wait on us.
  {
    std::lock_guard guard(mu);
    for (auto& [ptr, conn] : connections) {
      boost::system::error_code ec;
      conn->socket.shutdown(tcp::socket::shutdown_both, ec);
      conn->socket.close(ec);
    }
  }
  // Handlers still running (past the grace period) are waited for: they reference requests
  // owned by suspended coroutine frames, which must outlive them.
  workers->join();
  // Frames still suspended in the io_context hold the last references to their connections;
  // they and their sockets go with ~io_context, before the services they need.
  std::lock_guard guard(mu);
  connections.clear();
  logger->Info("http", "stopped");
}

Server::Server(ServerOptions options, const Router* router)
    : impl_(std::make_unique<Impl>(std::move(options), router)) {}

Server::~Server() { Stop(); }

Status Server::Start() { return impl_->Start(); }

uint16_t Server::port() const { return impl_->port; }

bool Server::tls() const { return impl_->options.tls.enabled(); }

Status Server::ReloadTls() {
  std::lock_guard lifecycle(impl_->lifecycle_mu);
  if (impl_->tls == nullptr || impl_->state != Impl::State::kRunning) {
    return FailedPreconditionError("http server: not serving TLS");
  }
  RETURN_IF_ERROR(impl_->tls->Reload());
  impl_->logger->Info("http", "TLS certificate reloaded from " + impl_->tls->files().cert_file);
  return OkStatus();
}

void Server::Stop() { impl_->Stop(); }

}  // namespace vigil::http
