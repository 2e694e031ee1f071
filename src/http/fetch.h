#pragma once
// One HTTP/1.1 exchange on a fresh connection, http:// or https://, with a deadline over the
// whole of it: for webhooks, where the peer is anybody's server and may be slow or gone.
// https verifies the certificate chain (the system's trust store, plus `ca_file` when given)
// and the host name (or, with `peer_cert_file`, the certificate itself), and sends SNI.
//
// Thread-safety: reentrant; each call runs its own event loop.
#include <chrono>
#include <string>

#include "common/status.h"
#include "http/client.h"

namespace vigil::http {

struct FetchOptions {
  std::chrono::milliseconds timeout{5000};  // resolve, connect, handshake, write and read
  // Extra trust anchors (PEM, one or more certificates); empty: the system's only. Any
  // certificate in it anchors a chain, a root or not (X509_V_FLAG_PARTIAL_CHAIN, as curl does):
  // a server's own certificate, or an intermediate, may be all it holds.
  std::string ca_file;
  // When not empty, the server's certificate must be the first certificate of this PEM file,
  // which stands instead of the host name check (for a server reached at an address its
  // certificate does not name, whose certificate the caller knows). The chain is still verified.
  std::string peer_cert_file;
  size_t max_response_bytes = 1 << 20;
};

// Unavailable naming the step that failed (resolving, connecting, TLS handshake, timed out
// after N ms, ...; a certificate refused: "TLS handshake with HOST:PORT: certificate verify
// failed: WHY"); InvalidArgument for a URL that is not http:// or https://.
StatusOr<ClientResponse> Fetch(const std::string& url, const ClientRequest& request,
                               const FetchOptions& options = {});

}  // namespace vigil::http
