// Making certificates with the OpenSSL API: keys, X.509 v3 certificates, fingerprints, and the
// self-signed certificate of `vigil server --tls-self-signed`.
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstdio>
#include <ctime>
#include <memory>

#include "http/tls.h"
#include "storage/file_util.h"

namespace vigil::http {
namespace {

template <class T, void (*Free)(T*)>
struct Deleter {
  void operator()(T* p) const { Free(p); }
};
using Key = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY, EVP_PKEY_free>>;
using Cert = std::unique_ptr<X509, Deleter<X509, X509_free>>;
using Bio = std::unique_ptr<BIO, Deleter<BIO, BIO_free_all>>;

constexpr int64_t kSelfSignedValidS = 365LL * 24 * 3600;
constexpr int64_t kRenewBeforeS = 24 * 3600;

Cert ParseCert(const std::string& pem) {
  Bio bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  return Cert(bio ? PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr) : nullptr);
}

Key ParseKey(const std::string& pem) {
  Bio bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  return Key(bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr) : nullptr);
}

template <class Write>
std::string ToPem(Write write) {
  Bio bio(BIO_new(BIO_s_mem()));
  if (!bio || write(bio.get()) != 1) return "";
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(n));
}

bool IsIpAddress(const std::string& host) {
  ASN1_OCTET_STRING* ip = a2i_IPADDRESS(host.c_str());
  if (ip == nullptr) return false;
  ASN1_OCTET_STRING_free(ip);
  return true;
}

// Adds one v3 extension in OpenSSL's configuration syntax ("critical,CA:TRUE").
bool AddExtension(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
  if (ext == nullptr) return false;
  const bool added = X509_add_ext(cert, ext, -1) == 1;
  X509_EXTENSION_free(ext);
  return added;
}

// Whether `pem` is a certificate valid from now for at least kRenewBeforeS naming every host.
bool StillGood(const std::string& pem, const std::vector<std::string>& hosts, int64_t now_s) {
  Cert cert = ParseCert(pem);
  if (!cert) return false;
  time_t renew_at = static_cast<time_t>(now_s + kRenewBeforeS);
  time_t now = static_cast<time_t>(now_s);
  if (X509_cmp_time(X509_get0_notAfter(cert.get()), &renew_at) <= 0) return false;
  if (X509_cmp_time(X509_get0_notBefore(cert.get()), &now) > 0) return false;
  for (const std::string& host : hosts) {
    const int ok = IsIpAddress(host)
                       ? X509_check_ip_asc(cert.get(), host.c_str(), 0)
                       : X509_check_host(cert.get(), host.data(), host.size(), 0, nullptr);
    if (ok != 1) return false;
  }
  return true;
}

}  // namespace

StatusOr<Certificate> IssueCertificate(const CertificateSpec& spec) {
  Key key(EVP_EC_gen("P-256"));
  if (!key) return InternalError("TLS: cannot make an ECDSA P-256 key");
  const bool self_signed = spec.issuer_cert_pem.empty();
  Cert issuer_cert;
  Key issuer_key;
  if (!self_signed) {
    issuer_cert = ParseCert(spec.issuer_cert_pem);
    issuer_key = ParseKey(spec.issuer_key_pem);
    if (!issuer_cert || !issuer_key) {
      return InvalidArgumentError("TLS: the issuer's certificate or key is not PEM");
    }
  }
  Cert cert(X509_new());
  if (!cert) return InternalError("TLS: X509_new failed");
  X509_set_version(cert.get(), 2);  // v3
  uint64_t serial = spec.serial;
  if (serial == 0) {
    RAND_bytes(reinterpret_cast<unsigned char*>(&serial), sizeof(serial));
    serial = (serial >> 1) | 1;  // positive and nonzero
  }
  ASN1_INTEGER_set_uint64(X509_get_serialNumber(cert.get()), serial);
  const int64_t not_before =
      spec.not_before_s != 0 ? spec.not_before_s : static_cast<int64_t>(std::time(nullptr)) - 60;
  ASN1_TIME_set(X509_getm_notBefore(cert.get()), static_cast<time_t>(not_before));
  ASN1_TIME_set(X509_getm_notAfter(cert.get()), static_cast<time_t>(not_before + spec.valid_s));
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>(spec.common_name.c_str()), -1,
                             -1, 0);
  X509_set_issuer_name(cert.get(), self_signed ? name : X509_get_subject_name(issuer_cert.get()));
  X509_set_pubkey(cert.get(), key.get());
  X509* issuer = self_signed ? cert.get() : issuer_cert.get();
  std::string san;
  for (const std::string& host : spec.hosts) {
    if (!san.empty()) san += ",";
    san += (IsIpAddress(host) ? "IP:" : "DNS:") + host;
  }
  bool ok = AddExtension(cert.get(), issuer, NID_basic_constraints,
                         spec.is_ca ? "critical,CA:TRUE" : "critical,CA:FALSE") &&
            AddExtension(cert.get(), issuer, NID_key_usage,
                         spec.is_ca ? "critical,keyCertSign,cRLSign,digitalSignature"
                                    : "critical,digitalSignature") &&
            AddExtension(cert.get(), issuer, NID_subject_key_identifier, "hash") &&
            (self_signed ||
             AddExtension(cert.get(), issuer, NID_authority_key_identifier, "keyid:always"));
  if (ok && !spec.is_ca) ok = AddExtension(cert.get(), issuer, NID_ext_key_usage, "serverAuth");
  if (ok && !san.empty()) ok = AddExtension(cert.get(), issuer, NID_subject_alt_name, san);
  if (!ok) return InvalidArgumentError("TLS: bad certificate extension (hosts: " + san + ")");
  if (X509_sign(cert.get(), self_signed ? key.get() : issuer_key.get(), EVP_sha256()) == 0) {
    return InternalError("TLS: signing the certificate failed");
  }
  Certificate out;
  out.cert_pem = ToPem([&](BIO* b) { return PEM_write_bio_X509(b, cert.get()); });
  out.key_pem = ToPem([&](BIO* b) {
    return PEM_write_bio_PrivateKey(b, key.get(), nullptr, nullptr, 0, nullptr, nullptr);
  });
  if (out.cert_pem.empty() || out.key_pem.empty()) return InternalError("TLS: PEM encoding failed");
  return out;
}

StatusOr<std::string> CertificateFingerprint(const std::string& cert_pem) {
  Cert cert = ParseCert(cert_pem);
  if (!cert) return InvalidArgumentError("not a PEM certificate");
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  X509_digest(cert.get(), EVP_sha256(), md, &n);
  std::string out;
  char hex[4];
  for (unsigned int i = 0; i < n; ++i) {
    std::snprintf(hex, sizeof(hex), i == 0 ? "%02X" : ":%02X", md[i]);
    out += hex;
  }
  return out;
}

StatusOr<std::string> CertificateSerial(const std::string& cert_pem) {
  Cert cert = ParseCert(cert_pem);
  if (!cert) return InvalidArgumentError("not a PEM certificate");
  BIGNUM* bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert.get()), nullptr);
  char* hex = bn != nullptr ? BN_bn2hex(bn) : nullptr;
  std::string out = hex != nullptr ? hex : "";
  OPENSSL_free(hex);
  BN_free(bn);
  return out;
}

StatusOr<TlsFiles> LoadOrCreateSelfSigned(const std::string& dir,
                                          const std::vector<std::string>& hosts, int64_t now_s) {
  TlsFiles files{dir + "/cert.pem", dir + "/key.pem"};
  if (storage::PathExists(files.cert_file) && storage::PathExists(files.key_file)) {
    StatusOr<std::string> pem = storage::ReadFile(files.cert_file);
    if (pem.ok() && StillGood(*pem, hosts, now_s)) return files;
  }
  RETURN_IF_ERROR(storage::CreateDirs(dir, 0700));
  CertificateSpec spec;
  spec.common_name = hosts.empty() ? "localhost" : hosts.front();
  spec.hosts = hosts;
  spec.not_before_s = now_s - 60;
  spec.valid_s = kSelfSignedValidS;
  // Self-signed and its own trust anchor: clients are given this very file as their CA bundle,
  // which OpenSSL accepts as a trust anchor only when it may act as a CA.
  spec.is_ca = true;
  ASSIGN_OR_RETURN(Certificate made, IssueCertificate(spec));
  RETURN_IF_ERROR(storage::WriteFileAtomic(files.key_file, made.key_pem, 0600));
  RETURN_IF_ERROR(storage::WriteFileAtomic(files.cert_file, made.cert_pem, 0644));
  return files;
}

}  // namespace vigil::http
