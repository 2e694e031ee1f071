#include "bench/tsdb/sigv4.h"

#include <algorithm>
#include <cctype>
#include <ctime>
#include <map>

#include "auth/auth.h"

namespace vigil::bench {
namespace {

std::string Hex(std::string_view raw) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(raw.size() * 2);
  for (unsigned char c : raw) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 15]);
  }
  return out;
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Trims and collapses runs of spaces, as SigV4 canonical headers require.
std::string CanonicalValue(const std::string& v) {
  std::string out;
  bool space = false;
  for (char c : v) {
    if (c == ' ' || c == '\t') {
      space = !out.empty();
      continue;
    }
    if (space) out.push_back(' ');
    space = false;
    out.push_back(c);
  }
  return out;
}

}  // namespace

std::string AmzDate(int64_t unix_seconds) {
  std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y%m%dT%H%M%SZ", &tm);
  return buf;
}

void SignRequest(const SigV4Credentials& creds, const std::string& host_header,
                 int64_t unix_seconds, HttpRequest* request) {
  const std::string amz_date = AmzDate(unix_seconds);
  const std::string date = amz_date.substr(0, 8);
  request->headers.emplace_back("X-Amz-Date", amz_date);

  std::map<std::string, std::string> signed_headers;  // lower-case name -> canonical value
  signed_headers["host"] = host_header;
  for (const auto& [name, value] : request->headers) {
    signed_headers[Lower(name)] = CanonicalValue(value);
  }
  std::string canonical = request->method + "\n" + request->target + "\n\n";
  std::string names;
  for (const auto& [name, value] : signed_headers) {
    canonical += name + ":" + value + "\n";
    if (!names.empty()) names += ';';
    names += name;
  }
  canonical += "\n" + names + "\n" + auth::Sha256Hex(request->body);

  const std::string scope = date + "/" + creds.region + "/" + creds.service + "/aws4_request";
  const std::string to_sign =
      "AWS4-HMAC-SHA256\n" + amz_date + "\n" + scope + "\n" + auth::Sha256Hex(canonical);
  std::string key = auth::HmacSha256("AWS4" + creds.secret_access_key, date);
  key = auth::HmacSha256(key, creds.region);
  key = auth::HmacSha256(key, creds.service);
  key = auth::HmacSha256(key, "aws4_request");
  const std::string signature = Hex(auth::HmacSha256(key, to_sign));
  request->headers.emplace_back("Authorization",
                                "AWS4-HMAC-SHA256 Credential=" + creds.access_key_id + "/" + scope +
                                    ", SignedHeaders=" + names + ", Signature=" + signature);
}

}  // namespace vigil::bench
