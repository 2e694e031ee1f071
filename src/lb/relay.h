#pragma once
// Private to vigil::lb: moving HTTP/1.1 messages between two sockets — reading a head into a
// connection's buffer, relaying a body by its framing, and the load balancer's own answers.
#include <array>
#include <string>
#include <string_view>
#include <vector>

#include "lb/http1.h"
#include "lb/proxy.h"

namespace vigil::lb {

// Heads are read, and bodies relayed, in reads of up to this much.
inline constexpr size_t kRelayChunk = 16 << 10;

struct HeadRead {
  http1::ParseResult result = http1::ParseResult::kNeedMore;
  ErrorCode ec;                 // the read that failed, when result is kNeedMore
  const char* error = nullptr;  // when kBad
};

// The functions below take a Socket, or a client's TlsSocket (instantiated in relay.cc).

// Reads from `socket` into `buffer` until it starts with a whole head, and parses it into
// *head (whose views point into `buffer` until it is consumed or read into again). Bytes after
// the head (its body, a pipelined request) stay in `buffer`. A head already there costs no read.
template <class Stream>
Awaitable<HeadRead> ReadHead(Stream& socket, ByteBuffer& buffer, bool request, size_t max_bytes,
                             http1::Head* head);
// Writes a whole message held in memory in one system call when the socket takes it.
template <class Stream>
Awaitable<void> WriteMessage(Stream& socket, std::string_view head, std::string_view body,
                             ErrorCode& ec) {
  const std::array<asio::const_buffer, 2> buffers = {asio::buffer(head.data(), head.size()),
                                                     asio::buffer(body.data(), body.size())};
  co_await asio::async_write(socket, buffers, Into(ec));
}

struct RelayResult {
  ErrorCode read_ec, write_ec;
  uint64_t bytes = 0;     // of the body's payload
  bool complete = false;  // the body was relayed to its end
};

// Scratch space a relay reuses from one message to the next.
struct RelayScratch {
  std::vector<asio::const_buffer> pieces;
  std::vector<std::string_view> payload;
};

// Sends `head`, then the body framed by `framing` as it arrives from `from` (its first bytes
// may already be in `from_buffer`), so that a peer sending slowly (server-sent events, a long
// upload) is relayed as it sends. Bytes after the body stay in `from_buffer`. With `dechunk` a
// chunked body goes out as its bare payload (to an HTTP/1.0 client, ended by a close). Each
// read and write is limited by its deadline, timeout_ns from its start. A body ending with the
// connection (kUntilClose) is complete at the peer's end of stream.
template <class From, class To>
Awaitable<RelayResult> RelayBody(From& from, ByteBuffer& from_buffer, Deadline& from_deadline,
                                 http1::Framing framing, std::string_view head, To& to,
                                 Deadline& to_deadline, int64_t timeout_ns, bool dechunk,
                                 RelayScratch& scratch);
// The load balancer's own answer (400, 431, 502, 503, 504) with a text body. Returns whether the
// connection may go on.
template <class Stream>
Awaitable<bool> WriteError(Stream& client, int status, std::string_view text, int version,
                           bool keep_alive);

}  // namespace vigil::lb
