// A client connection's request loop (see lb.h); Forward (forward.cc) answers each request.
#include <sys/socket.h>

#include <algorithm>
#include <chrono>
#include <limits>
#include <optional>

#include "lb/relay.h"

namespace vigil::lb {
namespace {

// After an error answered before the request was read whole, the rest is read and dropped for
// this long (at most kLingerBytes), so that the answer is not lost to a TCP reset.
constexpr int64_t kLingerNs = 1'000'000'000;
constexpr size_t kLingerBytes = 1 << 20;

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
    ++sessions;
    asio::co_spawn(io, Session(a, std::move(socket)), asio::detached);
  }
}

Awaitable<void> Worker::Session(size_t a, Socket socket) {
  LbApp& app = lb->app(a);
  const Options& opt = lb->options();
  app.active_connections.fetch_add(1, std::memory_order_relaxed);
  {
    std::lock_guard l(stats[a]->mu);
    ++stats[a]->new_connections;
  }
  const std::string remote = RemoteIp(socket);
  auto self = clients.insert(clients.end(), ClientConn{&socket, false});
  ArmedDeadline deadline(this, &socket);
  // Beast reads at most the buffer's free capacity (at least 512 B) at a time, and a fresh
  // flat_buffer grows only to what each read asked for: without this a body was relayed in
  // reads (and writes, and chunks) of 512 B to 1 KiB. See http/session.cc.
  beast::flat_buffer buffer;
  buffer.reserve(kRelayChunk);
  bool linger = false;
  while (!lb->stopping()) {
    bhttp::request_parser<bhttp::empty_body> head;
    head.header_limit(static_cast<uint32_t>(opt.max_header_bytes));
    // Forward limits the body itself; Beast's default (1 MiB) would refuse a larger
    // Content-Length here, with the header.
    head.body_limit(std::numeric_limits<uint64_t>::max());
    deadline->at_ns = NowNs() + opt.idle_timeout_ms * 1'000'000;
    self->idle = true;
    ErrorCode ec;
    co_await bhttp::async_read_header(socket, buffer, head, Into(ec));
    self->idle = false;
    if (ec) {
      if (ec == bhttp::error::header_limit) {
        co_await WriteError(socket, 431, "431 Request Header Fields Too Large", 11, false);
        linger = true;
      } else if (ec.category() == bhttp::make_error_code(bhttp::error::bad_method).category() &&
                 ec != bhttp::error::end_of_stream && ec != bhttp::error::partial_message) {
        co_await WriteError(socket, 400, "400 Bad Request: " + ec.message(), 11, false);
        linger = true;
      }
      break;
    }
    lb->in_flight.fetch_add(1);
    const ForwardResult r = co_await Forward(a, socket, *deadline, buffer, head, remote);
    lb->in_flight.fetch_sub(1);
    linger = r.linger;
    if (!r.keep) break;
  }
  if (linger && socket.is_open()) co_await Linger(socket, *deadline);
  clients.erase(self);
  ErrorCode ec;
  socket.shutdown(Socket::shutdown_send, ec);
  socket.close(ec);
  app.active_connections.fetch_sub(1, std::memory_order_relaxed);
  --sessions;
}

}  // namespace vigil::lb
