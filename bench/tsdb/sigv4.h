#pragma once
// AWS Signature Version 4 signing of a request's headers, as botocore and Prometheus'
// `sigv4:` remote-write block do (header signature, payload hashed, empty query string).
//
// Thread-safety: pure functions.

#include <cstdint>
#include <string>

#include "http/client.h"

namespace vigil::bench {

struct SigV4Credentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string region = "us-east-1";
  std::string service = "monitoring";  // Prometheus' sigv4 block signs for "aps"
};

// "YYYYMMDDTHHMMSSZ" for the Unix time `unix_seconds` (UTC).
std::string AmzDate(int64_t unix_seconds);

// Adds X-Amz-Date and Authorization to `request`, signing every header already present plus
// host (`host_header`) and x-amz-date, over the body bytes as they will be sent. The request's
// target must have no query string.
void SignRequest(const SigV4Credentials& creds, const std::string& host_header,
                 int64_t unix_seconds, http::ClientRequest* request);

}  // namespace vigil::bench
