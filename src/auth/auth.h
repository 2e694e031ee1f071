#pragma once
// vigil::auth — identities, access keys, AWS Signature Version 4 verification, and the
// dashboard's sign-in sessions. (Policies and the keyring come with the security issue.)
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "auth/policy.h"
#include "common/clock.h"
#include "common/status.h"

namespace vigil::state {
class Store;
}

namespace vigil::auth {

class AttemptLimiter;
class Iam;

// The principal of the root key (<data-dir>/credentials): like AWS's root user, it may do
// everything.
inline constexpr char kRootPrincipal[] = "root";

struct AccessKey {
  std::string access_key_id;
  std::string secret_access_key;
  std::string principal = "root";  // who the key belongs to
};

// Access keys by id. Thread-safe.
class KeyStore {
 public:
  void Put(AccessKey key);
  void Remove(std::string_view access_key_id);  // nothing when there is no such key
  std::optional<AccessKey> Find(std::string_view access_key_id) const;

 private:
  mutable std::mutex mu_;
  std::map<std::string, AccessKey, std::less<>> keys_;  // guarded by mu_
};

// What a signed request looks like to the verifier (protocol-neutral).
struct SignedRequest {
  std::string_view method;
  std::string_view path;   // as sent, e.g. "/"
  std::string_view query;  // raw query string, "" when none
  const std::vector<std::pair<std::string, std::string>>* headers;  // as received
  std::string_view body;  // raw bytes as received (before any Content-Encoding is undone)
  std::string_view source_address = {};  // the peer's address, for throttling; "" unknown
};

// Why verification failed, named as AWS names it (the api module maps these to error
// documents: all are HTTP 403 except kIncompleteSignature, 400).
enum class AuthError {
  kMissingAuthenticationToken,  // no Authorization header
  kIncompleteSignature,         // malformed Authorization / missing X-Amz-Date
  kInvalidClientTokenId,        // unknown access key id
  kSignatureDoesNotMatch,
  kRequestExpired,  // X-Amz-Date more than max_skew from now
  kThrottled,       // the source address failed too often lately; not tried (AttemptLimiter)
};
std::string_view AuthErrorCode(AuthError e);  // "SignatureDoesNotMatch", ...

struct Identity {
  std::string access_key_id;
  std::string principal;
  std::string region;    // from the credential scope ("" for a session)
  std::string service;   // "monitoring", "logs", ... ("" for a session)
  bool session = false;  // authenticated by a dashboard session cookie, not a signature
};

struct VerifyResult {
  std::optional<Identity> identity;  // set on success
  AuthError error = AuthError::kSignatureDoesNotMatch;
  std::string message;  // on failure, AWS-like text
  int64_t retry_after_ms = 0;  // kThrottled: when the address may try again
  bool ok() const { return identity.has_value(); }
};

struct VerifierOptions {
  int64_t max_skew_ms = 15 * 60 * 1000;  // <= 0 disables the check (fixture replay)
  std::string region = "";  // the credential scope's region must be this one; "" takes any
};

// Who sent a request, and whether they may do what it asks: the protocol adapters (api) take
// one of these, authenticate every request with Verify, then authorize each action on each
// resource the request touches with Authorize.
class AccessControl {
 public:
  virtual ~AccessControl() = default;
  virtual VerifyResult Verify(const SignedRequest& request) const = 0;
  // Whether `identity` (from a successful Verify) may do `request`. The default allows every
  // authenticated caller (a server without identities: only the root key exists).
  virtual Authorization Authorize(const Identity& identity, const AccessRequest& request) const;
};

// Verifies AWS SigV4 header signatures (AWS4-HMAC-SHA256). Thread-safe.
class SigV4Verifier final : public AccessControl {
 public:
  SigV4Verifier(const KeyStore* keys, const Clock* clock, VerifierOptions options);
  // On success sets identity. Failures, in the order checked: no Authorization header →
  // kMissingAuthenticationToken; malformed Authorization, missing or malformed X-Amz-Date, or
  // host / x-amz-date not signed → kIncompleteSignature; scope date != X-Amz-Date's day →
  // kSignatureDoesNotMatch; a scope region other than options.region → kSignatureDoesNotMatch;
  // unknown key id → kInvalidClientTokenId; X-Amz-Date further than
  // max_skew_ms from the clock → kRequestExpired; X-Amz-Content-SHA256 present but not the
  // body's hash (UNSIGNED-PAYLOAD is refused), or a wrong signature → kSignatureDoesNotMatch.
  // The payload hash is always computed from `body`. keys and clock must outlive the verifier.
  VerifyResult Verify(const SignedRequest& request) const override;

 private:
  // The SigV4 signing key for (secret, date, region, service), from the cache or derived.
  std::string SigningKey(std::string_view secret, std::string_view date, std::string_view region,
                         std::string_view service) const;

  const KeyStore* keys_;
  const Clock* clock_;
  VerifierOptions options_;
  // Signing keys by "<secret>\n<date>/<region>/<service>". Deriving one costs 4 HMACs and a
  // client keeps one scope all day, so nearly every request hits. Cleared when it grows past a
  // bound (a new day's keys simply refill it).
  mutable std::mutex cache_mu_;
  mutable std::map<std::string, std::string, std::less<>> signing_keys_;  // guarded by cache_mu_
};

// A signed-in browser: the dashboard exchanges an access key pair for a session, carried by an
// HttpOnly cookie, so that the secret never stays in the page.
struct Session {
  std::string access_key_id;
  std::string principal;
  // Sent back by the page in X-Vigil-Csrf on every request that changes something: a cookie
  // goes with any request the browser makes, a header only with the page's own.
  std::string csrf_token;
  int64_t created_at_ms = 0;
  int64_t expires_at_ms = 0;
};

struct SessionOptions {
  int64_t lifetime_ms = 12 * 3600 * 1000;  // from sign-in; no renewal (as the AWS console)
  state::Store* store = nullptr;  // where sessions are kept across restarts; null: memory only
};

// The dashboard's sessions, by token. A token is 32 random bytes (64 hex characters) known
// only to the browser: the store keeps its SHA-256, so reading state.db does not sign anyone in.
// A session ends at its expiry, at sign-out, or when its access key is no longer in `keys`.
// Thread-safe; keys, clock and options.store must outlive it.
class Sessions {
 public:
  Sessions(const KeyStore* keys, const Clock* clock, SessionOptions options);
  // Loads the unexpired sessions from the store (when there is one). Unavailable when it
  // cannot be read.
  Status Load();
  // Signs in with an access key pair (the secret compared in constant time): returns the new
  // session's token and the session. Unauthenticated, with one message for an unknown key and
  // a wrong secret; Unavailable when the session cannot be stored.
  StatusOr<std::pair<std::string, Session>> SignIn(std::string_view access_key_id,
                                                   std::string_view secret_access_key);
  // The live session of `token`, or nullopt (unknown, expired, or its key gone).
  std::optional<Session> Find(std::string_view token) const;
  // Ends the session of `token` (nothing when there is none). Unavailable when the store
  // cannot record it (the session is ended in memory all the same).
  Status SignOut(std::string_view token);

 private:
  const KeyStore* keys_;
  const Clock* clock_;
  SessionOptions options_;
  mutable std::mutex mu_;
  std::map<std::string, Session, std::less<>> by_hash_;  // SHA-256 hex of token; guarded by mu_
};

// The name of the session cookie, and its value in a Cookie header ("" when absent).
inline constexpr std::string_view kSessionCookie = "vigil_session";
std::string_view SessionCookieValue(std::string_view cookie_header);

// The server's access control. Verify accepts what SigV4Verifier accepts and, for a request
// with no Authorization header, a live session's cookie — on a request other than GET or HEAD
// only with the session's CSRF token in X-Vigil-Csrf. A request with neither fails as
// SigV4Verifier says (MissingAuthenticationToken); a dead session or a missing or wrong CSRF
// token fails as kInvalidClientTokenId / kSignatureDoesNotMatch with a message saying so.
// A verified signature's key is noted as used in `iam` (its last-used time). With a `limiter`,
// a signature that names an unknown key or does not match counts as a failure of its source
// address (SignedRequest::source_address), and an address made to wait is refused as
// kThrottled before its signature is checked; other failures (a missing or incomplete
// signature, a skewed clock, an ended session) are mistakes, not guesses, and do not count.
// Authorize asks
// `iam` (with aws:CurrentTime and aws:EpochTime from `clock` added to the
// context); without iam it allows every authenticated caller. Thread-safe; everything passed
// in must outlive it.
class ServerAccessControl final : public AccessControl {
 public:
  ServerAccessControl(const SigV4Verifier* sigv4, const Sessions* sessions,
                      const Iam* iam = nullptr, const Clock* clock = nullptr,
                      AttemptLimiter* limiter = nullptr)
      : sigv4_(sigv4), sessions_(sessions), iam_(iam), clock_(clock), limiter_(limiter) {}
  VerifyResult Verify(const SignedRequest& request) const override;
  Authorization Authorize(const Identity& identity, const AccessRequest& request) const override;

 private:
  VerifyResult VerifySignature(const SignedRequest& request) const;

  const SigV4Verifier* sigv4_;
  const Sessions* sessions_;
  const Iam* iam_;
  const Clock* clock_;
  AttemptLimiter* limiter_;
};

// Signs a request with an AWS SigV4 header signature, as botocore does — for Vigil's clients
// (tests, benchmarks, later outbound calls). Replaces any X-Amz-Date and Authorization in
// *headers, adds X-Amz-Date for `now_ms`, and signs every header present whose lower-cased name
// is host, content-type, content-encoding or starts with x-amz- or x-amzn- (so *headers must
// carry Host),
// over `body` exactly as it will be sent. `target` is the path with an optional "?query".
void SignRequest(const AccessKey& key, std::string_view region, std::string_view service,
                 int64_t now_ms, std::string_view method, std::string_view target,
                 std::vector<std::pair<std::string, std::string>>* headers, std::string_view body);

// Loads <data_dir>/credentials (AWS shared-credentials format, [default] profile) or, when it
// does not exist, creates it (mode 0600) from env_key_id/env_secret when both are non-empty,
// else from a freshly generated random key pair. Returns the root key.
// An existing file wins: env_key_id/env_secret are then ignored (to rotate, edit or delete
// the file). data_dir is created when missing; the file is written atomically (tmp + fsync +
// rename). InvalidArgument when the file lacks either field or the env values contain
// whitespace; Unavailable (IoError) on filesystem failure.
StatusOr<AccessKey> LoadOrCreateRootKey(const std::string& data_dir, const std::string& env_key_id,
                                        const std::string& env_secret);

// Reads <data_dir>/credentials as LoadOrCreateRootKey does, without creating it: NotFound when
// the file does not exist (for clients, e.g. the `vigil` CLI).
StatusOr<AccessKey> ReadRootKey(const std::string& data_dir);

// A shared secret kept in <dir>/<name> (mode 0600, <dir> 0700): read when the file exists (its
// first line, at least 16 printable characters), else created from 32 random bytes as 64 hex
// characters (written atomically). For webhook signatures.
StatusOr<std::string> LoadOrCreateSecret(const std::string& dir, const std::string& name);

// Hex helpers shared by SigV4, webhook signatures and tests.
std::string HexEncode(std::string_view raw);  // lower-case
std::string Sha256Hex(std::string_view data);
std::string HmacSha256(std::string_view key, std::string_view data);  // raw 32 bytes

}  // namespace vigil::auth
