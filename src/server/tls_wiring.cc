#include "server/tls_wiring.h"

#include <algorithm>
#include <ctime>
#include <vector>

#include "storage/file_util.h"

namespace vigil::server {

StatusOr<http::TlsFiles> ServerTlsFiles(const Config& config, std::FILE* out) {
  if (!config.tls_self_signed) return http::TlsFiles{config.tls_cert_file, config.tls_key_file};
  std::vector<std::string> hosts = {"localhost", "127.0.0.1", "::1"};
  const std::string& listen = config.listen_host;
  if (listen != "0.0.0.0" && listen != "::" &&
      std::find(hosts.begin(), hosts.end(), listen) == hosts.end()) {
    hosts.push_back(listen);
  }
  ASSIGN_OR_RETURN(http::TlsFiles files,
                   http::LoadOrCreateSelfSigned(config.data_dir + "/tls", hosts,
                                                static_cast<int64_t>(std::time(nullptr))));
  ASSIGN_OR_RETURN(std::string pem, storage::ReadFile(files.cert_file));
  ASSIGN_OR_RETURN(std::string fingerprint, http::CertificateFingerprint(pem));
  std::fprintf(out, "TLS: self-signed certificate %s\n", files.cert_file.c_str());
  std::fprintf(out, "TLS: SHA-256 fingerprint %s\n", fingerprint.c_str());
  std::fprintf(out, "TLS: trust it with curl --cacert %s, aws --ca-bundle %s\n",
               files.cert_file.c_str(), files.cert_file.c_str());
  return files;
}

Status ReloadTls(http::Server& server, lb::LoadBalancer* balancer, Logger& logger) {
  Status first = OkStatus();
  if (server.tls()) {
    Status s = server.ReloadTls();
    if (!s.ok()) logger.Error("server", "TLS reload of the API listener: " + s.message());
    first = s;
  }
  if (balancer != nullptr) {
    Status s = balancer->ReloadTls();
    if (!s.ok()) logger.Error("server", "TLS reload of a load balancer listener: " + s.message());
    if (first.ok()) first = s;
  }
  if (first.ok()) logger.Info("server", "TLS certificates reloaded");
  return first;
}

}  // namespace vigil::server
