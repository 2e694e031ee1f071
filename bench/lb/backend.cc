// vigil_bench_backend: the tiny app that bench/lb/run.sh puts behind every load balancer.
//
//   vigil_bench_backend --port N [--host 127.0.0.1] [--pidfile PATH]
//
// One thread, one epoll loop, HTTP/1.1 keep-alive (pipelining too). `GET /health` answers
// 200 "ok\n"; any other request answers 200 "ok PORT\n". Every answer carries `X-Backend: PORT`
// and `X-Backend-Pid: PID`, so a client behind a proxy knows which instance, and which run of
// it, answered (a restarted instance has a new pid). Nothing is printed per request; one line
// when listening. SIGTERM or SIGINT: exit 0. The answers are built once at start: the app
// should cost as little as possible, so the figures measure the proxy in front of it.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

namespace {

struct Conn {
  int fd = -1;
  std::string in;   // bytes read and not yet parsed
  std::string out;  // answers not yet written
  bool close_after = false;
  bool watching_out = false;  // EPOLLOUT is in its epoll mask
};

std::string Answer(std::string_view body, int port) {
  std::string r = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: ";
  r += std::to_string(body.size());
  r += "\r\nX-Backend: " + std::to_string(port);
  r += "\r\nX-Backend-Pid: " + std::to_string(::getpid());
  r += "\r\n\r\n";
  r += body;
  return r;
}

bool IEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

class Server {
 public:
  explicit Server(int port)
      : health_(Answer("ok\n", port)), root_(Answer("ok " + std::to_string(port) + "\n", port)) {}

  // Parses every complete request in c->in and queues its answer. Returns false when the
  // bytes are not HTTP (the connection is then closed).
  bool Parse(Conn* c) {
    size_t pos = 0;
    for (;;) {
      size_t end = c->in.find("\r\n\r\n", pos);
      if (end == std::string::npos) break;
      std::string_view head(c->in.data() + pos, end - pos);
      size_t eol = head.find("\r\n");
      std::string_view line = head.substr(0, eol);
      size_t sp1 = line.find(' ');
      size_t sp2 = line.rfind(' ');
      if (sp1 == std::string_view::npos || sp2 <= sp1) return false;
      std::string_view path = line.substr(sp1 + 1, sp2 - sp1 - 1);
      std::string_view version = line.substr(sp2 + 1);
      bool keep_alive = version != "HTTP/1.0";
      size_t body = 0;
      std::string_view headers = eol == std::string_view::npos ? "" : head.substr(eol + 2);
      while (!headers.empty()) {
        size_t nl = headers.find("\r\n");
        std::string_view h = headers.substr(0, nl);
        headers = nl == std::string_view::npos ? "" : headers.substr(nl + 2);
        size_t colon = h.find(':');
        if (colon == std::string_view::npos) continue;
        std::string_view name = h.substr(0, colon), value = Trim(h.substr(colon + 1));
        if (IEquals(name, "connection")) {
          if (IEquals(value, "close")) keep_alive = false;
          if (IEquals(value, "keep-alive")) keep_alive = true;
        } else if (IEquals(name, "content-length")) {
          body = std::strtoul(std::string(value).c_str(), nullptr, 10);
        }
      }
      if (c->in.size() < end + 4 + body) break;  // the body is still coming
      pos = end + 4 + body;
      c->out += path == "/health" ? health_ : root_;
      if (!keep_alive) {
        c->close_after = true;
        break;
      }
    }
    c->in.erase(0, pos);
    return c->in.size() < 64 * 1024;
  }

 private:
  const std::string health_;
  const std::string root_;
};

// Writes what it can of c->out. Returns false when the connection is done (error or
// close_after with nothing left); sets *want_out when the socket is full.
bool Flush(Conn* c, bool* want_out) {
  size_t off = 0;
  while (off < c->out.size()) {
    ssize_t n = ::send(c->fd, c->out.data() + off, c->out.size() - off, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    if (n <= 0) return false;
    off += static_cast<size_t>(n);
  }
  c->out.erase(0, off);
  *want_out = !c->out.empty();
  return !(c->out.empty() && c->close_after);
}

int Listen(const char* host, int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (::inet_pton(AF_INET, host, &addr.sin_addr) != 1 ||
      ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      ::listen(fd, 4096) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

}  // namespace

int main(int argc, char** argv) {
  int port = 0;
  const char* host = "127.0.0.1";
  const char* pidfile = nullptr;
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    if (a == "--port" && i + 1 < argc) {
      port = std::atoi(argv[++i]);
    } else if (a == "--host" && i + 1 < argc) {
      host = argv[++i];
    } else if (a == "--pidfile" && i + 1 < argc) {
      pidfile = argv[++i];
    } else {
      std::fprintf(stderr, "usage: vigil_bench_backend --port N [--host IP] [--pidfile PATH]\n");
      return 2;
    }
  }
  if (port <= 0 || port > 65535) {
    std::fprintf(stderr, "vigil_bench_backend: --port N is required\n");
    return 2;
  }

  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGTERM);
  sigaddset(&stop, SIGINT);
  ::sigprocmask(SIG_BLOCK, &stop, nullptr);
  int sfd = ::signalfd(-1, &stop, SFD_NONBLOCK | SFD_CLOEXEC);
  int lfd = Listen(host, port);
  if (lfd < 0) {
    std::fprintf(stderr, "vigil_bench_backend: cannot listen on %s:%d: %s\n", host, port,
                 std::strerror(errno));
    return 1;
  }
  if (pidfile != nullptr) {
    std::string tmp = std::string(pidfile) + ".tmp";
    if (FILE* f = std::fopen(tmp.c_str(), "w")) {
      std::fprintf(f, "%d\n", ::getpid());
      std::fclose(f);
      std::rename(tmp.c_str(), pidfile);
    }
  }
  int ep = ::epoll_create1(EPOLL_CLOEXEC);
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = lfd;
  ::epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
  ev.data.fd = sfd;
  ::epoll_ctl(ep, EPOLL_CTL_ADD, sfd, &ev);
  std::printf("vigil_bench_backend listening on %s:%d pid %d\n", host, port, ::getpid());
  std::fflush(stdout);

  Server server(port);
  std::unordered_map<int, std::unique_ptr<Conn>> conns;
  auto drop = [&](int fd) {
    ::close(fd);  // also removes it from the epoll set
    conns.erase(fd);
  };
  epoll_event events[256];
  char buf[16 * 1024];
  for (;;) {
    int n = ::epoll_wait(ep, events, 256, -1);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return 1;
    for (int i = 0; i < n; ++i) {
      int fd = events[i].data.fd;
      if (fd == sfd) return 0;
      if (fd == lfd) {
        for (;;) {
          int cfd = ::accept4(lfd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
          if (cfd < 0) break;
          int one = 1;
          ::setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
          auto c = std::make_unique<Conn>();
          c->fd = cfd;
          epoll_event cev{};
          cev.events = EPOLLIN | EPOLLRDHUP;
          cev.data.fd = cfd;
          ::epoll_ctl(ep, EPOLL_CTL_ADD, cfd, &cev);
          conns[cfd] = std::move(c);
        }
        continue;
      }
      auto it = conns.find(fd);
      if (it == conns.end()) continue;
      Conn* c = it->second.get();
      bool alive = true;
      if (events[i].events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) {
        for (;;) {
          ssize_t r = ::recv(fd, buf, sizeof(buf), 0);
          if (r > 0) {
            c->in.append(buf, static_cast<size_t>(r));
            if (static_cast<size_t>(r) < sizeof(buf)) break;
            continue;
          }
          if (r < 0 && errno == EINTR) continue;
          if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
          alive = false;  // EOF or error: answers still owed cannot be read by anyone
          break;
        }
        if (alive && !server.Parse(c)) alive = false;
      }
      bool want_out = false;
      if (alive) alive = Flush(c, &want_out);
      if (!alive) {
        drop(fd);
        continue;
      }
      if (want_out != c->watching_out) {  // one epoll_ctl only when the socket fills/drains
        c->watching_out = want_out;
        epoll_event cev{};
        cev.events = EPOLLIN | EPOLLRDHUP | (want_out ? uint32_t{EPOLLOUT} : 0u);
        cev.data.fd = fd;
        ::epoll_ctl(ep, EPOLL_CTL_MOD, fd, &cev);
      }
    }
  }
}
