#pragma once
// A blocking TLS client on one connection for tests: it trusts a CA file, checks the host name
// 127.0.0.1, offers ALPN http/1.1, and reports what was negotiated (version, cipher, the
// server certificate's serial).
#include <openssl/ssl.h>

#include <optional>
#include <string>

#include "common/status.h"
#include "http/beast_ssl.h"

namespace vigil::testutil {

namespace asio = http::asio;
namespace beast = http::beast;
namespace bhttp = http::bhttp;
using BeastResponse = bhttp::response<bhttp::string_body>;

// The protocol versions the client offers.
struct ClientTls {
  int min_version = TLS1_2_VERSION;
  int max_version = 0;  // 0: the highest
};

// A blocking TLS client on one connection that trusts `ca_file` and checks the host name.
class TlsClient {
 public:
  TlsClient(uint16_t port, const std::string& ca_file, ClientTls versions = {})
      : ctx_(asio::ssl::context::tls_client) {
    SSL_CTX* native = ctx_.native_handle();
    if (versions.min_version < TLS1_2_VERSION) {
      // Let this client offer what OpenSSL would refuse by itself: the refusal under test must
      // be the server's.
      SSL_CTX_set_security_level(native, 0);
      SSL_CTX_set_cipher_list(native, "DEFAULT:@SECLEVEL=0");
    }
    SSL_CTX_set_min_proto_version(native, versions.min_version);
    SSL_CTX_set_max_proto_version(native, versions.max_version);
    ctx_.load_verify_file(ca_file);
    ctx_.set_verify_mode(asio::ssl::verify_peer);
    stream_.emplace(ioc_, ctx_);
    stream_->set_verify_callback(asio::ssl::host_name_verification("127.0.0.1"));
    static constexpr unsigned char kAlpn[] = {8, 'h', 't', 't', 'p', '/', '1', '.', '1'};
    SSL_set_alpn_protos(stream_->native_handle(), kAlpn, sizeof(kAlpn));
    stream_->next_layer().connect(http::tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
    stream_->handshake(asio::ssl::stream_base::client, handshake_error_);
  }

  const boost::system::error_code& handshake_error() const { return handshake_error_; }
  int version() { return SSL_version(stream_->native_handle()); }
  std::string cipher() { return SSL_get_cipher_name(stream_->native_handle()); }
  std::string alpn() {
    const unsigned char* p = nullptr;
    unsigned int n = 0;
    SSL_get0_alpn_selected(stream_->native_handle(), &p, &n);
    return std::string(reinterpret_cast<const char*>(p), n);
  }
  // The serial number of the certificate the server presented, in hex.
  std::string PeerSerial() {
    X509* cert = SSL_get1_peer_certificate(stream_->native_handle());
    if (cert == nullptr) return "";
    BIGNUM* bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), nullptr);
    char* hex = BN_bn2hex(bn);
    std::string out = hex;
    OPENSSL_free(hex);
    BN_free(bn);
    X509_free(cert);
    return out;
  }

  // Sends `req` (Host and framing added) and reads the whole answer; Unavailable on an error.
  StatusOr<BeastResponse> Send(bhttp::request<bhttp::string_body> req) {
    req.set(bhttp::field::host, "127.0.0.1");
    req.prepare_payload();
    boost::system::error_code ec;
    bhttp::write(*stream_, req, ec);
    bhttp::response_parser<bhttp::string_body> parser;
    parser.body_limit(64 << 20);
    if (!ec) bhttp::read(*stream_, buffer_, parser, ec);
    if (ec) return UnavailableError(ec.message());
    return parser.release();
  }
  StatusOr<BeastResponse> Get(const std::string& target) {
    return Send(bhttp::request<bhttp::string_body>(bhttp::verb::get, target, 11));
  }

 private:
  asio::io_context ioc_;
  asio::ssl::context ctx_;
  std::optional<asio::ssl::stream<http::tcp::socket>> stream_;
  beast::flat_buffer buffer_;
  boost::system::error_code handshake_error_;
};

}  // namespace vigil::testutil
