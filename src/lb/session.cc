// A client connection's request loop and the forwarding of one request (see lb.h).
#include <sys/socket.h>

#include <algorithm>
#include <chrono>
#include <limits>
#include <optional>

#include "lb/proxy.h"

namespace vigil::lb {
namespace {

using SteadyClock = std::chrono::steady_clock;
using ErrorCode = boost::system::error_code;

// After a stall is reported, how often a waiting request looks whether its target left rotation.
constexpr auto kRotationPoll = std::chrono::milliseconds(10);
constexpr size_t kRelayChunk = 16 << 10;
constexpr size_t kMaxIdlePerTarget = 256;

int64_t MicrosSince(SteadyClock::time_point t) {
  return std::chrono::duration_cast<std::chrono::microseconds>(SteadyClock::now() - t).count();
}

bool Idempotent(bhttp::verb v) {
  switch (v) {
    case bhttp::verb::get:
    case bhttp::verb::head:
    case bhttp::verb::options:
    case bhttp::verb::trace:
    case bhttp::verb::put:
    case bhttp::verb::delete_:
      return true;
    default:
      return false;
  }
}

// Removes the hop-by-hop fields (RFC 9110 7.6.1): Connection, the fields it names, and the
// fixed set. Framing (Content-Length, Transfer-Encoding) stays: parser and serializer own it.
template <class Fields>
void StripHopByHop(Fields& fields) {
  std::vector<std::string> named;
  const auto range = fields.equal_range(bhttp::field::connection);
  for (auto it = range.first; it != range.second; ++it) {
    beast::string_view value = it->value();
    size_t begin = 0;
    while (begin < value.size()) {
      size_t end = value.find(',', begin);
      if (end == beast::string_view::npos) end = value.size();
      beast::string_view token = value.substr(begin, end - begin);
      while (!token.empty() && (token.front() == ' ' || token.front() == '\t')) token.remove_prefix(1);
      while (!token.empty() && (token.back() == ' ' || token.back() == '\t')) token.remove_suffix(1);
      if (!token.empty() && !beast::iequals(token, "close") && !beast::iequals(token, "keep-alive")) {
        named.emplace_back(token);
      }
      begin = end + 1;
    }
  }
  for (const std::string& name : named) {
    if (!beast::iequals(name, "content-length") && !beast::iequals(name, "transfer-encoding")) {
      fields.erase(name);
    }
  }
  for (bhttp::field f : {bhttp::field::connection, bhttp::field::keep_alive,
                         bhttp::field::proxy_connection, bhttp::field::te, bhttp::field::trailer,
                         bhttp::field::upgrade}) {
    fields.erase(f);
  }
}

std::string RemoteIp(const tcp::socket& socket) {
  ErrorCode ec;
  const tcp::endpoint ep = socket.remote_endpoint(ec);
  return ec ? "-" : ep.address().to_string();
}

bool InRotation(const fleet::TargetGroup& group, const fleet::Target& target) {
  auto now = group.Targets();
  for (const fleet::Target& t : *now) {
    if (t.instance_id == target.instance_id && t.in_rotation_since_ns == target.in_rotation_since_ns) {
      return true;
    }
  }
  return false;
}

std::string PoolKey(const fleet::Target& t) {
  return t.instance_id + ":" + std::to_string(t.port) + ":" + std::to_string(t.in_rotation_since_ns);
}

// A pooled connection the peer closed (or wrote to unasked) must not be reused.
bool StillOpen(UpstreamConn& conn) {
  char c;
  const ssize_t n =
      ::recv(conn.stream.socket().native_handle(), &c, 1, MSG_PEEK | MSG_DONTWAIT);
  return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

struct RelayResult {
  ErrorCode read_ec, write_ec;
  uint64_t bytes = 0;
};

// Moves a message whose header `p` has read from `from` to `to`: the header at once, then the
// body a read at a time, so that a peer sending slowly (server-sent events, a long upload) is
// relayed as it sends rather than held back until kRelayChunk bytes gather.
template <bool isRequest>
asio::awaitable<RelayResult> Relay(beast::tcp_stream& from, beast::flat_buffer& from_buffer,
                                   bhttp::parser<isRequest, bhttp::buffer_body>& p,
                                   beast::tcp_stream& to, std::chrono::milliseconds timeout) {
  std::unique_ptr<char[]> buf(new char[kRelayChunk]);
  bhttp::serializer<isRequest, bhttp::buffer_body> sr{p.get()};
  RelayResult r;
  to.expires_after(timeout);
  co_await bhttp::async_write_header(to, sr, asio::redirect_error(asio::use_awaitable, r.write_ec));
  if (r.write_ec) co_return r;
  auto& body = p.get().body();
  while (!sr.is_done()) {
    if (!p.is_done()) {
      body.data = buf.get();
      body.size = kRelayChunk;
      from.expires_after(timeout);
      co_await bhttp::async_read_some(from, from_buffer, p,
                                      asio::redirect_error(asio::use_awaitable, r.read_ec));
      if (r.read_ec == bhttp::error::need_buffer) r.read_ec = {};
      if (r.read_ec) co_return r;
      body.size = kRelayChunk - body.size;
      // No data, not an empty buffer: the serializer would write an empty buffer as a chunk of
      // size 0, which ends a chunked body early (or trails the real end with junk).
      body.data = body.size > 0 ? buf.get() : nullptr;
      body.more = !p.is_done();
      if (body.size == 0 && body.more) continue;  // only framing (a chunk header) was parsed
      r.bytes += body.size;
    } else {
      body.data = nullptr;
      body.size = 0;
      body.more = false;
    }
    to.expires_after(timeout);
    co_await bhttp::async_write(to, sr, asio::redirect_error(asio::use_awaitable, r.write_ec));
    if (r.write_ec == bhttp::error::need_buffer) r.write_ec = {};
    if (r.write_ec) co_return r;
  }
  co_return r;
}

asio::awaitable<bool> WriteError(beast::tcp_stream& client, int status, const std::string& text,
                                 unsigned version, bool keep_alive) {
  bhttp::response<bhttp::string_body> res{static_cast<bhttp::status>(status), version};
  res.set(bhttp::field::content_type, "text/plain; charset=utf-8");
  res.body() = text + "\n";
  res.keep_alive(keep_alive);
  res.prepare_payload();
  ErrorCode ec;
  co_await bhttp::async_write(client, res, asio::redirect_error(asio::use_awaitable, ec));
  co_return !ec && keep_alive;
}

// What happened while a request waited for its response header.
struct Watch {
  explicit Watch(asio::io_context& io) : timer(io) {}
  asio::steady_timer timer;
  bool done = false;
  bool abandoned = false;  // the target left rotation meanwhile
};

// Runs beside a request waiting for its response header: after stall_timeout reports a stall
// to the fleet, then cancels the wait if the target leaves rotation.
asio::awaitable<void> WatchTarget(std::shared_ptr<Watch> w, beast::tcp_stream* stream,
                                  fleet::TargetGroup* group, fleet::Target target,
                                  std::chrono::milliseconds stall) {
  ErrorCode ec;
  w->timer.expires_after(stall);
  co_await w->timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  if (w->done) co_return;
  group->Report(target.instance_id, fleet::Failure::kStall,
                "no response byte for " + std::to_string(stall.count()) + " ms");
  while (!w->done) {
    if (!InRotation(*group, target)) {
      w->abandoned = true;
      stream->socket().cancel(ec);
      co_return;
    }
    w->timer.expires_after(kRotationPoll);
    co_await w->timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
}

const fleet::Target* Pick(const std::vector<fleet::Target>& targets,
                          const std::vector<std::string>& tried, int64_t slow_start_ms,
                          uint64_t* counter) {
  const size_t n = targets.size();
  if (n == 0) return nullptr;
  const size_t start = static_cast<size_t>((*counter)++ % n);
  const int64_t now_ns = SteadyClock::now().time_since_epoch().count();
  const fleet::Target* best = nullptr;
  double best_score = std::numeric_limits<double>::infinity();
  for (size_t i = 0; i < n; ++i) {
    const fleet::Target& t = targets[(start + i) % n];
    if (std::find(tried.begin(), tried.end(), t.instance_id) != tried.end()) continue;
    double score = t.load->outstanding.load(std::memory_order_relaxed) + 1;
    if (slow_start_ms > 0) {
      const double age_ms = static_cast<double>(now_ns - t.in_rotation_since_ns) / 1e6;
      if (age_ms < static_cast<double>(slow_start_ms)) {
        score /= std::max(0.05, age_ms / static_cast<double>(slow_start_ms));
      }
    }
    if (score < best_score) {
      best_score = score;
      best = &t;
    }
  }
  return best;
}

// Counts a request in flight on a target for as long as it lives.
class LoadGuard {
 public:
  explicit LoadGuard(std::shared_ptr<fleet::TargetLoad> load) : load_(std::move(load)) {
    load_->outstanding.fetch_add(1, std::memory_order_relaxed);
  }
  ~LoadGuard() { load_->outstanding.fetch_sub(1, std::memory_order_relaxed); }
  LoadGuard(const LoadGuard&) = delete;
  LoadGuard& operator=(const LoadGuard&) = delete;

 private:
  std::shared_ptr<fleet::TargetLoad> load_;
};

}  // namespace

asio::awaitable<void> Worker::AcceptLoop(size_t a) {
  tcp::acceptor& acceptor = *acceptors[a];
  for (;;) {
    ErrorCode ec;
    tcp::socket socket(io);
    co_await acceptor.async_accept(socket, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      if (!acceptor.is_open() || lb->stopping()) co_return;
      // Out of descriptors and the like: let connections finish before accepting again.
      asio::steady_timer pause(io);
      pause.expires_after(std::chrono::milliseconds(10));
      co_await pause.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      continue;
    }
    socket.set_option(tcp::no_delay(true), ec);
    ++sessions;
    asio::co_spawn(io, Session(a, std::move(socket)), asio::detached);
  }
}

asio::awaitable<void> Worker::Session(size_t a, tcp::socket socket) {
  LbApp& app = lb->app(a);
  const Options& opt = lb->options();
  app.active_connections.fetch_add(1, std::memory_order_relaxed);
  {
    std::lock_guard l(stats[a]->mu);
    ++stats[a]->new_connections;
  }
  const std::string remote = RemoteIp(socket);
  beast::tcp_stream client(std::move(socket));
  auto self = clients.insert(clients.end(), &client);
  // Beast reads at most the buffer's free capacity (at least 512 B) at a time, and a fresh
  // flat_buffer grows only to what each read asked for: without this a body was relayed in
  // reads (and writes, and chunks) of 512 B to 1 KiB. See http/session.cc.
  beast::flat_buffer buffer;
  buffer.reserve(kRelayChunk);
  while (!lb->stopping()) {
    bhttp::request_parser<bhttp::empty_body> head;
    head.header_limit(static_cast<uint32_t>(opt.max_header_bytes));
    // Forward limits the body itself; Beast's default (1 MiB) would refuse a larger
    // Content-Length here, with the header.
    head.body_limit(std::numeric_limits<uint64_t>::max());
    client.expires_after(std::chrono::milliseconds(opt.idle_timeout_ms));
    ErrorCode ec;
    co_await bhttp::async_read_header(client, buffer, head,
                                      asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      if (ec == bhttp::error::header_limit) {
        co_await WriteError(client, 431, "431 Request Header Fields Too Large", 11, false);
      } else if (ec.category() == bhttp::make_error_code(bhttp::error::bad_method).category() &&
                 ec != bhttp::error::end_of_stream && ec != bhttp::error::partial_message) {
        co_await WriteError(client, 400, "400 Bad Request: " + ec.message(), 11, false);
      }
      break;
    }
    lb->in_flight.fetch_add(1);
    const bool keep = co_await Forward(a, client, buffer, head, remote);
    lb->in_flight.fetch_sub(1);
    if (!keep) break;
  }
  clients.erase(self);
  ErrorCode ec;
  client.socket().shutdown(tcp::socket::shutdown_send, ec);
  client.socket().close(ec);
  app.active_connections.fetch_sub(1, std::memory_order_relaxed);
  --sessions;
}

asio::awaitable<bool> Worker::Forward(size_t a, beast::tcp_stream& client,
                                      beast::flat_buffer& buffer,
                                      bhttp::request_parser<bhttp::empty_body>& head,
                                      const std::string& remote) {
  LbApp& app = lb->app(a);
  AppStats& st = *stats[a];
  const Options& opt = lb->options();
  fleet::TargetGroup* group = app.listener.targets;
  const auto start = SteadyClock::now();
  const auto timeout = std::chrono::milliseconds(opt.response_timeout_ms);

  auto& req = head.get();
  const bool client_keep_alive = req.keep_alive();
  const unsigned version = req.version();
  const bool idempotent = Idempotent(req.method());
  const bool is_head = req.method() == bhttp::verb::head;
  const auto length = head.content_length();
  const bool has_body = head.chunked() || (length && *length > 0);
  const bool buffered = !head.chunked() && (!length || *length <= opt.retry_buffer_bytes);
  std::string request_line = std::string(req.method_string()) + " " + std::string(req.target()) +
                             (version == 10 ? " HTTP/1.0" : " HTTP/1.1");
  const std::string user_agent = std::string(req[bhttp::field::user_agent]);

  ErrorCode ec;
  if (has_body && beast::iequals(req[bhttp::field::expect], "100-continue")) {
    // The body is wanted (buffered here, or streamed at once): say so ourselves.
    static constexpr char kContinue[] = "HTTP/1.1 100 Continue\r\n\r\n";
    co_await asio::async_write(client.socket(), asio::buffer(kContinue, sizeof(kContinue) - 1),
                               asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return false;
  }
  // Never forwarded, with a body or without: the target would answer a 100 of its own, which
  // would be taken for the response (interim 1xx answers are not skipped).
  req.erase(bhttp::field::expect);
  StripHopByHop(req);
  const beast::string_view prior = req["X-Forwarded-For"];
  req.set("X-Forwarded-For",
          prior.empty() ? remote : std::string(prior) + ", " + remote);
  req.set("X-Forwarded-Proto", "http");
  req.set("X-Forwarded-Port", std::to_string(app.port));
  req.version(11);
  req.keep_alive(true);

  std::optional<bhttp::request_parser<bhttp::string_body>> whole;
  std::optional<bhttp::request_parser<bhttp::buffer_body>> stream;
  if (buffered) {
    whole.emplace(std::move(head));
    whole->body_limit(opt.retry_buffer_bytes);
    client.expires_after(timeout);
    co_await bhttp::async_read(client, buffer, *whole, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return false;  // the client went away or sent a broken body
  } else {
    stream.emplace(std::move(head));
    stream->body_limit(std::numeric_limits<uint64_t>::max());
  }

  std::vector<std::string> tried;
  std::string last_error = "no healthy instance";
  std::string target_id = "-", target_addr = "-";
  int attempts = 0;
  int status = 0;
  int target_status = 0;
  bool keep = false;
  uint64_t bytes_in = buffered ? whole->get().body().size() : 0, bytes_out = 0;
  int64_t target_us = -1;
  bool elb_error = true;
  while (attempts < opt.max_attempts) {
    auto targets = group->Targets();
    const fleet::Target* picked =
        Pick(*targets, tried, group->spec().slow_start_ms, &pick_counter);
    if (picked == nullptr) break;
    const fleet::Target target = *picked;
    ++attempts;
    target_id = target.instance_id;
    target_addr = target.host + ":" + std::to_string(target.port);
    const std::string key = PoolKey(target);

    std::unique_ptr<UpstreamConn> conn;
    auto& idle = pools[key].idle;
    while (!idle.empty() && !conn) {
      conn = std::move(idle.back());
      idle.pop_back();
      if (!StillOpen(*conn)) conn.reset();
    }
    const bool reused = conn != nullptr;
    if (!reused) {
      conn = std::make_unique<UpstreamConn>(io);
      conn->buffer.reserve(kRelayChunk);  // as the client's buffer in Session
      conn->stream.expires_after(std::chrono::milliseconds(opt.connect_timeout_ms));
      co_await conn->stream.async_connect(
          tcp::endpoint(asio::ip::make_address(target.host, ec), target.port),
          asio::redirect_error(asio::use_awaitable, ec));
      if (ec) {
        last_error = "connecting to " + target_id + " (" + target_addr + "): " + ec.message();
        group->Report(target.instance_id, fleet::Failure::kConnect, last_error);
        tried.push_back(target.instance_id);
        std::lock_guard l(st.mu);
        ++st.connection_errors;
        continue;  // nothing was sent: any request may go elsewhere
      }
      conn->stream.socket().set_option(tcp::no_delay(true), ec);
    }
    LoadGuard guard(target.load);
    const auto sent_at = SteadyClock::now();
    conn->stream.expires_after(timeout);
    if (buffered) {
      co_await bhttp::async_write(conn->stream, whole->get(),
                                  asio::redirect_error(asio::use_awaitable, ec));
    } else {
      RelayResult r = co_await Relay(client, buffer, *stream, conn->stream, timeout);
      bytes_in += r.bytes;
      if (r.read_ec) co_return false;  // the client broke off its own request
      ec = r.write_ec;
    }
    if (ec) {
      last_error = "sending to " + target_id + ": " + ec.message();
      if (!reused) {
        group->Report(target.instance_id, fleet::Failure::kConnect, last_error);
        tried.push_back(target.instance_id);
      }
      // A reused connection closed while idle is not the target's fault; retry on any.
      if (buffered && (idempotent || reused)) continue;
      break;
    }

    bhttp::response_parser<bhttp::buffer_body> rp;
    rp.header_limit(static_cast<uint32_t>(opt.max_header_bytes));
    rp.body_limit(std::numeric_limits<uint64_t>::max());
    if (is_head) rp.skip(true);
    auto watch = std::make_shared<Watch>(io);
    asio::co_spawn(io,
                   WatchTarget(watch, &conn->stream, group, target,
                               std::chrono::milliseconds(opt.stall_timeout_ms)),
                   asio::detached);
    co_await bhttp::async_read_header(conn->stream, conn->buffer, rp,
                                      asio::redirect_error(asio::use_awaitable, ec));
    watch->done = true;
    watch->timer.cancel();
    if (ec) {
      if (ec == beast::error::timeout) {
        last_error = target_id + " sent no response within " +
                     std::to_string(opt.response_timeout_ms) + " ms";
        status = 504;
        break;
      }
      if (rp.got_some()) {
        last_error = target_id + " sent a broken response: " + ec.message();
        break;
      }
      if (watch->abandoned) {
        last_error = target_id + " left rotation while the request waited";
      } else {
        last_error = target_id + " closed the connection before answering: " + ec.message();
        if (!reused) group->Report(target.instance_id, fleet::Failure::kConnect, last_error);
      }
      if (watch->abandoned || !reused) tried.push_back(target.instance_id);
      if (buffered && (idempotent || (reused && !watch->abandoned))) continue;
      break;
    }

    // A response: from here on the request is answered by this target, come what may.
    target_us = MicrosSince(sent_at);
    elb_error = false;
    auto& res = rp.get();
    target_status = static_cast<int>(res.result_int());
    status = target_status;
    if (target_status >= 500) {
      const int run = target.load->consecutive_5xx.fetch_add(1, std::memory_order_relaxed) + 1;
      const int limit = group->spec().consecutive_5xx;
      if (limit > 0 && run >= limit) {
        target.load->consecutive_5xx.store(0, std::memory_order_relaxed);
        group->Report(target.instance_id, fleet::Failure::k5xx,
                      std::to_string(run) + " 5xx answers in a row");
      }
    } else {
      target.load->consecutive_5xx.store(0, std::memory_order_relaxed);
    }
    const bool upstream_keep_alive = res.keep_alive();
    StripHopByHop(res);
    // A body that ends with the upstream connection (no length, not chunked) can only end for
    // the client the same way.
    keep =
        client_keep_alive && !lb->stopping() && (buffered || stream->is_done()) && !rp.need_eof();
    res.version(version);
    res.keep_alive(keep);
    RelayResult r = co_await Relay(conn->stream, conn->buffer, rp, client, timeout);
    bytes_out = r.bytes;
    if (r.read_ec || r.write_ec) keep = false;
    if (!r.read_ec && !r.write_ec && upstream_keep_alive && rp.is_done()) {
      auto& pool = pools[key].idle;
      if (pool.size() < kMaxIdlePerTarget) pool.push_back(std::move(conn));
    }
    break;
  }

  if (elb_error) {
    if (status == 0) status = attempts == 0 ? 503 : 502;
    const std::string text =
        status == 503 ? "503 Service Unavailable: no healthy instance of app '" + app.name + "'"
        : status == 504
            ? "504 Gateway Timeout: " + last_error
            : "502 Bad Gateway: app '" + app.name + "': " + last_error;
    keep = co_await WriteError(client, status, text, version,
                               client_keep_alive && !lb->stopping() &&
                                   (buffered || stream->is_done()));
  }

  {
    std::lock_guard l(st.mu);
    ++st.requests;
    if (attempts > 1) st.retries += static_cast<uint64_t>(attempts - 1);
    st.processed_bytes += bytes_in + bytes_out;
    if (elb_error) {
      ++st.elb_5xx;
      if (status == 502) ++st.elb_502;
      if (status == 503) ++st.elb_503;
      if (status == 504) ++st.elb_504;
    } else {
      ++st.target_class[std::clamp(target_status / 100, 0, 5)];
      ++st.latency[LatencyBucket(target_us)];
    }
    if (app.access_log_fd >= 0) {
      AppendAccessLog(&st.access_log, lb->options().clock->NowMillis(), app.name, remote,
                      target_id, target_addr, MicrosSince(start), target_us, status,
                      target_status, bytes_in, bytes_out, attempts, request_line, user_agent);
    }
  }
  co_return keep;
}

}  // namespace vigil::lb
