#pragma once
// Private to vigil::fleet: one active check of an instance, or one scrape of its /metrics, as a
// coroutine on the supervisor's event loop. Never throws; every failure is a ProbeResult.
#include <cstdint>
#include <string>

#include "fleet/fleet.h"
#include "http/beast.h"

namespace vigil::fleet {

namespace asio = http::asio;

struct ProbeResult {
  bool ok = false;
  std::string detail;  // why it failed ("timed out after 500 ms", "HTTP 503"), or "HTTP 200"
  int status = 0;      // HTTP status when one was read
  std::string body;    // the response body (HttpGet only)
  int64_t elapsed_us = 0;
};

// GET http://host:port/path with Connection: close; the whole exchange within timeout_ms.
// ok for any HTTP answer read in time (the caller judges the status); bodies over max_body fail.
asio::awaitable<ProbeResult> HttpGet(std::string host, uint16_t port, std::string path,
                                     int64_t timeout_ms, size_t max_body);

// The check `spec` against host:port: a TCP connect (kTcp) or a GET answered 2xx/3xx (kHttp),
// within timeout_ms.
asio::awaitable<ProbeResult> RunCheck(const CheckSpec& spec, std::string host, uint16_t port,
                                      int64_t timeout_ms);

}  // namespace vigil::fleet
