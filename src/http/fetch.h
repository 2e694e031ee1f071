#pragma once
// One HTTP/1.1 exchange on a fresh connection, http:// or https://, with a deadline over the
// whole of it: for webhooks, where the peer is anybody's server and may be slow or gone.
// https verifies the certificate chain (the system's trust store, plus `ca_file` when given)
// and the host name, and sends SNI.
//
// Thread-safety: reentrant; each call runs its own event loop.
#include <chrono>
#include <string>

#include "common/status.h"
#include "http/client.h"

namespace vigil::http {

struct FetchOptions {
  std::chrono::milliseconds timeout{5000};  // resolve, connect, handshake, write and read
  std::string ca_file;                      // extra trust anchor (PEM); empty: system only
  size_t max_response_bytes = 1 << 20;
};

// Unavailable naming the step that failed (resolving, connecting, TLS handshake, timed out
// after N ms, ...); InvalidArgument for a URL that is not http:// or https://.
StatusOr<ClientResponse> Fetch(const std::string& url, const ClientRequest& request,
                               const FetchOptions& options = {});

}  // namespace vigil::http
