// The server's access control: SigV4 or a dashboard session, then IAM.
#include <ctime>

#include "auth/attempt_limiter.h"
#include "auth/auth.h"
#include "auth/crypto.h"
#include "auth/iam.h"
#include "common/ascii.h"

namespace vigil::auth {
namespace {

VerifyResult Refused(AuthError error, std::string message) {
  VerifyResult r;
  r.error = error;
  r.message = std::move(message);
  return r;
}

// "2026-11-26T19:04:05Z", as aws:CurrentTime reads.
std::string Iso8601(int64_t ms) {
  const time_t t = static_cast<time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace

VerifyResult ServerAccessControl::Verify(const SignedRequest& request) const {
  std::string_view cookie;
  bool signed_request = false;
  std::string_view csrf;
  for (const auto& [name, value] : *request.headers) {
    if (EqualsIgnoreCase(name, "Authorization")) signed_request = true;
    if (EqualsIgnoreCase(name, "Cookie") && cookie.empty()) cookie = SessionCookieValue(value);
    if (EqualsIgnoreCase(name, "X-Vigil-Csrf")) csrf = value;
  }
  if (signed_request || cookie.empty()) return VerifySignature(request);
  const std::optional<Session> session = sessions_->Find(cookie);
  if (!session) {
    VerifyResult ended = Refused(AuthError::kInvalidClientTokenId,
                                 "The session has expired or ended; sign in again.");
    ended.session_ended = true;
    return ended;
  }
  if (request.method != "GET" && request.method != "HEAD" &&
      !EqualConstantTime(csrf, session->csrf_token)) {
    return Refused(AuthError::kSignatureDoesNotMatch,
                   "A request made with a session cookie must carry the session's token in "
                   "X-Vigil-Csrf.");
  }
  VerifyResult ok;
  ok.identity =
      Identity{session->access_key_id, session->principal, "", "", /*session=*/true, session->id,
               session->mfa_at_ms};
  return ok;
}

VerifyResult ServerAccessControl::VerifySignature(const SignedRequest& request) const {
  // The limiter counts failed signatures only, so the address alone is its key (no copy on
  // the path of every signed request).
  const std::string_view throttle_key =
      limiter_ != nullptr ? request.source_address : std::string_view();
  if (!throttle_key.empty()) {
    if (const int64_t wait_ms = limiter_->RetryAfterMs(throttle_key); wait_ms > 0) {
      VerifyResult throttled =
          Refused(AuthError::kThrottled,
                  "Too many requests with a wrong signature or an unknown key from " +
                      std::string(request.source_address) + "; retry in " +
                      std::to_string((wait_ms + 999) / 1000) + " s.");
      throttled.retry_after_ms = wait_ms;
      return throttled;
    }
  }
  VerifyResult verified = sigv4_->Verify(request);
  if (verified.ok()) {
    if (iam_ != nullptr && verified.identity->principal != kRootPrincipal) {
      iam_->KeyUsed(verified.identity->access_key_id);  // the root key is not an IAM key
    }
  } else if (!throttle_key.empty() && (verified.error == AuthError::kSignatureDoesNotMatch ||
                                       verified.error == AuthError::kInvalidClientTokenId)) {
    limiter_->RecordFailure(throttle_key);
  }
  return verified;
}

Authorization AccessControl::Authorize(const Identity&, const AccessRequest&) const {
  return Authorization{Evaluation{Decision::kAllow, "", "no identities: any signed caller"}};
}

Authorization ServerAccessControl::Authorize(const Identity& identity,
                                             const AccessRequest& request) const {
  if (iam_ == nullptr) return AccessControl::Authorize(identity, request);
  // The root key is always allowed: no context to build on the ingest path.
  if (identity.principal == kRootPrincipal) return iam_->Authorize(identity.principal, request);
  if (clock_ == nullptr) return iam_->Authorize(identity.principal, request);
  AccessRequest with_time = request;
  const int64_t now_ms = clock_->NowMillis();
  with_time.Set("aws:CurrentTime", Iso8601(now_ms));
  with_time.Set("aws:EpochTime", std::to_string(now_ms / 1000));
  if (identity.session) {
    with_time.Set("aws:MultiFactorAuthPresent", identity.mfa_at_ms > 0 ? "true" : "false");
    if (identity.mfa_at_ms > 0) {
      with_time.Set("aws:MultiFactorAuthAge", std::to_string((now_ms - identity.mfa_at_ms) / 1000));
    }
  }
  return iam_->Authorize(identity.principal, with_time);
}

}  // namespace vigil::auth
