// One connection's request loop: read, hand to a worker, write, repeat (HTTP/1.1 keep-alive).
#include <chrono>
#include <exception>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "common/ascii.h"
#include "http/server_impl.h"

namespace vigil::http {
namespace {

// Large enough for any sane request head; Beast's default (8 KiB) is tight for long cookies.
constexpr uint32_t kHeaderLimit = 64 * 1024;
// Per-connection read buffer: Beast's largest single read.
constexpr size_t kReadBufferBytes = 64 * 1024;
// Lingering close after an error answered before the body was read: drain what the client is
// still sending (so our response is not lost to a TCP reset), within these bounds.
constexpr auto kLingerTime = std::chrono::seconds(2);
constexpr size_t kLingerMaxBytes = 64 << 20;
// A TLS client must finish its handshake within this; its close_notify exchange, this.
constexpr auto kHandshakeTime = std::chrono::seconds(10);
constexpr auto kTlsShutdownTime = std::chrono::seconds(1);

// Closes the connection's socket when `timer` expires first: bounds an operation that has no
// deadline of its own. The handler runs on the connection's strand, like its coroutine.
void CloseOnExpiry(asio::steady_timer& timer, const std::shared_ptr<Connection>& conn) {
  timer.async_wait([conn](const boost::system::error_code& e) {
    boost::system::error_code ignored;
    if (!e) conn->socket.close(ignored);
  });
}

bool EqualsIgnoreCase(std::string_view a, beast::string_view b) {
  return beast::iequals(beast::string_view(a.data(), a.size()), b);
}

std::string FormatEndpoint(const tcp::socket& socket) {
  boost::system::error_code ec;
  tcp::endpoint ep = socket.remote_endpoint(ec);
  if (ec) return "";
  std::string addr = ep.address().to_string();
  if (ep.address().is_v6()) addr = "[" + addr + "]";
  return addr + ":" + std::to_string(ep.port());
}

// Moves the parsed message into a Request; the body string changes owner, it is not copied.
Request ToRequest(bhttp::request<bhttp::string_body>&& msg, const std::string& remote,
                  bool secure) {
  Request req;
  req.method = std::string(msg.method_string());
  req.target = std::string(msg.target());
  size_t q = req.target.find('?');
  req.path = req.target.substr(0, q);
  if (q != std::string::npos) req.query = req.target.substr(q + 1);
  req.headers.reserve(16);
  for (const auto& field : msg) {
    req.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  }
  req.body = std::move(msg.body());
  req.remote_address = remote;
  req.secure = secure;
  return req;
}

bhttp::response<bhttp::string_body> ToBeast(Response&& res, unsigned version, bool keep_alive) {
  bhttp::response<bhttp::string_body> out;
  out.version(version);
  out.result(res.status >= 100 && res.status <= 999 ? static_cast<unsigned>(res.status) : 500u);
  for (auto& [name, value] : res.headers) {
    if (EqualsIgnoreCase(name, "Content-Length") || EqualsIgnoreCase(name, "Transfer-Encoding") ||
        EqualsIgnoreCase(name, "Connection")) {
      continue;  // framing is ours
    }
    out.insert(name, value);
  }
  out.body() = std::move(res.body);
  out.keep_alive(keep_alive);
  out.prepare_payload();
  return out;
}

// Whether `accept` (an Accept-Encoding value) takes gzip: a "gzip" coding not given q=0.
bool AcceptsGzip(std::string_view accept) {
  while (!accept.empty()) {
    const size_t comma = accept.find(',');
    std::string_view coding = accept.substr(0, comma);
    accept = comma == std::string_view::npos ? std::string_view() : accept.substr(comma + 1);
    while (!coding.empty() && coding.front() == ' ') coding.remove_prefix(1);
    const size_t semi = coding.find(';');
    std::string_view name = coding.substr(0, semi);
    while (!name.empty() && name.back() == ' ') name.remove_suffix(1);
    if (!EqualsIgnoreCase(name, "gzip")) continue;
    if (semi == std::string_view::npos) return true;
    std::string_view q = coding.substr(semi + 1);
    while (!q.empty() && q.front() == ' ') q.remove_prefix(1);
    return !(q.starts_with("q=0") && q.find_first_not_of("q=0.") == std::string_view::npos);
  }
  return false;
}

void MaybeCompress(const Request& request, Response* response) {
  constexpr size_t kMinBytes = 1024;
  if (response->status != 200 || response->body.size() < kMinBytes) return;
  const auto accept = request.Header("Accept-Encoding");
  if (!accept || !AcceptsGzip(*accept)) return;
  bool compressible = false;
  for (const auto& [name, value] : response->headers) {
    if (EqualsIgnoreCase(name, "Content-Encoding")) return;
    if (EqualsIgnoreCase(name, "Content-Type")) {
      compressible = StartsWithIgnoreCase(value, "application/json") ||
                     StartsWithIgnoreCase(value, "application/x-amz-json") ||
                     StartsWithIgnoreCase(value, "text/") ||
                     StartsWithIgnoreCase(value, "application/xml");
    }
  }
  if (!compressible) return;
  response->body = Gzip(response->body, 1);
  response->headers.emplace_back("Content-Encoding", "gzip");
  response->headers.emplace_back("Vary", "Accept-Encoding");
}

// Status for a parse failure, or 0 when the connection just went away.
int StatusForReadError(const boost::system::error_code& ec) {
  if (ec == bhttp::error::body_limit) return 413;
  if (ec == bhttp::error::header_limit) return 431;
  if (ec == bhttp::error::end_of_stream || ec == bhttp::error::partial_message) return 0;
  if (ec.category() == bhttp::make_error_code(bhttp::error::bad_method).category()) return 400;
  return 0;
}

}  // namespace

void Server::Impl::EnterGate() {
  std::lock_guard lock(mu);
  ++in_flight;
  stats.in_flight->Add(1);
}

void Server::Impl::LeaveGate() {
  std::lock_guard lock(mu);
  stats.in_flight->Add(-1);
  if (--in_flight == 0) cv.notify_all();
}

void Server::Impl::CountResponse(int status, uint64_t bytes) const {
  int cls = status / 100 - 1;
  if (cls >= 0 && cls < 5) stats.requests_by_class[cls]->Add();
  stats.bytes_out->Add(bytes);
}

Response Server::Impl::RunHandler(const Request& request) const {
  try {
    Response response = router->Dispatch(request);
    if (options.compress_responses) MaybeCompress(request, &response);
    return response;
  } catch (const std::exception& e) {
    logger->Error("http", request.method + " " + request.path + ": handler threw: " + e.what());
  } catch (...) {
    logger->Error("http", request.method + " " + request.path + ": handler threw");
  }
  return Response::Text(500, "500 internal server error\n");
}

asio::awaitable<void> Server::Impl::LingeringClose(std::shared_ptr<Connection> conn) const {
  boost::system::error_code ec;
  conn->socket.shutdown(tcp::socket::shutdown_send, ec);
  asio::steady_timer timer(co_await asio::this_coro::executor, kLingerTime);
  CloseOnExpiry(timer, conn);
  std::string sink(16 * 1024, '\0');  // discarded bytes land here
  size_t drained = 0;
  while (!ec && drained < kLingerMaxBytes) {
    drained += co_await conn->socket.async_read_some(asio::buffer(sink.data(), sink.size()),
                                                     asio::redirect_error(asio::use_awaitable, ec));
  }
  timer.cancel();
}

asio::awaitable<void> Server::Impl::Session(std::shared_ptr<Connection> conn) {
  if (!conn->tls) {
    co_await Serve(conn, conn->socket);
  } else if (co_await Handshake(conn)) {
    co_await Serve(conn, *conn->tls);
  }
  boost::system::error_code ec;
  conn->socket.close(ec);
  stats.connections->Add(-1);
  std::lock_guard lock(mu);
  connections.erase(conn.get());
  cv.notify_all();
}

asio::awaitable<bool> Server::Impl::Handshake(std::shared_ptr<Connection> conn) {
  // Until the handshake is done the connection holds no request: Stop() may close it.
  conn->idle = true;
  boost::system::error_code ec;
  asio::steady_timer timer(conn->socket.get_executor(), kHandshakeTime);
  CloseOnExpiry(timer, conn);
  co_await conn->tls->async_handshake(asio::ssl::stream_base::server,
                                      asio::redirect_error(asio::use_awaitable, ec));
  timer.cancel();
  conn->idle = false;
  // Plain HTTP sent to this port, an old protocol version, an untrusting client: counted, not
  // logged (a scanner may send anything).
  if (ec) stats.tls_handshake_failures->Add();
  co_return !ec && !stopping;
}

template <class Stream>
asio::awaitable<void> Server::Impl::Serve(std::shared_ptr<Connection> conn, Stream& stream) {
  constexpr bool kTls = !std::is_same_v<Stream, tcp::socket>;
  const std::string remote = FormatEndpoint(conn->socket);
  // Beast reads at most the buffer's free capacity (>= 512 B, <= 64 KiB) per recv. A fresh
  // flat_buffer grows only to what each read asked for, so without this reserve a 250 KB body
  // took ~500 recv calls of 512 B (measured: 63k recvs for 108 requests); now it takes ~4.
  beast::flat_buffer buffer;
  buffer.reserve(kReadBufferBytes);
  boost::system::error_code ec;
  bool linger = false;
  for (;;) {
    // Wait for the first byte before reading: until then the connection is idle and Stop() may
    // close it; from then on the request counts as in flight and Stop() drains it.
    if (buffer.size() == 0) {
      conn->idle = true;
      if (stopping) break;
      if constexpr (kTls) {
        // The TLS layer may hold the next request's bytes already (read with the last one's), so
        // a wait on the socket could sleep on them: read instead.
        const size_t got = co_await stream.async_read_some(
            buffer.prepare(kReadBufferBytes), asio::redirect_error(asio::use_awaitable, ec));
        buffer.commit(got);
      } else {
        co_await conn->socket.async_wait(tcp::socket::wait_read,
                                         asio::redirect_error(asio::use_awaitable, ec));
      }
      conn->idle = false;
      if (ec) break;
    }
    EnterGate();
    struct GateGuard {
      Impl* impl;
      ~GateGuard() { impl->LeaveGate(); }
    } gate{this};

    bhttp::request_parser<bhttp::string_body> parser;
    parser.header_limit(kHeaderLimit);
    parser.body_limit(options.max_body_bytes);
    size_t n = co_await bhttp::async_read_header(stream, buffer, parser,
                                                 asio::redirect_error(asio::use_awaitable, ec));
    if (!ec && parser.get().version() >= 11 &&
        EqualsIgnoreCase("100-continue", parser.get()[bhttp::field::expect])) {
      // The client waits for this before sending the body (curl does for large uploads).
      static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
      co_await asio::async_write(stream, asio::buffer(kContinue),
                                 asio::redirect_error(asio::use_awaitable, ec));
    }
    if (!ec && !parser.is_done()) {
      n += co_await bhttp::async_read(stream, buffer, parser,
                                      asio::redirect_error(asio::use_awaitable, ec));
    }
    stats.bytes_in->Add(n);

    Response response;
    unsigned version = 11;
    bool keep_alive = false;
    bool head = false;
    if (ec) {
      int status = StatusForReadError(ec);
      if (status == 0) break;
      response = Response::Text(status, status == 413   ? "413 request body too large\n"
                                        : status == 431 ? "431 request header too large\n"
                                                        : "400 bad request\n");
      linger = true;
    } else {
      version = parser.get().version();
      keep_alive = parser.get().keep_alive();
      head = parser.get().method() == bhttp::verb::head;
      Request request = ToRequest(parser.release(), remote, kTls);
      if (options.delay) {
        const std::chrono::milliseconds hold = options.delay(request);
        if (hold.count() > 0) {
          asio::steady_timer timer(conn->socket.get_executor(), hold);
          boost::system::error_code timer_ec;  // only cancellation, at ~io_context
          co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, timer_ec));
        }
      }
      // Hop to a worker: handlers may block (WAL fsync). co_spawn, not post(pool): a coroutine
      // resumed by post(pool, use_awaitable) comes straight back to its own executor (the
      // strand), so the handler would run on an io thread. The awaited result resumes us on the
      // connection's strand.
      response = co_await asio::co_spawn(
          *workers,
          [this, &request]() -> asio::awaitable<Response> { co_return RunHandler(request); },
          asio::use_awaitable);
    }

    const int status = response.status;
    keep_alive = keep_alive && !stopping;
    auto out = ToBeast(std::move(response), version, keep_alive);
    if (head) {
      // Content-Length states what a GET would return; the body itself is never sent.
      bhttp::response_serializer<bhttp::string_body> serializer(out);
      n = co_await bhttp::async_write_header(stream, serializer,
                                             asio::redirect_error(asio::use_awaitable, ec));
    } else {
      n = co_await bhttp::async_write(stream, out, asio::redirect_error(asio::use_awaitable, ec));
    }
    CountResponse(status, n);
    if (ec || !keep_alive) break;
  }

  if (linger && !ec) {
    co_await LingeringClose(conn);
  } else if constexpr (kTls) {
    // close_notify, so that a client reading to the end of the stream sees a clean end.
    if (!ec && conn->socket.is_open()) {
      asio::steady_timer timer(conn->socket.get_executor(), kTlsShutdownTime);
      CloseOnExpiry(timer, conn);
      co_await stream.async_shutdown(asio::redirect_error(asio::use_awaitable, ec));
      timer.cancel();
    }
  } else {
    conn->socket.shutdown(tcp::socket::shutdown_send, ec);
  }
}

}  // namespace vigil::http
