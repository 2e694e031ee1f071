// The forwarding of one request to a target, with its retries (see lb.h).
#include <sys/socket.h>

#include <algorithm>
#include <limits>
#include <string>
#include <vector>

#include "lb/relay.h"

namespace vigil::lb {
namespace {

// Responses with a Content-Length up to this are read whole and written with their header in
// one system call; longer ones (and chunked or close-delimited ones) are streamed.
constexpr uint64_t kInlineBody = 64 << 10;
constexpr size_t kMaxIdlePerTarget = 256;
// A pooled connection idle for longer is checked for a close by its peer before reuse; one
// reused sooner is taken as it is (a close racing the reuse costs a retry, not an error).
constexpr int64_t kCheckIdleAfterNs = 1'000'000'000;

// Whether the peer closed (or wrote to) an idle pooled connection.
bool StillOpen(UpstreamConn& conn) {
  char c;
  const ssize_t n = ::recv(conn.socket.native_handle(), &c, 1, MSG_PEEK | MSG_DONTWAIT);
  return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

const fleet::Target* Pick(const std::vector<fleet::Target>& targets,
                          const std::vector<const fleet::TargetLoad*>& tried, int64_t slow_start_ms,
                          uint64_t* counter) {
  const size_t n = targets.size();
  if (n == 0) return nullptr;
  const size_t start = static_cast<size_t>((*counter)++ % n);
  const int64_t now_ns = NowNs();
  const fleet::Target* best = nullptr;
  double best_score = std::numeric_limits<double>::infinity();
  for (size_t i = 0; i < n; ++i) {
    const fleet::Target& t = targets[(start + i) % n];
    if (std::find(tried.begin(), tried.end(), t.load.get()) != tried.end()) continue;
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
  explicit LoadGuard(fleet::TargetLoad* load) : load_(load) {
    load_->outstanding.fetch_add(1, std::memory_order_relaxed);
  }
  ~LoadGuard() { load_->outstanding.fetch_sub(1, std::memory_order_relaxed); }
  LoadGuard(const LoadGuard&) = delete;
  LoadGuard& operator=(const LoadGuard&) = delete;

 private:
  fleet::TargetLoad* load_;
};

// 5xx runs eject a target (AppSpec::consecutive_5xx); any other answer ends a run.
void CountAnswer(fleet::TargetGroup* group, const fleet::Target& target, int status) {
  if (status < 500) {
    target.load->consecutive_5xx.store(0, std::memory_order_relaxed);
    return;
  }
  const int run = target.load->consecutive_5xx.fetch_add(1, std::memory_order_relaxed) + 1;
  const int limit = group->spec().consecutive_5xx;
  if (limit > 0 && run >= limit) {
    target.load->consecutive_5xx.store(0, std::memory_order_relaxed);
    group->Report(target.instance_id, fleet::Failure::k5xx,
                  std::to_string(run) + " 5xx answers in a row");
  }
}

}  // namespace

void Worker::ForgiveStaleConnection(fleet::TargetGroup* group, const fleet::Target& target,
                                    int* attempts) {
  // Its siblings in the pool most likely died with it (the instance was killed or restarted):
  // drop them, so that the next try on this target opens a new connection and finds out for
  // sure. The try does not count: idle connections must not use up a request's attempts.
  PoolOf(group, target).idle.clear();
  --*attempts;
}

std::unique_ptr<UpstreamConn> Worker::TakeIdle(fleet::TargetGroup* group,
                                               const fleet::Target& target) {
  auto& idle = PoolOf(group, target).idle;
  while (!idle.empty()) {
    std::unique_ptr<UpstreamConn> conn = std::move(idle.back());
    idle.pop_back();
    if (NowNs() - conn->idle_since_ns <= kCheckIdleAfterNs || StillOpen(*conn)) return conn;
  }
  return nullptr;
}

Pool& Worker::PoolOf(fleet::TargetGroup* group, const fleet::Target& target) {
  for (Pool& p : pools) {
    if (p.load == target.load.get() && p.in_rotation_since_ns == target.in_rotation_since_ns) {
      return p;
    }
  }
  pools.push_back(Pool{group, target.load.get(), target.in_rotation_since_ns, {}});
  return pools.back();
}

template <class Client>
Awaitable<ForwardResult> Worker::Forward(size_t a, Client& client, Deadline& client_deadline,
                                         Exchange& x, const http1::Head& req,
                                         const std::string& remote) {
  LbApp& app = lb->app(a);
  const Options& opt = lb->options();
  fleet::TargetGroup* group = app.listener.targets;
  const int64_t start_ns = NowNs();
  const int64_t timeout_ns = opt.response_timeout_ms * 1'000'000;
  RequestRecord rec;
  rec.remote = remote;

  // What is needed of the request head, taken before its bytes leave the buffer.
  const bool client_keep_alive = req.keep_alive;
  const int version = req.version;
  const bool idempotent = req.Idempotent();
  const bool is_head = req.IsHead();
  const http1::Framing framing = http1::RequestFraming(req);
  const bool buffered =
      framing.kind == http1::Framing::kNone ||
      (framing.kind == http1::Framing::kLength && framing.length <= opt.retry_buffer_bytes);
  const bool logging = app.access_log.is_open();
  if (logging) {
    x.request_line.assign(req.method).append(" ").append(req.target);
    x.request_line.append(version == 10 ? " HTTP/1.0" : " HTTP/1.1");
    x.user_agent.assign(req.Get("user-agent"));
    rec.request_line = x.request_line;
    rec.user_agent = x.user_agent;
  }
  const bool expect_continue =
      framing.kind != http1::Framing::kNone && version >= 11 && req.expect_continue;
  x.request_head.clear();
  http1::WriteRequestHead(req, remote, app.tls ? "https" : "http", app.port_text, &x.request_head);
  x.buffer.Consume(req.size);  // `req` ends here

  ErrorCode ec;
  if (expect_continue) {
    // The body is wanted (buffered here, or streamed at once): say so ourselves.
    static constexpr char kContinue[] = "HTTP/1.1 100 Continue\r\n\r\n";
    client_deadline.at_ns = NowNs() + timeout_ns;
    co_await asio::async_write(client, asio::buffer(kContinue, sizeof(kContinue) - 1), Into(ec));
    if (ec) co_return ForwardResult{};
  }
  x.request_body.clear();
  if (buffered && framing.kind == http1::Framing::kLength) {
    const size_t length = static_cast<size_t>(framing.length);
    const size_t have = std::min(length, x.buffer.size());
    x.request_body.assign(x.buffer.data().substr(0, have));
    x.buffer.Consume(have);
    if (have < length) {
      x.request_body.resize(length);
      client_deadline.at_ns = NowNs() + timeout_ns;
      co_await asio::async_read(client, asio::buffer(x.request_body.data() + have, length - have),
                                Into(ec));
      if (ec) co_return ForwardResult{};  // the client went away mid-body
    }
  }

  std::vector<const fleet::TargetLoad*> tried;
  std::string last_error = "no healthy instance";
  std::shared_ptr<const std::vector<fleet::Target>> targets;
  int& attempts = rec.attempts;
  int forgiven = 0;  // tries on stale pooled connections, not counted as attempts
  int& status = rec.status;
  bool request_read = buffered;  // the whole request left the client's socket
  ForwardResult result;
  rec.bytes_in = x.request_body.size();
  http1::Head& res = *x.response;
  while (attempts < opt.max_attempts) {
    targets = group->Targets();
    const fleet::Target* target = Pick(*targets, tried, group->spec().slow_start_ms, &pick_counter);
    if (target == nullptr) break;
    ++attempts;
    if (logging) {
      rec.target = target;
      rec.target_snapshot = targets;
    }

    // A pooled connection for requests that can be retried; a new one for a streamed body.
    std::unique_ptr<UpstreamConn> conn = buffered ? TakeIdle(group, *target) : nullptr;
    const bool reused = conn != nullptr;
    if (!reused) conn = std::make_unique<UpstreamConn>(io);
    ArmedDeadline up(this, &conn->socket);
    if (!reused) {
      up->at_ns = NowNs() + opt.connect_timeout_ms * 1'000'000;
      const tcp::endpoint endpoint(asio::ip::make_address(target->host, ec), target->port);
      if (!ec) {
        co_await conn->socket.async_connect(endpoint, Into(ec));
      }
      if (ec) {
        last_error = "connecting to " + target->instance_id + " (" + target->host + ":" +
                     std::to_string(target->port) +
                     "): " + (up->expired ? "timed out" : ec.message());
        group->Report(target->instance_id, fleet::Failure::kConnect, last_error);
        tried.push_back(target->load.get());
        std::lock_guard l(stats[a]->mu);
        ++stats[a]->connection_errors;
        continue;  // nothing was sent: any request may go elsewhere
      }
      conn->socket.set_option(tcp::no_delay(true), ec);
    }
    LoadGuard guard(target->load.get());
    const int64_t sent_ns = NowNs();
    up->at_ns = sent_ns + timeout_ns;
    if (buffered) {
      co_await WriteMessage(conn->socket, x.request_head, x.request_body, ec);
    } else {
      RelayResult r = co_await RelayBody(client, x.buffer, client_deadline, framing, x.request_head,
                                         conn->socket, *up, timeout_ns,
                                         /*dechunk=*/false, *x.scratch);
      rec.bytes_in += r.bytes;
      if (r.read_ec) co_return ForwardResult{};  // the client broke off its own request
      request_read = r.complete;
      ec = r.write_ec;
    }
    if (ec) {
      last_error = "sending to " + target->instance_id + ": " + ec.message();
      if (!reused) {
        group->Report(target->instance_id, fleet::Failure::kConnect, last_error);
        tried.push_back(target->load.get());
      }
      // A reused connection closed while idle is not the target's fault; retry on any.
      if (reused && forgiven++ < opt.max_attempts) {
        ForgiveStaleConnection(group, *target, &attempts);
      }
      if (buffered && (idempotent || reused)) continue;
      break;
    }

    // The response head, skipping interim 1xx answers; the sweeper watches for a stall.
    up->group = group;
    up->target = target;
    up->stall_at_ns = sent_ns + opt.stall_timeout_ms * 1'000'000;
    HeadRead h;
    bool interim = false;  // a 1xx came first
    for (;;) {
      h = co_await ReadHead(conn->socket, conn->buffer, /*request=*/false, opt.max_header_bytes,
                            &res);
      if (h.result != http1::ParseResult::kDone || res.status / 100 != 1 || res.status == 101) {
        break;
      }
      conn->buffer.Consume(res.size);
      interim = true;
    }
    up->target = nullptr;
    if (h.result != http1::ParseResult::kDone) {
      if (up->expired) {
        last_error = target->instance_id + " sent no response within " +
                     std::to_string(opt.response_timeout_ms) + " ms";
        status = 504;
        break;
      }
      if (h.result != http1::ParseResult::kNeedMore || interim || conn->buffer.size() > 0) {
        last_error =
            target->instance_id + " sent a broken response: " +
            (h.error != nullptr ? std::string(h.error)
             : h.result == http1::ParseResult::kTooLarge
                 ? "its head is larger than " + std::to_string(opt.max_header_bytes) + " bytes"
                 : "it ended within the head (" + h.ec.message() + ")");
        break;
      }
      if (up->abandoned) {
        last_error = target->instance_id + " left rotation while the request waited";
      } else {
        last_error =
            target->instance_id + " closed the connection before answering: " + h.ec.message();
        if (!reused) group->Report(target->instance_id, fleet::Failure::kConnect, last_error);
      }
      if (up->abandoned || !reused) tried.push_back(target->load.get());
      if (reused && !up->abandoned && forgiven++ < opt.max_attempts) {
        ForgiveStaleConnection(group, *target, &attempts);
      }
      if (buffered && (idempotent || (reused && !up->abandoned))) continue;
      break;
    }
    if (res.status == 101) {  // no upgrades
      last_error =
          target->instance_id + " sent a broken response: 101 to a request without Upgrade";
      break;
    }

    // A response: from here on the request is answered by this target, come what may.
    rec.target_us = (NowNs() - sent_ns) / 1000;
    rec.target_status = res.status;
    status = rec.target_status;
    CountAnswer(group, *target, rec.target_status);
    const bool upstream_keep_alive = res.keep_alive;
    const http1::Framing out = http1::ResponseFraming(res, is_head);
    // A body that ends with the upstream connection can only end for the client the same way;
    // so does a chunked one for an HTTP/1.0 client (sent bare).
    const bool dechunk = version < 11 && out.kind == http1::Framing::kChunked;
    result.keep = client_keep_alive && !lb->stopping() && request_read &&
                  out.kind != http1::Framing::kUntilClose && !dechunk;
    x.response_head.clear();
    http1::WriteResponseHead(res, version, result.keep, dechunk, &x.response_head);
    conn->buffer.Consume(res.size);  // `res` ends here

    bool complete = false;  // the upstream response was read to its end
    ErrorCode read_ec, write_ec;
    if (out.kind == http1::Framing::kLength && out.length <= kInlineBody) {
      // Read whole, then written with its head in one system call.
      const size_t length = static_cast<size_t>(out.length);
      const bool in_buffer = conn->buffer.size() >= length;  // the usual case: one read held all
      std::string_view body;
      if (in_buffer) {
        body = conn->buffer.data().substr(0, length);
      } else {
        const size_t have = conn->buffer.size();
        x.response_body.assign(conn->buffer.data());
        conn->buffer.Consume(have);
        x.response_body.resize(length);
        up->at_ns = NowNs() + timeout_ns;
        co_await asio::async_read(conn->socket,
                                  asio::buffer(x.response_body.data() + have, length - have),
                                  Into(read_ec));
        if (read_ec) {
          last_error = target->instance_id + " broke off its response: " + read_ec.message();
          status = 0;
          rec.target_us = -1;
          break;  // nothing reached the client yet: a 502
        }
        body = x.response_body;
      }
      rec.bytes_out = length;
      client_deadline.at_ns = NowNs() + timeout_ns;
      co_await WriteMessage(client, x.response_head, body, write_ec);
      if (in_buffer) conn->buffer.Consume(length);
      complete = true;
    } else {
      RelayResult r = co_await RelayBody(conn->socket, conn->buffer, *up, out, x.response_head,
                                         client, client_deadline, timeout_ns, dechunk, *x.scratch);
      rec.bytes_out = r.bytes;
      read_ec = r.read_ec;
      write_ec = r.write_ec;
      complete = r.complete;
    }
    if (read_ec || write_ec) result.keep = false;
    // Pooled only when the response ended by its framing and nothing trails it.
    if (complete && !write_ec && upstream_keep_alive && out.kind != http1::Framing::kUntilClose &&
        conn->buffer.size() == 0) {
      conn->idle_since_ns = NowNs();
      auto& idle = PoolOf(group, *target).idle;
      if (idle.size() < kMaxIdlePerTarget) idle.push_back(std::move(conn));
    }
    break;
  }

  if (rec.elb_error()) {
    if (status == 0) status = attempts == 0 ? 503 : 502;
    const std::string text =
        status == 503   ? "503 Service Unavailable: no healthy instance of app '" + app.name + "'"
        : status == 504 ? "504 Gateway Timeout: " + last_error
                        : "502 Bad Gateway: app '" + app.name + "': " + last_error;
    result.keep = co_await WriteError(client, status, text, version,
                                      client_keep_alive && !lb->stopping() && request_read);
    result.linger = !request_read;
  }

  rec.total_us = (NowNs() - start_ns) / 1000;
  stats[a]->Count(rec, opt.clock->NowMillis(), logging ? &app.name : nullptr);
  co_return result;
}

template Awaitable<ForwardResult> Worker::Forward(size_t, Socket&, Deadline&, Exchange&,
                                                  const http1::Head&, const std::string&);
template Awaitable<ForwardResult> Worker::Forward(size_t, TlsSocket&, Deadline&, Exchange&,
                                                  const http1::Head&, const std::string&);

}  // namespace vigil::lb
