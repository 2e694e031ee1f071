// SigV4 signing for clients; shares the canonical forms with the verifier (sigv4_canonical.cc).
#include <algorithm>
#include <cctype>

#include "auth/auth.h"
#include "auth/crypto.h"
#include "auth/sigv4_internal.h"

namespace vigil::auth {
namespace sigv4 {

std::string DeriveSigningKey(std::string_view secret, std::string_view date,
                             std::string_view region, std::string_view service) {
  std::string k = HmacSha256(std::string("AWS4").append(secret), date);
  k = HmacSha256(k, region);
  k = HmacSha256(k, service);
  return HmacSha256(k, kTerminator);
}

}  // namespace sigv4

namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool IsSignedHeader(const std::string& lower) {
  return lower == "host" || lower == "content-type" || lower == "content-encoding" ||
         lower.starts_with("x-amz-") || lower.starts_with("x-amzn-");
}

}  // namespace

void SignRequest(const AccessKey& key, std::string_view region, std::string_view service,
                 int64_t now_ms, std::string_view method, std::string_view target,
                 std::vector<std::pair<std::string, std::string>>* headers, std::string_view body) {
  std::erase_if(*headers, [](const auto& h) {
    std::string lower = Lower(h.first);
    return lower == "x-amz-date" || lower == "authorization";
  });
  const std::string amz_date = sigv4::FormatAmzDate(now_ms);
  const std::string date = amz_date.substr(0, 8);
  headers->emplace_back("X-Amz-Date", amz_date);

  std::vector<std::string> names;
  for (const auto& [name, value] : *headers) {
    std::string lower = Lower(name);
    if (IsSignedHeader(lower) && std::find(names.begin(), names.end(), lower) == names.end()) {
      names.push_back(std::move(lower));
    }
  }
  std::sort(names.begin(), names.end());
  std::string signed_headers;
  for (const std::string& n : names) {
    if (!signed_headers.empty()) signed_headers += ';';
    signed_headers += n;
  }

  const size_t q = target.find('?');
  const std::string_view path = target.substr(0, q);
  const std::string_view query = q == std::string_view::npos ? "" : target.substr(q + 1);
  const std::string canonical =
      sigv4::CanonicalRequest(method, path, query, *headers, signed_headers, Sha256Hex(body));
  std::string scope = date;
  scope.append("/").append(region).append("/").append(service).append("/").append(
      sigv4::kTerminator);
  std::string to_sign(sigv4::kAlgorithm);
  to_sign.append("\n").append(amz_date).append("\n").append(scope).append("\n").append(
      Sha256Hex(canonical));
  const std::string signature = HexEncode(
      HmacSha256(sigv4::DeriveSigningKey(key.secret_access_key, date, region, service), to_sign));

  std::string authorization(sigv4::kAlgorithm);
  authorization.append(" Credential=").append(key.access_key_id).append("/").append(scope);
  authorization.append(", SignedHeaders=").append(signed_headers);
  authorization.append(", Signature=").append(signature);
  headers->emplace_back("Authorization", std::move(authorization));
}

}  // namespace vigil::auth
