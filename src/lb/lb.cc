#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>

#include "common/thread_name.h"
#include "lb/proxy.h"

namespace vigil::lb {
namespace {

using SteadyClock = std::chrono::steady_clock;

// Fails when another program holds host:port: the acceptors share the port among themselves
// (SO_REUSEPORT), which would also let a second Vigil quietly share it.
Status CheckPortFree(const asio::ip::address& address, uint16_t port, const std::string& host) {
  if (port == 0) return OkStatus();
  asio::io_context io;
  Acceptor probe(io);
  boost::system::error_code ec;
  const tcp::endpoint endpoint(address, port);
  probe.open(endpoint.protocol(), ec);
  if (!ec) probe.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) probe.bind(endpoint, ec);
  if (ec) {
    return UnavailableError("cannot listen on " + host + ":" + std::to_string(port) + ": " +
                            ec.message());
  }
  return OkStatus();
}

// Opens an acceptor on host:port sharing the port with the other workers' (SO_REUSEPORT).
StatusOr<std::unique_ptr<Acceptor>> Listen(asio::io_context& io, const std::string& host,
                                           uint16_t port, bool first) {
  boost::system::error_code ec;
  const auto address = asio::ip::make_address(host, ec);
  if (ec) return InvalidArgumentError("bad listen address '" + host + "'");
  if (first) RETURN_IF_ERROR(CheckPortFree(address, port, host));
  const tcp::endpoint endpoint(address, port);
  auto acceptor = std::make_unique<Acceptor>(io);
  acceptor->open(endpoint.protocol(), ec);
  if (!ec) acceptor->set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) {
    const int one = 1;
    if (::setsockopt(acceptor->native_handle(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) != 0) {
      ec.assign(errno, boost::system::system_category());
    }
  }
  if (!ec) acceptor->bind(endpoint, ec);
  if (!ec) acceptor->listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return UnavailableError("cannot listen on " + host + ":" + std::to_string(port) + ": " +
                            ec.message());
  }
  return acceptor;
}

}  // namespace

StatusOr<std::unique_ptr<LoadBalancer>> LoadBalancer::Start(Options options) {
  auto lb = std::make_unique<LoadBalancerImpl>(std::move(options));
  RETURN_IF_ERROR(lb->Init());
  return std::unique_ptr<LoadBalancer>(std::move(lb));
}

LoadBalancerImpl::LoadBalancerImpl(Options options) : options_(std::move(options)) {}

LoadBalancerImpl::~LoadBalancerImpl() { Stop(); }

Status LoadBalancerImpl::Init() {
  if (options_.threads < 0) return InvalidArgumentError("negative load balancer threads");
  if (options_.threads == 0) {
    options_.threads = std::max(1, static_cast<int>(std::thread::hardware_concurrency() / 2));
  }
  if (options_.clock == nullptr || options_.logger == nullptr) {
    return InvalidArgumentError("the load balancer needs a clock and a logger");
  }
  for (size_t i = 0; i < static_cast<size_t>(options_.threads); ++i) {
    workers_.push_back(std::make_unique<Worker>(this, i));
  }
  for (const Listener& listener : options_.listeners) {
    if (listener.targets == nullptr) return InvalidArgumentError("a listener has no app");
    auto app = std::make_unique<LbApp>();
    app->listener = listener;
    app->name = listener.targets->spec().name;
    app->port = listener.port;
    for (auto& worker : workers_) {
      ASSIGN_OR_RETURN(auto acceptor,
                       Listen(worker->io, listener.host, app->port, worker == workers_.front()));
      app->port = acceptor->local_endpoint().port();
      worker->acceptors.push_back(std::move(acceptor));
      worker->stats.push_back(std::make_unique<AppStats>());
    }
    app->port_text = std::to_string(app->port);
    if (listener.tls.enabled()) {
      StatusOr<std::unique_ptr<http::TlsContext>> tls = http::TlsContext::Load(listener.tls);
      if (!tls.ok()) {
        return InvalidArgumentError("app " + app->name + ": " + tls.status().message());
      }
      app->tls = std::move(*tls);
    }
    if (!listener.access_log_path.empty()) {
      RETURN_IF_ERROR(
          app->access_log.Open(listener.access_log_path, listener.access_log_max_bytes));
    }
    apps_.push_back(std::move(app));
  }
  for (auto& worker : workers_) {
    for (size_t a = 0; a < apps_.size(); ++a) {
      asio::co_spawn(worker->io, worker->AcceptLoop(a), asio::detached);
    }
    asio::co_spawn(worker->io, worker->Sweeper(), asio::detached);
    worker->thread = std::thread([w = worker.get()] {
      SetThreadName("vigil-lb-" + std::to_string(w->id));
      auto guard = asio::make_work_guard(w->io);
      w->io.run();
    });
  }
  flusher_ = std::thread([this] {
    SetThreadName("vigil-lb-flush");
    FlusherLoop();
  });
  return OkStatus();
}

void LoadBalancerImpl::FlusherLoop() {
  auto next = SteadyClock::now();
  std::unique_lock l(flusher_mu_);
  while (!flusher_stop_) {
    next += std::chrono::seconds(1);
    flusher_cv_.wait_until(l, next, [&] { return flusher_stop_; });
    l.unlock();
    Flush();
    l.lock();
  }
}

void LoadBalancerImpl::Stop() {
  if (stopped_) return;
  stopped_ = true;
  stopping_ = true;
  // Stop accepting, and close the client connections waiting for their next request; those
  // with a request in flight finish it (Session sees stopping() and closes after the answer).
  for (auto& worker : workers_) {
    asio::post(worker->io, [w = worker.get()] { w->CloseClients(/*only_idle=*/true); });
  }
  const auto deadline = SteadyClock::now() + std::chrono::milliseconds(options_.shutdown_grace_ms);
  while (in_flight.load() > 0 && SteadyClock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  for (auto& worker : workers_) {
    asio::post(worker->io, [w = worker.get()] {
      w->CloseClients(/*only_idle=*/false);
      w->pools.clear();
    });
  }
  // Sessions see their sockets closed and end; one still waiting on a target after the grace
  // period is cut short by stopping the loop.
  const auto closing_deadline = SteadyClock::now() + std::chrono::seconds(1);
  for (auto& worker : workers_) {
    while (worker->sessions.load() > 0 && SteadyClock::now() < closing_deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    asio::post(worker->io, [w = worker.get()] { w->io.stop(); });
  }
  for (auto& worker : workers_) {
    if (worker->thread.joinable()) worker->thread.join();
  }
  {
    std::lock_guard l(flusher_mu_);
    flusher_stop_ = true;
  }
  flusher_cv_.notify_all();
  if (flusher_.joinable()) flusher_.join();
  Flush();
}

Status LoadBalancerImpl::ReloadTls() {
  Status first = OkStatus();
  for (const auto& app : apps_) {
    if (app->tls == nullptr) continue;
    Status s = app->tls->Reload();
    if (!s.ok() && first.ok()) {
      first = InvalidArgumentError("app " + app->name + ": " + s.message());
    }
  }
  return first;
}

void Worker::CloseClients(bool only_idle) {
  if (only_idle) {
    for (auto& acceptor : acceptors) {
      boost::system::error_code ec;
      acceptor->close(ec);
    }
  }
  for (ClientConn& client : clients) {
    if (only_idle && !client.idle) continue;
    boost::system::error_code ec;
    client.socket->shutdown(Socket::shutdown_both, ec);
    client.socket->close(ec);
  }
}

}  // namespace vigil::lb
