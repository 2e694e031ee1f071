#pragma once
// Test-side AWS clients: a SigV4 signer written independently of src/auth (straight on
// OpenSSL, so a bug in the server's verifier cannot hide behind the same bug here), and a tiny
// blocking HTTP/1.1 client over a loopback socket for tests that need raw requests.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"

namespace vigil::testutil {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

struct HttpRequest {
  std::string method = "POST";
  std::string target = "/";  // path [+ "?" + query]
  HeaderList headers;        // sent in this order; Host and Content-Length are added if absent
  std::string body;
};

struct HttpResponse {
  int status = 0;
  HeaderList headers;
  std::string body;
  // Value of the first header with this name (ASCII case-insensitive), or nullopt.
  std::optional<std::string> Header(std::string_view name) const;
};

struct SigV4Key {
  std::string access_key_id;
  std::string secret_access_key;
  std::string region = "us-east-1";
  std::string service = "monitoring";
};

// Signs `request` in place with AWS Signature Version 4 as the aws CLIs do: sets X-Amz-Date
// (from `now`) and Authorization. The signed headers are host, x-amz-date and, when present,
// content-type, content-encoding and every x-amz-* / x-amzn-* header; the payload hash is the
// SHA-256 of the body as it will be sent. Requires a Host header to be present already (the
// loopback client's HttpClient::Host() gives the value the server will see).
void SignV4(const SigV4Key& key, std::chrono::system_clock::time_point now, HttpRequest* request);

// "YYYYMMDDTHHMMSSZ" in UTC.
std::string AmzDate(std::chrono::system_clock::time_point t);

// A blocking HTTP/1.1 client for one loopback server. Keeps its connection alive between
// requests and reconnects when the server closed it. Not thread-safe: one per thread.
class HttpClient {
 public:
  explicit HttpClient(uint16_t port, std::string host = "127.0.0.1");
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // "127.0.0.1:PORT", the Host header value.
  std::string Host() const;

  // Sends the request (adding Host and Content-Length when absent) and reads the response.
  // When the server answers before reading the whole body (e.g. 413) the response is still
  // returned. Unavailable on connect/IO errors or a malformed response, DeadlineExceeded when
  // no complete response arrived within `timeout`. A request that fails on a reused
  // keep-alive connection before any response byte is NOT retried (the caller decides).
  StatusOr<HttpResponse> Send(const HttpRequest& request,
                              std::chrono::milliseconds timeout = std::chrono::seconds(30));

  // Closes the connection (the next Send opens a new one).
  void Close();

 private:
  Status Connect(std::chrono::milliseconds timeout);
  Status ReadResponse(std::chrono::steady_clock::time_point deadline, HttpResponse* out,
                      bool* keep_alive);

  std::string host_;
  uint16_t port_;
  int fd_ = -1;
  std::string buffer_;  // bytes read past the previous response
};

}  // namespace vigil::testutil
