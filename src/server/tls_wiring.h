#pragma once
// Private to the server: where the API's certificate comes from (files, or a self-signed one
// made in the data directory), and reloading every TLS listener on SIGHUP.
#include <cstdio>
#include <string>

#include "common/logging.h"
#include "common/status.h"
#include "http/http.h"
#include "lb/lb.h"
#include "server/config.h"

namespace vigil::server {

// The API and dashboard's TLS files: config's cert and key; with tls_self_signed, the
// certificate of http::LoadOrCreateSelfSigned in <data_dir>/tls for localhost, 127.0.0.1, ::1
// and the listen host, whose path and SHA-256 fingerprint are printed to `out` (users pass it
// as a CA bundle); neither: none (plain HTTP). Errors of making or reading the certificate.
StatusOr<http::TlsFiles> ServerTlsFiles(const Config& config, std::FILE* out);

// Reloads the certificates of `server` (when it serves TLS) and of the load balancer's TLS
// listeners (balancer may be null), logging each outcome: a listener whose new files are bad
// keeps its certificate. The first error, or OK.
Status ReloadTls(http::Server& server, lb::LoadBalancer* balancer, Logger& logger);

}  // namespace vigil::server
