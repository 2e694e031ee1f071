// SigV4Verifier: checks an AWS4-HMAC-SHA256 header signature against the KeyStore.
#include <openssl/crypto.h>

#include <cstdlib>
#include <string>
#include <string_view>

#include "auth/auth.h"
#include "auth/crypto.h"
#include "auth/sigv4_internal.h"

namespace vigil::auth {
namespace {

constexpr std::string_view kSignatureMismatch =
    "The request signature we calculated does not match the signature you provided. Check your "
    "AWS Secret Access Key and signing method. Consult the service documentation for details.";
constexpr size_t kMaxCachedSigningKeys = 1024;

std::optional<std::string_view> FindHeader(
    const std::vector<std::pair<std::string, std::string>>& headers, std::string_view name) {
  for (const auto& [key, value] : headers) {
    if (key.size() != name.size()) continue;
    bool same = true;
    for (size_t i = 0; i < key.size() && same; ++i) {
      char c = key[i];
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
      same = c == name[i];  // `name` is lower case
    }
    if (same) return std::string_view(value);
  }
  return std::nullopt;
}

VerifyResult Fail(AuthError error, std::string message) {
  VerifyResult r;
  r.error = error;
  r.message = std::move(message);
  return r;
}

std::string SkewText(int64_t skew_ms) {
  if (skew_ms % 60'000 == 0) return std::to_string(skew_ms / 60'000) + " min.";
  return std::to_string(skew_ms / 1000) + " sec.";
}

}  // namespace

SigV4Verifier::SigV4Verifier(const KeyStore* keys, const Clock* clock, VerifierOptions options)
    : keys_(keys), clock_(clock), options_(options) {}

std::string SigV4Verifier::SigningKey(std::string_view secret, std::string_view date,
                                      std::string_view region, std::string_view service) const {
  std::string cache_key;
  cache_key.reserve(secret.size() + date.size() + region.size() + service.size() + 3);
  cache_key.append(secret).append("\n").append(date).append("/").append(region).append("/").append(
      service);
  {
    std::lock_guard lock(cache_mu_);
    auto it = signing_keys_.find(cache_key);
    if (it != signing_keys_.end()) return it->second;
  }
  std::string k = sigv4::DeriveSigningKey(secret, date, region, service);
  std::lock_guard lock(cache_mu_);
  if (signing_keys_.size() >= kMaxCachedSigningKeys) signing_keys_.clear();
  signing_keys_.emplace(std::move(cache_key), k);
  return k;
}

VerifyResult SigV4Verifier::Verify(const SignedRequest& request) const {
  const auto& headers = *request.headers;
  std::optional<std::string_view> authorization = FindHeader(headers, "authorization");
  if (!authorization) {
    return Fail(AuthError::kMissingAuthenticationToken, "Missing Authentication Token");
  }
  StatusOr<sigv4::Authorization> parsed = sigv4::ParseAuthorization(*authorization);
  if (!parsed.ok()) return Fail(AuthError::kIncompleteSignature, parsed.status().message());
  const sigv4::Authorization& auth = *parsed;

  std::optional<std::string_view> amz_date = FindHeader(headers, "x-amz-date");
  if (!amz_date) {
    return Fail(AuthError::kIncompleteSignature,
                "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' "
                "header. Authorization=" +
                    std::string(*authorization));
  }
  std::optional<int64_t> request_ms = sigv4::ParseAmzDate(*amz_date);
  if (!request_ms) {
    return Fail(AuthError::kIncompleteSignature,
                "Date must be in ISO-8601 'basic format'. Got '" + std::string(*amz_date) +
                    "'. See http://en.wikipedia.org/wiki/ISO_8601");
  }
  // Without these two signed, a captured request could be replayed elsewhere or later.
  if (!sigv4::ListContains(auth.signed_headers, "host")) {
    return Fail(AuthError::kIncompleteSignature,
                "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.");
  }
  if (!sigv4::ListContains(auth.signed_headers, "x-amz-date")) {
    return Fail(AuthError::kIncompleteSignature,
                "'X-Amz-Date' must be a 'SignedHeader' in the AWS Authorization.");
  }
  if (amz_date->substr(0, 8) != auth.date) {
    return Fail(AuthError::kSignatureDoesNotMatch,
                "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date "
                "from HTTP: '" +
                    std::string(auth.date) + "' != '" + std::string(amz_date->substr(0, 8)) +
                    "', from '" + std::string(*amz_date) + "'.");
  }

  if (!options_.region.empty() && auth.region != options_.region) {
    return Fail(AuthError::kSignatureDoesNotMatch,
                "Credential should be scoped to a valid region, not '" + std::string(auth.region) +
                    "'; this server's region is '" + options_.region + "'.");
  }

  std::optional<AccessKey> key = keys_->Find(auth.access_key_id);
  if (!key) {
    return Fail(AuthError::kInvalidClientTokenId,
                "The security token included in the request is invalid.");
  }

  if (options_.max_skew_ms > 0) {
    const int64_t now = clock_->NowMillis();
    const int64_t skew = options_.max_skew_ms;
    if (*request_ms < now - skew) {
      return Fail(AuthError::kRequestExpired,
                  "Signature expired: " + std::string(*amz_date) + " is now earlier than " +
                      sigv4::FormatAmzDate(now - skew) + " (" + sigv4::FormatAmzDate(now) + " - " +
                      SkewText(skew) + ")");
    }
    if (*request_ms > now + skew) {
      return Fail(AuthError::kRequestExpired,
                  "Signature not yet current: " + std::string(*amz_date) + " is still later than " +
                      sigv4::FormatAmzDate(now + skew) + " (" + sigv4::FormatAmzDate(now) + " + " +
                      SkewText(skew) + ")");
    }
  }

  // The payload hash is always computed here: a client-supplied X-Amz-Content-SHA256 is only
  // accepted when it states the same hash (no UNSIGNED-PAYLOAD, no trusting the header).
  const std::string payload_hash = Sha256Hex(request.body);
  if (std::optional<std::string_view> claimed = FindHeader(headers, "x-amz-content-sha256")) {
    if (*claimed != payload_hash) {
      return Fail(AuthError::kSignatureDoesNotMatch,
                  "The provided 'x-amz-content-sha256' header does not match what was computed.");
    }
  }

  const std::string canonical = sigv4::CanonicalRequest(request.method, request.path, request.query,
                                                        headers, auth.signed_headers, payload_hash);
  std::string string_to_sign;
  string_to_sign.reserve(160);
  string_to_sign.append(sigv4::kAlgorithm).append("\n").append(*amz_date).append("\n");
  string_to_sign.append(auth.date).append("/").append(auth.region).append("/");
  string_to_sign.append(auth.service).append("/").append(sigv4::kTerminator).append("\n");
  string_to_sign.append(Sha256Hex(canonical));

  const std::string expected = HexEncode(HmacSha256(
      SigningKey(key->secret_access_key, auth.date, auth.region, auth.service), string_to_sign));
  std::string provided(auth.signature);
  for (char& c : provided) {
    if (c >= 'A' && c <= 'F') c = static_cast<char>(c - 'A' + 'a');
  }
  if (provided.size() != expected.size() ||
      CRYPTO_memcmp(provided.data(), expected.data(), expected.size()) != 0) {
    return Fail(AuthError::kSignatureDoesNotMatch, std::string(kSignatureMismatch));
  }

  VerifyResult ok;
  ok.identity.emplace();
  ok.identity->access_key_id = key->access_key_id;
  ok.identity->principal = key->principal;
  ok.identity->region = std::string(auth.region);
  ok.identity->service = std::string(auth.service);
  return ok;
}

}  // namespace vigil::auth
