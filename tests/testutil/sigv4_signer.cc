#include "tests/testutil/sigv4_signer.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>

#include "auth/auth.h"

namespace vigil::testutil {
namespace {

using SteadyClock = std::chrono::steady_clock;

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// Trims and collapses inner whitespace runs to one space (SigV4 canonical header values).
std::string CanonicalValue(std::string_view v) {
  std::string out;
  bool space = false;
  for (char c : v) {
    if (c == ' ' || c == '\t') {
      space = !out.empty();
      continue;
    }
    if (space) out.push_back(' ');
    space = false;
    out.push_back(c);
  }
  return out;
}

Status Errno(std::string_view what, int err) {
  return UnavailableError(std::string(what) + ": " + std::strerror(err));
}

int MillisLeft(SteadyClock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - SteadyClock::now());
  return static_cast<int>(std::max<int64_t>(0, left.count()));
}

bool IEquals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && Lower(a) == Lower(b);
}

}  // namespace

std::string AmzDate(std::chrono::system_clock::time_point t) {
  std::time_t secs = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
  return buf;
}

std::optional<std::string> HttpResponse::Header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (IEquals(k, name)) return v;
  }
  return std::nullopt;
}

void SignV4(const SigV4Key& key, std::chrono::system_clock::time_point now, HttpRequest* request) {
  const int64_t now_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  auth::SignRequest(auth::AccessKey{key.access_key_id, key.secret_access_key}, key.region,
                    key.service, now_ms, request->method, request->target, &request->headers,
                    request->body);
}

HttpClient::HttpClient(uint16_t port, std::string host) : host_(std::move(host)), port_(port) {}

HttpClient::~HttpClient() { Close(); }

std::string HttpClient::Host() const { return host_ + ":" + std::to_string(port_); }

void HttpClient::Close() {
  if (fd_ >= 0) close(fd_);
  fd_ = -1;
  buffer_.clear();
}

Status HttpClient::Connect(std::chrono::milliseconds timeout) {
  Close();
  fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) return Errno("socket", errno);
  int one = 1;
  setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port_);
  if (inet_pton(AF_INET, host_.c_str(), &addr.sin_addr) != 1) {
    Close();
    return InvalidArgumentError("bad IPv4 address " + host_);
  }
  // Loopback connects complete or fail at once; the timeout only guards a full backlog.
  timeval tv{static_cast<time_t>(timeout.count() / 1000),
             static_cast<suseconds_t>((timeout.count() % 1000) * 1000)};
  setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  if (connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    int e = errno;
    Close();
    return Errno("connect " + Host(), e);
  }
  return OkStatus();
}

StatusOr<HttpResponse> HttpClient::Send(const HttpRequest& request,
                                        std::chrono::milliseconds timeout) {
  const auto deadline = SteadyClock::now() + timeout;
  if (fd_ < 0) RETURN_IF_ERROR(Connect(timeout));

  std::string wire = request.method + " " + request.target + " HTTP/1.1\r\n";
  bool has_host = false, has_length = false;
  for (const auto& [k, v] : request.headers) {
    has_host |= IEquals(k, "host");
    has_length |= IEquals(k, "content-length");
    wire += k + ": " + v + "\r\n";
  }
  if (!has_host) wire += "Host: " + Host() + "\r\n";
  if (!has_length &&
      (request.method == "POST" || request.method == "PUT" || !request.body.empty())) {
    wire += "Content-Length: " + std::to_string(request.body.size()) + "\r\n";
  }
  wire += "\r\n";
  wire += request.body;

  // Write while watching for an early answer (e.g. 413 before the body is read).
  size_t sent = 0;
  while (sent < wire.size()) {
    pollfd pfd{fd_, POLLIN | POLLOUT, 0};
    int left = MillisLeft(deadline);
    if (left == 0) {
      Close();
      return Status(StatusCode::kDeadlineExceeded, "timed out sending the request");
    }
    if (poll(&pfd, 1, left) <= 0) continue;
    if (pfd.revents & (POLLIN | POLLHUP | POLLERR)) break;  // the server answers or gave up
    ssize_t n = send(fd_, wire.data() + sent, wire.size() - sent, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) continue;
      break;  // EPIPE/ECONNRESET: read whatever answer the server left
    }
    sent += static_cast<size_t>(n);
  }

  HttpResponse response;
  bool keep_alive = true;
  Status s = ReadResponse(deadline, &response, &keep_alive);
  if (!s.ok()) {
    Close();
    return s;
  }
  if (!keep_alive || sent < wire.size()) Close();
  return response;
}

Status HttpClient::ReadResponse(SteadyClock::time_point deadline, HttpResponse* out,
                                bool* keep_alive) {
  // Reads more bytes into buffer_; false on EOF.
  auto fill = [&]() -> StatusOr<bool> {
    for (;;) {
      pollfd pfd{fd_, POLLIN, 0};
      int left = MillisLeft(deadline);
      if (left == 0) return Status(StatusCode::kDeadlineExceeded, "timed out reading response");
      int r = poll(&pfd, 1, left);
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) continue;
      char buf[64 * 1024];
      ssize_t n = recv(fd_, buf, sizeof buf, 0);
      if (n < 0) {
        if (errno == EINTR || errno == EAGAIN) continue;
        return Errno("recv", errno);
      }
      if (n == 0) return false;
      buffer_.append(buf, static_cast<size_t>(n));
      return true;
    }
  };

  size_t header_end;
  while ((header_end = buffer_.find("\r\n\r\n")) == std::string::npos) {
    ASSIGN_OR_RETURN(bool more, fill());
    if (!more) return UnavailableError("connection closed before a response header");
  }
  const std::string head = buffer_.substr(0, header_end);
  buffer_.erase(0, header_end + 4);

  size_t line_end = head.find("\r\n");
  const std::string status_line = head.substr(0, line_end);
  if (status_line.rfind("HTTP/1.", 0) != 0 || status_line.size() < 12) {
    return UnavailableError("bad status line: " + status_line);
  }
  out->status = std::atoi(status_line.c_str() + 9);
  *keep_alive = status_line.rfind("HTTP/1.1", 0) == 0;
  while (line_end != std::string::npos) {
    size_t next = head.find("\r\n", line_end + 2);
    std::string line =
        head.substr(line_end + 2, next == std::string::npos ? next : next - line_end - 2);
    line_end = next;
    size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    out->headers.emplace_back(line.substr(0, colon), CanonicalValue(line.substr(colon + 1)));
  }
  if (auto c = out->Header("connection")) {
    if (IEquals(*c, "close")) *keep_alive = false;
    if (IEquals(*c, "keep-alive")) *keep_alive = true;
  }

  if (out->status == 204 || out->status == 304 || (out->status >= 100 && out->status < 200)) {
    return OkStatus();
  }
  if (auto te = out->Header("transfer-encoding");
      te && Lower(*te).find("chunked") != std::string::npos) {
    for (;;) {
      size_t eol;
      while ((eol = buffer_.find("\r\n")) == std::string::npos) {
        ASSIGN_OR_RETURN(bool more, fill());
        if (!more) return UnavailableError("connection closed inside a chunked body");
      }
      const size_t size = std::strtoul(buffer_.c_str(), nullptr, 16);
      while (buffer_.size() < eol + 2 + size + 2) {
        ASSIGN_OR_RETURN(bool more, fill());
        if (!more) return UnavailableError("connection closed inside a chunk");
      }
      out->body.append(buffer_, eol + 2, size);
      buffer_.erase(0, eol + 2 + size + 2);
      if (size == 0) return OkStatus();  // (trailers are not supported)
    }
  }
  if (auto cl = out->Header("content-length")) {
    const size_t length = std::strtoull(cl->c_str(), nullptr, 10);
    while (buffer_.size() < length) {
      ASSIGN_OR_RETURN(bool more, fill());
      if (!more) return UnavailableError("connection closed inside the body");
    }
    out->body = buffer_.substr(0, length);
    buffer_.erase(0, length);
    return OkStatus();
  }
  // Neither: the body runs to the end of the connection.
  for (;;) {
    ASSIGN_OR_RETURN(bool more, fill());
    if (!more) break;
  }
  out->body = std::move(buffer_);
  buffer_.clear();
  *keep_alive = false;
  return OkStatus();
}

}  // namespace vigil::testutil
