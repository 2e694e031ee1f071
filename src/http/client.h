#pragma once
// A blocking HTTP/1.1 client on one keep-alive connection (Boost.Beast), for the `vigil` CLI,
// load generation and latency measurement: no pooling, no redirects. https verifies the server's
// certificate (the system's trust store plus ClientOptions::ca_file) and its host name, and
// sends SNI; there is no way to skip that.
//
// Thread-safety: one Client per thread.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"

namespace vigil::http {

// "http://HOST[:PORT][/path]" or "https://..." split into its parts. InvalidArgument for
// anything else.
struct Url {
  bool tls = false;  // https
  std::string host;
  uint16_t port = 80;  // 443 for https without a port
  std::string path;    // "" when the URL has none
  std::string HostHeader() const { return host + ":" + std::to_string(port); }
};
StatusOr<Url> ParseUrl(const std::string& url);

// RFC 3986 percent-encoding: every byte but the unreserved ones (A-Z a-z 0-9 - _ . ~) becomes
// %XX; for a path segment or a form value.
std::string PercentEncode(std::string_view text);

using Headers = std::vector<std::pair<std::string, std::string>>;

struct ClientRequest {
  std::string method = "POST";
  std::string target = "/";  // path + optional "?query"
  Headers headers;           // Content-Length is added by the client, and Host unless present
  std::string body;
};

struct ClientResponse {
  int status = 0;
  std::string body;
};

struct ClientOptions {
  std::string ca_file;  // https: an extra trust anchor (PEM bundle); empty: the system's only
};

class Client {
 public:
  explicit Client(Url url, ClientOptions options = {});
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Sends the request on the kept-alive connection (connecting first when needed) and reads
  // the whole response. A request that fails on a reused connection (the server closed it while
  // idle) is retried once on a fresh one. Unavailable when the server cannot be reached, or
  // (naming the reason, e.g. "certificate verify failed: self-signed certificate") when its
  // certificate is not trusted or names another host, or the CA file cannot be loaded.
  StatusOr<ClientResponse> RoundTrip(const ClientRequest& request);

  const Url& url() const { return url_; }

 private:
  struct Impl;
  Status Connect();  // a fresh connection (and TLS handshake)
  Url url_;
  ClientOptions options_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace vigil::http
