#include "fleet/probe.h"

#include <chrono>
#include <utility>

namespace vigil::fleet {
namespace {

namespace beast = http::beast;
namespace bhttp = http::bhttp;
using http::tcp;
using SteadyClock = std::chrono::steady_clock;

int64_t MicrosSince(SteadyClock::time_point start) {
  return std::chrono::duration_cast<std::chrono::microseconds>(SteadyClock::now() - start).count();
}

// "connection refused", or "timed out after 500 ms" when the stream's deadline passed.
std::string Describe(const boost::system::error_code& ec, int64_t timeout_ms) {
  if (ec == beast::error::timeout) return "timed out after " + std::to_string(timeout_ms) + " ms";
  return ec.message();
}

}  // namespace

asio::awaitable<ProbeResult> HttpGet(std::string host, uint16_t port, std::string path,
                                     int64_t timeout_ms, size_t max_body) {
  const auto start = SteadyClock::now();
  ProbeResult result;
  boost::system::error_code ec;
  auto executor = co_await asio::this_coro::executor;
  beast::tcp_stream stream(executor);
  stream.expires_after(std::chrono::milliseconds(timeout_ms));
  const tcp::endpoint endpoint(asio::ip::make_address(host, ec), port);
  if (ec) {
    result.detail = "bad address " + host;
    co_return result;
  }
  co_await stream.async_connect(endpoint, asio::redirect_error(asio::use_awaitable, ec));
  if (!ec) {
    bhttp::request<bhttp::empty_body> request(bhttp::verb::get, path, 11);
    request.set(bhttp::field::host, host + ":" + std::to_string(port));
    request.set(bhttp::field::user_agent, "vigil-health-check");
    request.set(bhttp::field::connection, "close");
    co_await bhttp::async_write(stream, request, asio::redirect_error(asio::use_awaitable, ec));
  }
  if (!ec) {
    beast::flat_buffer buffer;
    bhttp::response_parser<bhttp::string_body> parser;
    parser.body_limit(max_body);
    co_await bhttp::async_read(stream, buffer, parser,
                               asio::redirect_error(asio::use_awaitable, ec));
    if (!ec) {
      result.ok = true;
      result.status = static_cast<int>(parser.get().result_int());
      result.body = std::move(parser.get().body());
      result.detail = "HTTP " + std::to_string(result.status);
    }
  }
  if (ec) result.detail = Describe(ec, timeout_ms);
  stream.socket().close(ec);
  result.elapsed_us = MicrosSince(start);
  co_return result;
}

asio::awaitable<ProbeResult> RunCheck(const CheckSpec& spec, std::string host, uint16_t port,
                                      int64_t timeout_ms) {
  if (spec.kind == CheckSpec::Kind::kHttp) {
    ProbeResult result = co_await HttpGet(std::move(host), port, spec.path, timeout_ms, 64 << 10);
    result.body.clear();
    if (result.ok && (result.status < 200 || result.status >= 400)) {
      result.ok = false;
      result.detail = "GET " + spec.path + " answered HTTP " + std::to_string(result.status);
    }
    co_return result;
  }
  const auto start = SteadyClock::now();
  ProbeResult result;
  boost::system::error_code ec;
  beast::tcp_stream stream(co_await asio::this_coro::executor);
  stream.expires_after(std::chrono::milliseconds(timeout_ms));
  const tcp::endpoint endpoint(asio::ip::make_address(host, ec), port);
  if (!ec) co_await stream.async_connect(endpoint, asio::redirect_error(asio::use_awaitable, ec));
  result.ok = !ec;
  result.detail = ec ? "connect: " + Describe(ec, timeout_ms) : "connected";
  stream.socket().close(ec);
  result.elapsed_us = MicrosSince(start);
  co_return result;
}

}  // namespace vigil::fleet
