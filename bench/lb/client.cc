// HTTP/1.1 client pieces of vigil_bench_lbload (client.h).
#include "bench/lb/client.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace vigil::benchlb {
namespace {

bool IStartsWith(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(s[i])) != prefix[i]) return false;
  }
  return true;
}

}  // namespace

int64_t NowNs() {
  timespec ts;
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}
int64_t EpochMs() {
  timespec ts;
  ::clock_gettime(CLOCK_REALTIME, &ts);
  return int64_t{ts.tv_sec} * 1000 + ts.tv_nsec / 1'000'000;
}

int Connect(const sockaddr_in& addr, int64_t deadline_ns) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) != 0) {
    if (errno != EINPROGRESS) {
      ::close(fd);
      return -1;
    }
    pollfd p{fd, POLLOUT, 0};
    int ms = static_cast<int>(std::max<int64_t>(0, (deadline_ns - NowNs()) / 1'000'000));
    int err = 0;
    socklen_t len = sizeof(err);
    if (::poll(&p, 1, ms) != 1 || ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 ||
        err != 0) {
      ::close(fd);
      return -1;
    }
  }
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
  return fd;
}

bool ResolveUrl(const std::string& url, sockaddr_in* addr, std::string* host, std::string* path) {
  std::string_view u = url;
  if (!u.starts_with("http://")) return false;
  u.remove_prefix(7);
  size_t slash = u.find('/');
  *path = slash == std::string_view::npos ? "/" : std::string(u.substr(slash));
  *host = std::string(u.substr(0, slash));
  size_t colon = host->rfind(':');
  std::string name = host->substr(0, colon);
  std::string port = colon == std::string::npos ? "80" : host->substr(colon + 1);
  addrinfo hints{}, *res = nullptr;
  hints.ai_family = AF_INET;
  hints.ai_socktype = SOCK_STREAM;
  if (::getaddrinfo(name.c_str(), port.c_str(), &hints, &res) != 0 || res == nullptr) return false;
  std::memcpy(addr, res->ai_addr, sizeof(*addr));
  ::freeaddrinfo(res);
  return true;
}

bool ParseFlags(int argc, char** argv, std::initializer_list<Flag> flags) {
  for (int i = 0; i < argc; i += 2) {
    const Flag* flag = nullptr;
    for (const Flag& f : flags) {
      if (f.name == argv[i]) flag = &f;
    }
    if (flag == nullptr || i + 1 >= argc) {
      std::fprintf(stderr, "vigil_bench_lbload: %s: %s\n", argv[i],
                   flag == nullptr ? "unknown flag" : "needs a value");
      return false;
    }
    const char* v = argv[i + 1];
    char* end = nullptr;
    if (auto* s = std::get_if<std::string*>(&flag->value)) {
      **s = v;
      continue;
    }
    if (auto* n = std::get_if<int*>(&flag->value)) **n = static_cast<int>(std::strtol(v, &end, 10));
    if (auto* d = std::get_if<double*>(&flag->value)) **d = std::strtod(v, &end);
    if (end == v || *end != '\0') {
      std::fprintf(stderr, "vigil_bench_lbload: %s: not a number: %s\n", argv[i], v);
      return false;
    }
  }
  return true;
}

int SignalNumber(std::string_view name) {
  if (name == "KILL") return SIGKILL;
  if (name == "STOP") return SIGSTOP;
  if (name == "TERM") return SIGTERM;
  if (name == "CONT") return SIGCONT;
  return std::atoi(std::string(name).c_str());
}

int64_t ParseAnswer(std::string_view buf, bool eof, Answer* a) {
  size_t head_end = buf.find("\r\n\r\n");
  if (head_end == std::string_view::npos) return 0;
  std::string_view head = buf.substr(0, head_end);
  if (head.size() < 12 || !head.starts_with("HTTP/1.")) return -2;
  a->status = std::atoi(std::string(head.substr(9, 3)).c_str());
  a->close = head.substr(0, 8) == "HTTP/1.0";
  int64_t length = -1;
  bool chunked = false;
  size_t pos = head.find("\r\n");
  while (pos != std::string_view::npos && pos < head.size()) {
    size_t next = head.find("\r\n", pos + 2);
    std::string_view h =
        head.substr(pos + 2, next == std::string_view::npos ? head.npos : next - pos - 2);
    pos = next;
    size_t colon = h.find(':');
    if (colon == std::string_view::npos) continue;
    std::string value(h.substr(colon + 1));
    value.erase(0, value.find_first_not_of(" \t"));
    if (IStartsWith(h, "content-length:")) length = std::atoll(value.c_str());
    if (IStartsWith(h, "transfer-encoding:") && value.find("chunked") != std::string::npos)
      chunked = true;
    if (IStartsWith(h, "connection:")) a->close = IStartsWith(value, "close");
    if (IStartsWith(h, "x-backend:")) a->port = static_cast<uint16_t>(std::atoi(value.c_str()));
    if (IStartsWith(h, "x-backend-pid:")) a->pid = std::atoi(value.c_str());
  }
  size_t body = head_end + 4;
  if (a->status == 204 || a->status == 304 || (a->status >= 100 && a->status < 200)) length = 0;
  if (chunked) {
    for (size_t p = body;;) {
      size_t eol = buf.find("\r\n", p);
      if (eol == std::string_view::npos) return 0;
      size_t size = std::strtoul(std::string(buf.substr(p, eol - p)).c_str(), nullptr, 16);
      if (size == 0) {
        size_t end = buf.find("\r\n", eol + 2);  // trailers, then an empty line
        if (end == std::string_view::npos) return 0;
        if (end == eol + 2) return static_cast<int64_t>(end + 2);
        end = buf.find("\r\n\r\n", eol);
        return end == std::string_view::npos ? 0 : static_cast<int64_t>(end + 4);
      }
      p = eol + 2 + size + 2;
      if (p > buf.size()) return 0;
    }
  }
  if (length >= 0) {
    return buf.size() >= body + static_cast<size_t>(length) ? static_cast<int64_t>(body + length)
                                                            : 0;
  }
  a->close = true;
  return eof ? static_cast<int64_t>(buf.size()) : -1;
}

bool HealthOk(int port, int timeout_ms, int32_t* pid) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int fd = Connect(addr, NowNs() + int64_t{timeout_ms} * 1'000'000);
  if (fd < 0) return false;
  static constexpr std::string_view kRequest =
      "GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
  std::string buf;
  char chunk[4096];
  bool ok = ::send(fd, kRequest.data(), kRequest.size(), MSG_NOSIGNAL) ==
            static_cast<ssize_t>(kRequest.size());
  Answer a;
  const int64_t deadline = NowNs() + int64_t{timeout_ms} * 1'000'000;
  bool eof = false;
  while (ok) {
    int64_t used = ParseAnswer(buf, eof, &a);
    if (used > 0) break;
    if (used == -2 || eof) {
      ok = false;
      break;
    }
    pollfd p{fd, POLLIN, 0};
    int64_t left = deadline - NowNs();
    if (left <= 0 || ::poll(&p, 1, static_cast<int>((left + 999'999) / 1'000'000)) != 1) {
      ok = false;
      break;
    }
    ssize_t n = ::recv(fd, chunk, sizeof(chunk), 0);
    if (n <= 0) eof = true;
    if (n > 0) buf.append(chunk, static_cast<size_t>(n));
  }
  ::close(fd);
  if (pid != nullptr) *pid = a.pid;
  return ok && a.status == 200;
}

}  // namespace vigil::benchlb
