#include "http/fetch.h"

#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <cerrno>
#include <cstring>
#include <memory>

#include "http/tls.h"

namespace vigil::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = asio::ip::tcp;
using ErrorCode = boost::system::error_code;
using X509Ptr = std::unique_ptr<X509, decltype(&X509_free)>;

// The first certificate of a PEM file; Unavailable naming the file.
StatusOr<X509Ptr> ReadFirstCertificate(const std::string& path) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_file(path.c_str(), "r"), BIO_free);
  if (bio == nullptr) {
    return UnavailableError("reading certificate file " + path + ": " + std::strerror(errno));
  }
  X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr), X509_free);
  if (cert == nullptr) {
    return UnavailableError("certificate file " + path + ": no PEM certificate in it");
  }
  return cert;
}

bhttp::request<bhttp::string_body> BuildRequest(const Url& url, const ClientRequest& r) {
  bhttp::request<bhttp::string_body> req;
  req.method(bhttp::string_to_verb(r.method));
  req.target(r.target.empty() ? (url.path.empty() ? "/" : url.path) : r.target);
  req.version(11);
  for (const auto& [name, value] : r.headers) req.insert(name, value);
  if (req.find(bhttp::field::host) == req.end()) req.set(bhttp::field::host, url.host);
  req.set(bhttp::field::connection, "close");
  req.body() = r.body;
  req.prepare_payload();
  return req;
}

// Runs one exchange on `stream` (a tcp_stream, or an ssl_stream over one), setting *out or
// *error. `lowest` is the tcp_stream the deadline is set on.
// `pinned`: the certificate the server must present (FetchOptions::peer_cert_file), or null.
template <class Stream>
asio::awaitable<void> Exchange(Stream& stream, beast::tcp_stream& lowest, const Url& url,
                               const ClientRequest& request, const FetchOptions& options, bool tls,
                               const X509* pinned, StatusOr<ClientResponse>* out) {
  const auto say = [&](const std::string& step, const std::string& why) {
    *out = UnavailableError(step + " " + url.host + ":" + std::to_string(url.port) + ": " + why);
  };
  const auto fail = [&](const std::string& step, const ErrorCode& ec) {
    say(step, ec == beast::error::timeout
                  ? "timed out after " + std::to_string(options.timeout.count()) + " ms"
                  : ec.message());
  };
  ErrorCode ec;
  tcp::resolver resolver(co_await asio::this_coro::executor);
  const auto endpoints = co_await resolver.async_resolve(
      url.host, std::to_string(url.port), asio::redirect_error(asio::use_awaitable, ec));
  if (ec) co_return fail("resolving", ec);
  co_await lowest.async_connect(endpoints, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) co_return fail("connecting to", ec);
  if constexpr (!std::is_same_v<Stream, beast::tcp_stream>) {
    if (tls) {
      co_await stream.async_handshake(asio::ssl::stream_base::client,
                                      asio::redirect_error(asio::use_awaitable, ec));
      if (ec) {
        const std::string why = VerifyError(stream.native_handle());
        if (why.empty()) co_return fail("TLS handshake with", ec);
        co_return say("TLS handshake with", "certificate verify failed: " + why);
      }
      if (pinned != nullptr &&
          X509_cmp(SSL_get0_peer_certificate(stream.native_handle()), pinned) != 0) {
        co_return say("TLS handshake with", "certificate verify failed: not the certificate of " +
                                                options.peer_cert_file);
      }
    }
  }
  auto req = BuildRequest(url, request);
  co_await bhttp::async_write(stream, req, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) co_return fail("sending to", ec);
  beast::flat_buffer buffer;
  bhttp::response_parser<bhttp::string_body> parser;
  parser.body_limit(options.max_response_bytes);
  co_await bhttp::async_read(stream, buffer, parser, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) co_return fail("reading the answer of", ec);
  ClientResponse response;
  response.status = static_cast<int>(parser.get().result_int());
  response.body = std::move(parser.get().body());
  *out = std::move(response);
}

}  // namespace

StatusOr<ClientResponse> Fetch(const std::string& url_text, const ClientRequest& request,
                               const FetchOptions& options) {
  ASSIGN_OR_RETURN(Url url, ParseUrl(url_text));
  asio::io_context io;
  StatusOr<ClientResponse> result = UnavailableError("no answer");
  if (!url.tls) {
    beast::tcp_stream stream(io);
    stream.expires_after(options.timeout);
    asio::co_spawn(io, Exchange(stream, stream, url, request, options, false, nullptr, &result),
                   asio::detached);
    io.run();
    return result;
  }
  ASSIGN_OR_RETURN(std::shared_ptr<asio::ssl::context> ctx, NewClientContext(options.ca_file));
  if (!options.ca_file.empty()) {
    X509_STORE_set_flags(SSL_CTX_get_cert_store(ctx->native_handle()), X509_V_FLAG_PARTIAL_CHAIN);
  }
  X509Ptr pinned(nullptr, X509_free);
  if (!options.peer_cert_file.empty()) {
    ASSIGN_OR_RETURN(pinned, ReadFirstCertificate(options.peer_cert_file));
  }
  beast::ssl_stream<beast::tcp_stream> stream(io, *ctx);
  if (!SSL_set_tlsext_host_name(stream.native_handle(), url.host.c_str())) {
    return UnavailableError("TLS: cannot set the server name " + url.host);
  }
  // The host name (an IP address as such) is checked by OpenSSL within the chain's
  // verification, so a mismatch has a verify result of its own ("hostname mismatch").
  if (pinned == nullptr && SSL_set1_host(stream.native_handle(), url.host.c_str()) != 1) {
    return UnavailableError("TLS: cannot check the server name " + url.host);
  }
  beast::get_lowest_layer(stream).expires_after(options.timeout);
  asio::co_spawn(io,
                 Exchange(stream, beast::get_lowest_layer(stream), url, request, options, true,
                          pinned.get(), &result),
                 asio::detached);
  io.run();
  return result;
}

}  // namespace vigil::http
