#pragma once
// The HTTP/1.1 client pieces of vigil_bench_lbload: blocking sockets with deadlines, one answer
// parsed at a time (Content-Length, chunked, or up to the close). Enough for a load generator
// against vigil_bench_backend through a proxy; not a general client (no pipelining, no 1xx).
#include <netinet/in.h>

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <variant>

namespace vigil::benchlb {

int64_t NowNs();    // CLOCK_MONOTONIC
int64_t EpochMs();  // CLOCK_REALTIME, to line up with other processes' logs

// Connects (TCP_NODELAY) by the deadline (CLOCK_MONOTONIC ns). Returns the blocking fd, or -1.
int Connect(const sockaddr_in& addr, int64_t deadline_ns);

// "http://host:port/path" -> the resolved IPv4 address, "host:port" and "/path".
bool ResolveUrl(const std::string& url, sockaddr_in* addr, std::string* host, std::string* path);

// "--name value" pairs, each stored into its flag's variable. False (after a message on stderr)
// on an unknown name, a missing value or a number that does not parse.
struct Flag {
  std::string_view name;
  std::variant<int*, double*, std::string*> value;
};
bool ParseFlags(int argc, char** argv, std::initializer_list<Flag> flags);

// "KILL", "STOP", "TERM", "CONT" or a number.
int SignalNumber(std::string_view name);

// What one answer said.
struct Answer {
  int status = 0;
  bool close = false;  // the server closes after it (Connection: close, HTTP/1.0, no length)
  int32_t pid = 0;     // X-Backend-Pid (vigil_bench_backend), 0 when absent
  uint16_t port = 0;   // X-Backend
};

// Parses the answer at the front of buf. Returns its length in bytes when complete; 0 when more
// bytes are needed; -1 when its body runs to the connection's end and eof is not yet set (read
// on, then call again with eof = true); -2 when buf does not start with an HTTP/1.x answer.
int64_t ParseAnswer(std::string_view buf, bool eof, Answer* a);

// GET /health on 127.0.0.1:port (Connection: close), waiting at most timeout_ms for the
// connection and as long again for the answer. True on a 200; then *pid is its X-Backend-Pid.
bool HealthOk(int port, int timeout_ms, int32_t* pid = nullptr);

}  // namespace vigil::benchlb
