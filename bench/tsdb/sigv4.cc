#include "bench/tsdb/sigv4.h"

#include <ctime>
#include <utility>
#include <vector>

#include "auth/auth.h"

namespace vigil::bench {

std::string AmzDate(int64_t unix_seconds) {
  std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y%m%dT%H%M%SZ", &tm);
  return buf;
}

void SignRequest(const SigV4Credentials& creds, const std::string& host_header,
                 int64_t unix_seconds, http::ClientRequest* request) {
  // The client adds Host when it sends; sign it here, then keep only what signing added.
  std::vector<std::pair<std::string, std::string>> headers = request->headers;
  headers.emplace_back("Host", host_header);
  auth::SignRequest(auth::AccessKey{creds.access_key_id, creds.secret_access_key}, creds.region,
                    creds.service, unix_seconds * 1000, request->method, request->target,
                    &headers, request->body);
  for (const auto& h : headers) {
    if (h.first == "X-Amz-Date" || h.first == "Authorization") request->headers.push_back(h);
  }
}

}  // namespace vigil::bench
