// The server's TLS context: modern defaults, loading with errors that name the file, reload.
#include "http/tls.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <cstring>
#include <utility>

#include "http/beast_ssl.h"
#include "storage/file_util.h"

namespace vigil::http {
namespace {

// Mozilla "intermediate" (v5.7) for TLS 1.2: ECDHE key exchange and AEAD ciphers only. TLS 1.3
// suites are OpenSSL's defaults (all AEAD).
constexpr const char* kTls12Ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

constexpr unsigned char kHttp11[] = {8, 'h', 't', 't', 'p', '/', '1', '.', '1'};

// The oldest OpenSSL error on this thread's queue as text (and the queue cleared).
std::string OpenSslError() {
  const unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return "unknown OpenSSL error";
  char text[256];
  ERR_error_string_n(code, text, sizeof(text));
  return text;
}

// ALPN: we speak HTTP/1.1 only. A client offering only other protocols (h2) gets none agreed
// and may go on with HTTP/1.1 or give up, as RFC 7301 lets it.
int SelectAlpn(SSL*, const unsigned char** out, unsigned char* outlen, const unsigned char* in,
               unsigned int inlen, void*) {
  unsigned char* selected = nullptr;
  if (SSL_select_next_proto(&selected, outlen, kHttp11, sizeof(kHttp11), in, inlen) !=
      OPENSSL_NPN_NEGOTIATED) {
    return SSL_TLSEXT_ERR_NOACK;
  }
  *out = selected;
  return SSL_TLSEXT_ERR_OK;
}

// Fails unless `path` can be read: OpenSSL's own messages do not say why a file was not read.
Status CheckReadable(const std::string& path, const char* what) {
  if (path.empty()) return InvalidArgumentError(std::string("TLS: no ") + what + " file given");
  StatusOr<std::string> text = storage::ReadFile(path);
  if (!text.ok()) {
    return InvalidArgumentError(std::string("TLS ") + what + ": " + text.status().message());
  }
  if (text->find("-----BEGIN ") == std::string::npos) {
    return InvalidArgumentError(std::string("TLS ") + what + " " + path + ": not a PEM file");
  }
  return OkStatus();
}

}  // namespace

StatusOr<std::shared_ptr<asio::ssl::context>> NewServerContext(const TlsFiles& files) {
  RETURN_IF_ERROR(CheckReadable(files.cert_file, "certificate"));
  RETURN_IF_ERROR(CheckReadable(files.key_file, "key"));
  auto ctx = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_server);
  SSL_CTX* native = ctx->native_handle();
  ERR_clear_error();
  SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION);
  SSL_CTX_set_options(
      native, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  if (SSL_CTX_set_cipher_list(native, kTls12Ciphers) != 1) {
    return InternalError("TLS: setting the cipher list: " + OpenSslError());
  }
  SSL_CTX_set_alpn_select_cb(native, SelectAlpn, nullptr);
  // Session resumption by tickets: a reconnecting client skips the full handshake. Tickets are
  // keyed per context, so a reload also starts new sessions.
  SSL_CTX_set_session_cache_mode(native, SSL_SESS_CACHE_SERVER);
  if (SSL_CTX_use_certificate_chain_file(native, files.cert_file.c_str()) != 1) {
    return InvalidArgumentError("TLS certificate " + files.cert_file + ": " + OpenSslError());
  }
  if (SSL_CTX_use_PrivateKey_file(native, files.key_file.c_str(), SSL_FILETYPE_PEM) != 1 ||
      SSL_CTX_check_private_key(native) != 1) {
    if (ERR_GET_REASON(ERR_peek_error()) != X509_R_KEY_VALUES_MISMATCH) {
      return InvalidArgumentError("TLS key " + files.key_file + ": " + OpenSslError());
    }
    return InvalidArgumentError("TLS key " + files.key_file + " does not match the certificate " +
                                files.cert_file + ": " + OpenSslError());
  }
  return ctx;
}

StatusOr<std::shared_ptr<asio::ssl::context>> NewClientContext(const std::string& ca_file) {
  auto ctx = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_client);
  SSL_CTX_set_min_proto_version(ctx->native_handle(), TLS1_2_VERSION);
  boost::system::error_code ec;
  ctx->set_default_verify_paths(ec);
  if (!ca_file.empty()) {
    ctx->load_verify_file(ca_file, ec);
    if (ec) return UnavailableError("loading CA file " + ca_file + ": " + ec.message());
  }
  ctx->set_verify_mode(asio::ssl::verify_peer);
  return ctx;
}

std::string VerifyError(const void* ssl) {
  const long result = SSL_get_verify_result(static_cast<const SSL*>(ssl));
  return result == X509_V_OK ? "" : X509_verify_cert_error_string(result);
}

StatusOr<std::unique_ptr<TlsContext>> TlsContext::Load(TlsFiles files) {
  std::unique_ptr<TlsContext> tls(new TlsContext(std::move(files)));
  RETURN_IF_ERROR(tls->Reload());
  return tls;
}

Status TlsContext::Reload() {
  ASSIGN_OR_RETURN(std::shared_ptr<asio::ssl::context> fresh, NewServerContext(files_));
  std::lock_guard lock(mu_);
  current_ = std::move(fresh);
  return OkStatus();
}

std::shared_ptr<asio::ssl::context> TlsContext::current() const {
  std::lock_guard lock(mu_);
  return current_;
}

}  // namespace vigil::http
