#pragma once
// Private to vigil::auth: the pieces of AWS Signature Version 4, exposed for sigv4.cc and tests.
// Reference: AWS "Create a signed AWS API request" (SigV4) and NOTES.md §9 of the awscli captures.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"

namespace vigil::auth::sigv4 {

inline constexpr std::string_view kAlgorithm = "AWS4-HMAC-SHA256";
inline constexpr std::string_view kTerminator = "aws4_request";

// The parts of "AWS4-HMAC-SHA256 Credential=AKID/DATE/REGION/SERVICE/aws4_request,
// SignedHeaders=a;b;c, Signature=hex". Views into the parsed header value.
struct Authorization {
  std::string_view access_key_id;
  std::string_view date;  // YYYYMMDD
  std::string_view region;
  std::string_view service;
  std::string_view signed_headers;  // "a;b;c", as sent
  std::string_view signature;       // hex, as sent
};

// Parses an Authorization header value; parts may be separated by "," or ", ".
// InvalidArgument with an AWS-like message (to be sent as IncompleteSignature) when malformed.
StatusOr<Authorization> ParseAuthorization(std::string_view value);

// Percent-encodes every byte except A-Z a-z 0-9 - _ . ~ (and '/' when keep_slash), with
// upper-case hex, as SigV4 requires.
std::string UriEncode(std::string_view s, bool keep_slash);
// Decodes %XX escapes; malformed escapes are kept literally; '+' stays '+'.
std::string PercentDecode(std::string_view s);

// The canonical URI of a path as sent: URI-encoded once more (SigV4 for every service but S3),
// "/" when empty.
std::string CanonicalUri(std::string_view path);
// The canonical query: each name and value decoded then re-encoded, pairs sorted by name then
// value, joined with '&'. "" for an empty query.
std::string CanonicalQuery(std::string_view query);
// "name:value\n" for each name of signed_headers (in that order): values of every header with
// that name (ASCII case-insensitive) trimmed, inner whitespace runs collapsed to one space,
// joined by ','.
std::string CanonicalHeaders(const std::vector<std::pair<std::string, std::string>>& headers,
                             std::string_view signed_headers);
std::string CanonicalRequest(std::string_view method, std::string_view path, std::string_view query,
                             const std::vector<std::pair<std::string, std::string>>& headers,
                             std::string_view signed_headers, std::string_view payload_hash);

// "YYYYMMDDTHHMMSSZ" (UTC) to milliseconds since the epoch; nullopt unless exactly that form
// with valid field ranges.
std::optional<int64_t> ParseAmzDate(std::string_view s);
// Milliseconds since the epoch to "YYYYMMDDTHHMMSSZ" (truncated to the second).
std::string FormatAmzDate(int64_t millis);

// kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request").
std::string DeriveSigningKey(std::string_view secret, std::string_view date,
                             std::string_view region, std::string_view service);

// True when `list` ("a;b;c") contains `name` as a whole element.
bool ListContains(std::string_view list, std::string_view name);

}  // namespace vigil::auth::sigv4
