#pragma once
// Private to vigil::lb: moving HTTP messages between two sockets — the hop-by-hop rules, a
// streamed relay of a body, and the load balancer's own answers.
#include <array>
#include <string>
#include <vector>

#include "lb/proxy.h"

namespace vigil::lb {

// Request and response bodies are relayed in reads of up to this much; buffers reserve it.
inline constexpr size_t kRelayChunk = 16 << 10;

// RFC 9110 9.2.2.
inline bool Idempotent(bhttp::verb v) {
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
      while (!token.empty() && (token.front() == ' ' || token.front() == '\t')) {
        token.remove_prefix(1);
      }
      while (!token.empty() && (token.back() == ' ' || token.back() == '\t')) {
        token.remove_suffix(1);
      }
      if (!token.empty() && !beast::iequals(token, "close") &&
          !beast::iequals(token, "keep-alive")) {
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
  for (bhttp::field f :
       {bhttp::field::connection, bhttp::field::keep_alive, bhttp::field::proxy_connection,
        bhttp::field::te, bhttp::field::trailer, bhttp::field::upgrade}) {
    fields.erase(f);
  }
}

// The start line and fields of `h` as sent on the wire ("...\r\n\r\n"), appended to *out:
// sent with the body in one write of two buffers, where Beast's serializer sends a buffer per
// field (a sendmsg of a dozen pieces costs the kernel more than one of two).
template <bool isRequest, class Fields>
void SerializeHead(const bhttp::header<isRequest, Fields>& h, std::string* out) {
  const unsigned version = h.version();
  if constexpr (isRequest) {
    const beast::string_view method = h.method_string(), target = h.target();
    out->append(method.data(), method.size()).push_back(' ');
    out->append(target.data(), target.size())
        .append(version == 10 ? " HTTP/1.0\r\n" : " HTTP/1.1\r\n");
  } else {
    out->append(version == 10 ? "HTTP/1.0 " : "HTTP/1.1 ").append(std::to_string(h.result_int()));
    beast::string_view reason = h.reason();
    if (reason.empty()) reason = bhttp::obsolete_reason(h.result());
    out->push_back(' ');
    out->append(reason.data(), reason.size()).append("\r\n");
  }
  for (const auto& field : h) {
    const beast::string_view name = field.name_string(), value = field.value();
    out->append(name.data(), name.size()).append(": ");
    out->append(value.data(), value.size()).append("\r\n");
  }
  out->append("\r\n");
}

// Writes a whole message held in memory (a head as SerializeHead makes it, and its body) in one
// system call when the socket takes it.
inline Awaitable<void> WriteMessage(Socket& socket, const std::string& head,
                                    const std::string& body, ErrorCode& ec) {
  const std::array<asio::const_buffer, 2> buffers = {asio::buffer(head), asio::buffer(body)};
  co_await asio::async_write(socket, buffers, Into(ec));
}

struct RelayResult {
  ErrorCode read_ec, write_ec;
  uint64_t bytes = 0;
};

// Moves a message whose header `p` has read from `from` to `to`: the header at once, then the
// body a read at a time, so that a peer sending slowly (server-sent events, a long upload) is
// relayed as it sends rather than held back until kRelayChunk bytes gather. Each operation is
// limited by `from_deadline` / `to_deadline` (timeout_ns from its start).
template <bool isRequest>
Awaitable<RelayResult> Relay(Socket& from, beast::flat_buffer& from_buffer, Deadline& from_deadline,
                             bhttp::parser<isRequest, bhttp::buffer_body>& p, Socket& to,
                             Deadline& to_deadline, int64_t timeout_ns) {
  std::unique_ptr<char[]> buf(new char[kRelayChunk]);
  bhttp::serializer<isRequest, bhttp::buffer_body> sr{p.get()};
  RelayResult r;
  to_deadline.at_ns = NowNs() + timeout_ns;
  co_await bhttp::async_write_header(to, sr, Into(r.write_ec));
  if (r.write_ec) co_return r;
  auto& body = p.get().body();
  while (!sr.is_done()) {
    if (!p.is_done()) {
      body.data = buf.get();
      body.size = kRelayChunk;
      from_deadline.at_ns = NowNs() + timeout_ns;
      co_await bhttp::async_read_some(from, from_buffer, p, Into(r.read_ec));
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
    to_deadline.at_ns = NowNs() + timeout_ns;
    co_await bhttp::async_write(to, sr, Into(r.write_ec));
    if (r.write_ec == bhttp::error::need_buffer) r.write_ec = {};
    if (r.write_ec) co_return r;
  }
  co_return r;
}

// The load balancer's own answer (400, 431, 502, 503, 504) with a text body. Returns whether the
// connection may go on.
inline Awaitable<bool> WriteError(Socket& client, int status, const std::string& text,
                                  unsigned version, bool keep_alive) {
  bhttp::response<bhttp::string_body> res{static_cast<bhttp::status>(status), version};
  res.set(bhttp::field::content_type, "text/plain; charset=utf-8");
  res.body() = text + "\n";
  res.keep_alive(keep_alive);
  res.prepare_payload();
  ErrorCode ec;
  co_await bhttp::async_write(client, res, Into(ec));
  co_return !ec && keep_alive;
}

}  // namespace vigil::lb
