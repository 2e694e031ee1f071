// Moving HTTP/1.1 messages between sockets (see relay.h).
#include "lb/relay.h"

#include <algorithm>
#include <cstring>

namespace vigil::lb {

asio::mutable_buffer ByteBuffer::Prepare(size_t n) {
  if (capacity_ - end_ < n) {
    const size_t used = size();
    if (capacity_ - used >= n) {
      std::memmove(buf_.get(), buf_.get() + begin_, used);
    } else {
      const size_t capacity = std::max(capacity_ * 2, used + n);
      std::unique_ptr<char[]> grown(new char[capacity]);
      if (used > 0) std::memcpy(grown.get(), buf_.get() + begin_, used);
      buf_ = std::move(grown);
      capacity_ = capacity;
    }
    begin_ = 0;
    end_ = used;
  }
  return asio::buffer(buf_.get() + end_, capacity_ - end_);
}

template <class Stream>
Awaitable<HeadRead> ReadHead(Stream& socket, ByteBuffer& buffer, bool request, size_t max_bytes,
                             http1::Head* head) {
  HeadRead r;
  size_t scanned = 0;
  for (;;) {
    r.result = request ? http1::ParseRequest(buffer.data(), max_bytes, &scanned, head, &r.error)
                       : http1::ParseResponse(buffer.data(), max_bytes, &scanned, head, &r.error);
    if (r.result != http1::ParseResult::kNeedMore) co_return r;
    const size_t n = co_await socket.async_read_some(buffer.Prepare(kRelayChunk), Into(r.ec));
    buffer.Commit(n);
    if (r.ec) co_return r;
  }
}

template <class From, class To>
Awaitable<RelayResult> RelayBody(From& from, ByteBuffer& from_buffer, Deadline& from_deadline,
                                 http1::Framing framing, std::string_view head, To& to,
                                 Deadline& to_deadline, int64_t timeout_ns, bool dechunk,
                                 RelayScratch& s) {
  RelayResult r;
  http1::ChunkedScanner scanner;
  uint64_t remaining = framing.length;
  for (;;) {
    const std::string_view available = from_buffer.data();
    size_t take = 0;
    bool done = false;
    s.pieces.clear();
    if (!head.empty()) s.pieces.push_back(asio::buffer(head.data(), head.size()));
    switch (framing.kind) {
      case http1::Framing::kNone:
        done = true;
        break;
      case http1::Framing::kLength:
        take = static_cast<size_t>(std::min<uint64_t>(remaining, available.size()));
        remaining -= take;
        done = remaining == 0;
        r.bytes += take;
        break;
      case http1::Framing::kChunked: {
        s.payload.clear();
        const http1::ChunkedScanner::Result c = scanner.Feed(available, &s.payload);
        if (c.bad) {
          r.read_ec = boost::system::errc::make_error_code(boost::system::errc::bad_message);
          co_return r;
        }
        take = c.used;
        done = c.done;
        for (std::string_view p : s.payload) {
          r.bytes += p.size();
          if (dechunk && !p.empty()) s.pieces.push_back(asio::buffer(p.data(), p.size()));
        }
        break;
      }
      case http1::Framing::kUntilClose:
        take = available.size();
        r.bytes += take;
        break;
    }
    if (take > 0 && !(dechunk && framing.kind == http1::Framing::kChunked)) {
      s.pieces.push_back(asio::buffer(available.data(), take));
    }
    if (!s.pieces.empty()) {
      to_deadline.at_ns = NowNs() + timeout_ns;
      co_await asio::async_write(to, s.pieces, Into(r.write_ec));
      if (r.write_ec) co_return r;
      head = {};
    }
    from_buffer.Consume(take);
    if (done) {
      r.complete = true;
      co_return r;
    }
    from_deadline.at_ns = NowNs() + timeout_ns;
    const size_t n =
        co_await from.async_read_some(from_buffer.Prepare(kRelayChunk), Into(r.read_ec));
    from_buffer.Commit(n);
    if (r.read_ec) {
      if (r.read_ec == asio::error::eof && framing.kind == http1::Framing::kUntilClose) {
        r.read_ec = {};
        r.complete = true;
      }
      co_return r;
    }
  }
}

namespace {

std::string_view Reason(int status) {
  switch (status) {
    case 400:
      return "Bad Request";
    case 431:
      return "Request Header Fields Too Large";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    default:
      return "Error";
  }
}

}  // namespace

template <class Stream>
Awaitable<bool> WriteError(Stream& client, int status, std::string_view text, int version,
                           bool keep_alive) {
  std::string head = version >= 11 ? "HTTP/1.1 " : "HTTP/1.0 ";
  head.append(std::to_string(status)).append(" ").append(Reason(status));
  head.append("\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ");
  head.append(std::to_string(text.size() + 1)).append("\r\n");
  if (version >= 11 && !keep_alive) head.append("Connection: close\r\n");
  if (version < 11 && keep_alive) head.append("Connection: keep-alive\r\n");
  head.append("\r\n").append(text).append("\n");
  ErrorCode ec;
  co_await WriteMessage(client, head, {}, ec);
  co_return !ec && keep_alive;
}

// Plain listeners relay socket to socket; TLS ones decrypt the client's side.
template Awaitable<HeadRead> ReadHead(Socket&, ByteBuffer&, bool, size_t, http1::Head*);
template Awaitable<HeadRead> ReadHead(TlsSocket&, ByteBuffer&, bool, size_t, http1::Head*);
template Awaitable<RelayResult> RelayBody(Socket&, ByteBuffer&, Deadline&, http1::Framing,
                                          std::string_view, Socket&, Deadline&, int64_t, bool,
                                          RelayScratch&);
template Awaitable<RelayResult> RelayBody(TlsSocket&, ByteBuffer&, Deadline&, http1::Framing,
                                          std::string_view, Socket&, Deadline&, int64_t, bool,
                                          RelayScratch&);
template Awaitable<RelayResult> RelayBody(Socket&, ByteBuffer&, Deadline&, http1::Framing,
                                          std::string_view, TlsSocket&, Deadline&, int64_t, bool,
                                          RelayScratch&);
template Awaitable<bool> WriteError(Socket&, int, std::string_view, int, bool);
template Awaitable<bool> WriteError(TlsSocket&, int, std::string_view, int, bool);

}  // namespace vigil::lb
