// vigil_test_app: the application the fleet's tests supervise (src/fleet, tests/integration). A
// small HTTP/1.1 keep-alive server (a thread per connection) whose misbehaviour the tests switch
// on:
//
//   vigil_test_app --port N [--hang-health-if FILE] [--exit-after-ms MS] [--exit-code C]
//                  [--spawn-child]
//
//   GET /            200 "ok <port>\n", header X-Backend-Pid
//   GET /health      200, or never answers while FILE exists (a hung health endpoint)
//   GET /status/NNN  answers status NNN
//   GET /metrics     Prometheus text: test_app_requests_total
//   --exit-after-ms  exits with --exit-code (default 1) that long after starting (a crash)
//   --spawn-child    starts a `sleep 1000` child in the same process group (an orphan to be)
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>

namespace {

std::atomic<long> requests{0};
std::string hang_file;
int port = 0;

bool ReadRequest(int fd, std::string* buffer, std::string* method, std::string* path) {
  size_t end;
  while ((end = buffer->find("\r\n\r\n")) == std::string::npos) {
    char chunk[4096];
    const ssize_t n = ::read(fd, chunk, sizeof(chunk));
    if (n <= 0) return false;
    buffer->append(chunk, static_cast<size_t>(n));
  }
  const std::string head = buffer->substr(0, end);
  size_t body = 0;
  const char* cl = strcasestr(head.c_str(), "\r\ncontent-length:");
  if (cl != nullptr) body = std::strtoul(cl + 17, nullptr, 10);
  while (buffer->size() < end + 4 + body) {
    char chunk[4096];
    const ssize_t n = ::read(fd, chunk, sizeof(chunk));
    if (n <= 0) return false;
    buffer->append(chunk, static_cast<size_t>(n));
  }
  const size_t sp1 = head.find(' '), sp2 = head.find(' ', sp1 + 1);
  *method = head.substr(0, sp1);
  *path = head.substr(sp1 + 1, sp2 - sp1 - 1);
  buffer->erase(0, end + 4 + body);
  return true;
}

void Reply(int fd, int status, const std::string& body) {
  const std::string response =
      "HTTP/1.1 " + std::to_string(status) +
      " X\r\nContent-Type: text/plain\r\nX-Backend-Pid: " + std::to_string(::getpid()) +
      "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  size_t off = 0;
  while (off < response.size()) {
    const ssize_t n = ::write(fd, response.data() + off, response.size() - off);
    if (n <= 0) return;
    off += static_cast<size_t>(n);
  }
}

void Serve(int fd) {
  std::string buffer, method, path;
  while (ReadRequest(fd, &buffer, &method, &path)) {
    requests.fetch_add(1);
    if (path == "/health") {
      struct stat st;
      while (!hang_file.empty() && ::stat(hang_file.c_str(), &st) == 0) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
      Reply(fd, 200, "healthy\n");
    } else if (path.rfind("/status/", 0) == 0) {
      Reply(fd, std::atoi(path.c_str() + 8), "status\n");
    } else if (path == "/metrics") {
      Reply(fd, 200,
            "# TYPE test_app_requests_total counter\ntest_app_requests_total " +
                std::to_string(requests.load()) + "\n");
    } else {
      Reply(fd, 200, "ok " + std::to_string(port) + "\n");
    }
  }
  ::close(fd);
}

}  // namespace

int main(int argc, char** argv) {
  long exit_after_ms = -1;
  int exit_code = 1;
  bool spawn_child = false;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const char* next = i + 1 < argc ? argv[i + 1] : "";
    if (arg == "--port")
      port = std::atoi(next), ++i;
    else if (arg == "--hang-health-if")
      hang_file = next, ++i;
    else if (arg == "--exit-after-ms")
      exit_after_ms = std::atol(next), ++i;
    else if (arg == "--exit-code")
      exit_code = std::atoi(next), ++i;
    else if (arg == "--spawn-child")
      spawn_child = true;
    else {
      std::fprintf(stderr, "vigil_test_app: unknown argument %s\n", arg.c_str());
      return 2;
    }
  }
  if (exit_after_ms == 0) {
    std::fprintf(stderr, "vigil_test_app: crashing at start (exit %d)\n", exit_code);
    return exit_code;
  }
  if (spawn_child && ::fork() == 0) {
    ::execlp("sleep", "sleep", "1000", static_cast<char*>(nullptr));
    ::_exit(127);
  }
  ::signal(SIGPIPE, SIG_IGN);
  const int listener = ::socket(AF_INET, SOCK_STREAM, 0);
  const int one = 1;
  ::setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      ::listen(listener, 512) != 0) {
    std::perror("vigil_test_app: listen");
    return 3;
  }
  std::printf("vigil_test_app listening on %d\n", port);
  std::fflush(stdout);
  if (exit_after_ms > 0) {
    std::thread([=] {
      std::this_thread::sleep_for(std::chrono::milliseconds(exit_after_ms));
      std::fprintf(stderr, "vigil_test_app: crashing (exit %d)\n", exit_code);
      std::_Exit(exit_code);
    }).detach();
  }
  for (;;) {
    const int fd = ::accept(listener, nullptr, nullptr);
    if (fd < 0) continue;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    std::thread(Serve, fd).detach();
  }
}
