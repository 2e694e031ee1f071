#pragma once
// vigil::http TLS: the server side's certificate (a reloadable OpenSSL context with modern
// defaults, shared by the HTTP server and the load balancer), and the making of certificates
// (`vigil server --tls-self-signed`, and the test CAs of the tests).
//
// Defaults (Mozilla "intermediate"): TLS 1.2 and 1.3 only (1.3 when the client has it); TLS 1.2
// ciphers ECDHE with AEAD only; the server's cipher order; no compression; no renegotiation;
// ALPN "http/1.1".
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/status.h"

namespace boost::asio::ssl {
class context;
}

namespace vigil::http {

// Where a listener's certificate comes from. Both empty: plain HTTP.
struct TlsFiles {
  std::string cert_file;  // PEM: the certificate, then any intermediates
  std::string key_file;   // PEM: its private key, unencrypted
  bool enabled() const { return !cert_file.empty() || !key_file.empty(); }
};

// A server's TLS context, replaceable while connections use the old one.
//
// Thread-safety: all methods may be called concurrently. A handshake takes current() once, at
// accept; the connection keeps that context for its life (it holds a reference), so Reload()
// affects new connections only and drops none.
class TlsContext {
 public:
  // Reads and checks the files. InvalidArgument naming the file when one cannot be read, is not
  // PEM of the expected kind, or the key does not belong to the certificate.
  static StatusOr<std::unique_ptr<TlsContext>> Load(TlsFiles files);

  // Re-reads the same files into a new context and makes it current. On error (as Load's)
  // the old context stays current.
  Status Reload();

  std::shared_ptr<boost::asio::ssl::context> current() const;
  const TlsFiles& files() const { return files_; }

 private:
  explicit TlsContext(TlsFiles files) : files_(std::move(files)) {}
  const TlsFiles files_;
  mutable std::mutex mu_;
  std::shared_ptr<boost::asio::ssl::context> current_;  // guarded by mu_
};

// Builds a server context from the files, with the defaults above (Load's errors).
StatusOr<std::shared_ptr<boost::asio::ssl::context>> NewServerContext(const TlsFiles& files);

// A client context that verifies the peer: the system's trust store, plus `ca_file` (PEM, one or
// more certificates) when not empty. Unavailable naming the file when it cannot be loaded.
StatusOr<std::shared_ptr<boost::asio::ssl::context>> NewClientContext(const std::string& ca_file);

// Why the last handshake on `ssl` (an SSL*) failed verification, e.g. "self-signed certificate";
// "" when verification passed.
std::string VerifyError(const void* ssl);

// --- Making certificates (tls_cert.cc), with the OpenSSL API in process.

struct CertificateSpec {
  std::string common_name;
  std::vector<std::string> hosts;  // subjectAltName: IP addresses as IP, the others as DNS
  int64_t not_before_s = 0;        // Unix seconds; 0: now - 1 minute
  int64_t valid_s = 365LL * 24 * 3600;
  uint64_t serial = 0;  // 0: random
  bool is_ca = false;   // basicConstraints CA:TRUE, keyUsage keyCertSign
  // The issuer's certificate and key (PEM); both empty: self-signed.
  std::string issuer_cert_pem, issuer_key_pem;
};

struct Certificate {
  std::string cert_pem;
  std::string key_pem;  // ECDSA P-256, PKCS#8
};

// A new ECDSA P-256 key and its X.509 v3 certificate (SHA-256 signature). InvalidArgument for a
// bad issuer; Internal when OpenSSL fails.
StatusOr<Certificate> IssueCertificate(const CertificateSpec& spec);

// The SHA-256 fingerprint of a PEM certificate, as "AB:CD:...". InvalidArgument when not PEM.
StatusOr<std::string> CertificateFingerprint(const std::string& cert_pem);

// The serial number of a PEM certificate, in hex ("1A2B"). InvalidArgument when not PEM.
StatusOr<std::string> CertificateSerial(const std::string& cert_pem);

// `vigil server --tls-self-signed`: <dir>/cert.pem and <dir>/key.pem (0600), a self-signed
// certificate for `hosts`, valid one year. Reused when the files exist, cover every host and
// are valid for at least another day; made anew otherwise. Returns the files; an error when the
// directory or files cannot be written.
StatusOr<TlsFiles> LoadOrCreateSelfSigned(const std::string& dir,
                                          const std::vector<std::string>& hosts, int64_t now_s);

}  // namespace vigil::http
