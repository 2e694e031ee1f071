// A client connection's request loop (see lb.h); Forward (forward.cc) answers each request.
#include <openssl/bio.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <utility>

#include "lb/relay.h"

namespace vigil::lb {
namespace {

// After an error answered before the request was read whole, the rest is read and dropped for
// this long (at most kLingerBytes), so that the answer is not lost to a TCP reset.
constexpr int64_t kLingerNs = 1'000'000'000;
constexpr size_t kLingerBytes = 1 << 20;
// A TLS client must finish its handshake within this; the close_notify exchange, this.
constexpr int64_t kHandshakeNs = 10'000'000'000;
constexpr int64_t kTlsShutdownNs = 1'000'000'000;

std::string RemoteIp(const Socket& socket) {
  ErrorCode ec;
  const tcp::endpoint ep = socket.remote_endpoint(ec);
  return ec ? "-" : ep.address().to_string();
}

// Reads and drops what the client still sends, for kLingerNs at most.
Awaitable<void> Linger(Socket& client, Deadline& deadline) {
  ErrorCode ec;
  client.shutdown(Socket::shutdown_send, ec);
  deadline.at_ns = NowNs() + kLingerNs;
  std::unique_ptr<char[]> sink(new char[kRelayChunk]);
  size_t drained = 0;
  while (!ec && drained < kLingerBytes) {
    drained += co_await client.async_read_some(asio::buffer(sink.get(), kRelayChunk), Into(ec));
  }
}

// A socket descriptor on its way to another worker: closed if it never arrives (the loop was
// stopped first).
class HandedOver {
 public:
  explicit HandedOver(int fd) : fd_(fd) {}
  HandedOver(HandedOver&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  HandedOver& operator=(HandedOver&& o) noexcept {
    std::swap(fd_, o.fd_);
    return *this;
  }
  ~HandedOver() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }
  int release() { return std::exchange(fd_, -1); }

 private:
  int fd_;
};

}  // namespace

Awaitable<void> Worker::AcceptLoop(size_t a) {
  Acceptor& acceptor = *acceptors[a];
  for (;;) {
    ErrorCode ec;
    Socket socket(io);
    co_await acceptor.async_accept(socket, Into(ec));
    if (ec) {
      if (!acceptor.is_open() || lb->stopping()) co_return;
      // Out of descriptors and the like: let connections finish before accepting again.
      Timer pause(io);
      pause.expires_after(std::chrono::milliseconds(10));
      co_await pause.async_wait(Into(ec));
      continue;
    }
    socket.set_option(tcp::no_delay(true), ec);
    // The kernel spreads connections over the workers' acceptors by a hash of their addresses,
    // which leaves one loop with a third more than another at a few dozen keep-alive clients
    // (and the tail latency of the busier one). A connection goes to the worker serving the
    // fewest instead.
    Worker* to = this;
    for (auto& w : lb->workers()) {
      if (w->sessions.load(std::memory_order_relaxed) <
          to->sessions.load(std::memory_order_relaxed)) {
        to = w.get();
      }
    }
    ++to->sessions;
    if (to == this) {
      asio::co_spawn(io, Session(a, std::move(socket)), asio::detached);
      continue;
    }
    const tcp protocol = socket.local_endpoint(ec).protocol();
    HandedOver fd(ec ? -1 : socket.release(ec));
    if (ec) fd = HandedOver(-1);
    asio::post(to->io, [to, a, protocol, fd = std::move(fd)]() mutable {
      Socket handed(to->io);
      ErrorCode ec;
      if (fd.get() >= 0) handed.assign(protocol, fd.release(), ec);
      if (!handed.is_open()) {
        --to->sessions;
        return;
      }
      asio::co_spawn(to->io, to->Session(a, std::move(handed)), asio::detached);
    });
  }
}

Awaitable<void> Worker::Session(size_t a, Socket socket) {
  LbApp& app = lb->app(a);
  app.active_connections.fetch_add(1, std::memory_order_relaxed);
  {
    std::lock_guard l(stats[a]->mu);
    ++stats[a]->new_connections;
  }
  const std::string remote = RemoteIp(socket);
  auto self = clients.insert(clients.end(), ClientConn{&socket, false});
  ArmedDeadline deadline(this, &socket);
  bool linger = false;
  if (app.tls == nullptr) {
    linger = co_await Serve(a, socket, *self, *deadline, remote);
  } else {
    // The context current at accept serves this connection to its end, across reloads.
    TlsSocket tls(socket, *app.tls->current());
    ErrorCode ec;
    // A client that has not finished its handshake holds no request: Stop may close it.
    self->idle = true;
    deadline->at_ns = NowNs() + kHandshakeNs;
    co_await tls.async_handshake(asio::ssl::stream_base::server, Into(ec));
    self->idle = false;
    // ClientTLSNegotiationErrorCount, as ELB counts it: a TLS connection the client initiated
    // that did not establish a session — a handshake that failed (no common protocol or cipher,
    // bytes that are not TLS such as plain HTTP, the client refusing our certificate with an
    // alert) or that did not finish within kHandshakeNs. A client that sent nothing at all
    // before it closed or timed out (a port scan, a TCP health check) initiated no TLS and is
    // not counted, nor are the handshakes Stop cuts short.
    if (ec && !lb->stopping() && BIO_number_read(SSL_get_rbio(tls.native_handle())) > 0) {
      std::lock_guard l(stats[a]->mu);
      ++stats[a]->tls_negotiation_errors;
    }
    if (!ec) linger = co_await Serve(a, tls, *self, *deadline, remote);
    if (!ec && !linger && socket.is_open()) {
      // close_notify: a client reading a body to the end of the stream sees a clean end.
      deadline->at_ns = NowNs() + kTlsShutdownNs;
      co_await tls.async_shutdown(Into(ec));
    }
  }
  if (linger && socket.is_open()) co_await Linger(socket, *deadline);
  clients.erase(self);
  ErrorCode ec;
  socket.shutdown(Socket::shutdown_send, ec);
  socket.close(ec);
  app.active_connections.fetch_sub(1, std::memory_order_relaxed);
  --sessions;
}

template <class Client>
Awaitable<bool> Worker::Serve(size_t a, Client& client, ClientConn& self, Deadline& deadline,
                              const std::string& remote) {
  const Options& opt = lb->options();
  Exchange x;
  x.response = std::make_unique<http1::Head>();
  x.scratch = std::make_unique<RelayScratch>();
  http1::Head request;
  bool linger = false;
  while (!lb->stopping()) {
    deadline.at_ns = NowNs() + opt.idle_timeout_ms * 1'000'000;
    self.idle = true;
    const HeadRead r =
        co_await ReadHead(client, x.buffer, /*request=*/true, opt.max_header_bytes, &request);
    self.idle = false;
    if (r.result == http1::ParseResult::kTooLarge) {
      co_await WriteError(client, 431, "431 Request Header Fields Too Large", 11, false);
      linger = true;
    } else if (r.result == http1::ParseResult::kBad) {
      co_await WriteError(client, 400, std::string("400 Bad Request: ") + r.error, 11, false);
      linger = true;
    }
    if (r.result != http1::ParseResult::kDone) break;  // or the client left (between requests)
    lb->in_flight.fetch_add(1);
    const ForwardResult f = co_await Forward(a, client, deadline, x, request, remote);
    lb->in_flight.fetch_sub(1);
    linger = f.linger;
    if (!f.keep) break;
  }
  co_return linger;
}

}  // namespace vigil::lb
