#include "examples/shop/load_connection.h"

namespace vigil::shop {

namespace asio = http::asio;
namespace bhttp = http::bhttp;

LoadConnection::LoadConnection(http::Url url, std::chrono::milliseconds timeout)
    : url_(std::move(url)), timeout_(timeout) {}

void LoadConnection::Run() {
  ioc_.restart();
  ioc_.run();
}

void LoadConnection::Close() {
  boost::system::error_code ignored;
  stream_.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  stream_.close();
  buffer_.clear();
  connected_ = false;
}

StatusOr<Reply> LoadConnection::RoundTrip(const std::string& method, const std::string& target,
                                          const std::string& body) {
  boost::system::error_code ec;
  auto fail = [this, &ec](const char* step) {
    Close();
    return UnavailableError(std::string(step) + " " + url_.HostHeader() + ": " + ec.message());
  };
  if (!connected_) {
    asio::ip::tcp::resolver resolver(ioc_);
    const auto endpoints = resolver.resolve(url_.host, std::to_string(url_.port), ec);
    if (ec) return fail("resolve");
    stream_.expires_after(timeout_);
    stream_.async_connect(endpoints, [&ec](boost::system::error_code e, const auto&) { ec = e; });
    Run();
    if (ec) return fail("connect");
    stream_.socket().set_option(asio::ip::tcp::no_delay(true), ec);
    connected_ = true;
  }

  bhttp::request<bhttp::string_body> request(bhttp::string_to_verb(method), target, 11);
  request.set(bhttp::field::host, url_.HostHeader());
  if (!body.empty()) request.set(bhttp::field::content_type, "application/json");
  request.body() = body;
  request.prepare_payload();
  stream_.expires_after(timeout_);
  bhttp::async_write(stream_, request, [&ec](boost::system::error_code e, size_t) { ec = e; });
  Run();
  if (ec) return fail("write");

  bhttp::response<bhttp::string_body> response;
  bhttp::async_read(stream_, buffer_, response,
                    [&ec](boost::system::error_code e, size_t) { ec = e; });
  Run();
  if (ec) return fail("read");
  Reply reply;
  reply.status = static_cast<int>(response.result_int());
  if (auto it = response.find("X-Shop-Version"); it != response.end()) {
    reply.version = std::string(it->value());
  }
  if (!response.keep_alive()) Close();
  return reply;
}

}  // namespace vigil::shop
