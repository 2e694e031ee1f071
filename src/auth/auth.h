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
  std::string access_key_id;  // "" for a session signed in with a password
  std::string principal;
  std::string region;      // from the credential scope ("" for a session)
  std::string service;     // "monitoring", "logs", ... ("" for a session)
  bool session = false;    // authenticated by a dashboard session cookie, not a signature
  std::string session_id;  // the session's public id (when `session`)
  int64_t mfa_at_ms = 0;   // when the session's second factor was checked; 0: none
};

struct VerifyResult {
  std::optional<Identity> identity;  // set on success
  AuthError error = AuthError::kSignatureDoesNotMatch;
  std::string message;  // on failure, AWS-like text
  // On failure: a session cookie named a session that has ended (REST answers 401, so the
  // dashboard returns to its sign-in page).
  bool session_ended = false;
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

// How a session was signed in.
enum class SignInMethod { kAccessKey, kPassword, kPasswordMfa };
std::string_view SignInMethodName(SignInMethod m);  // "access-key", "password", "password+mfa"

// A signed-in browser: the dashboard exchanges an access key pair, or a person's user name and
// password (and TOTP code), for a session carried by an HttpOnly cookie, so that no secret stays
// in the page.
struct Session {
  // Public: names the session in lists and revocation. Not the token, and no way to it.
  std::string id;
  std::string access_key_id;  // the key signed in with; "" for a password
  std::string principal;      // the root principal or an IAM user's name
  SignInMethod method = SignInMethod::kAccessKey;
  // Sent back by the page in X-Vigil-Csrf on every request that changes something: a cookie
  // goes with any request the browser makes, a header only with the page's own.
  std::string csrf_token;
  int64_t created_at_ms = 0;
  int64_t expires_at_ms = 0;  // absolute end
  int64_t last_seen_ms = 0;   // the last request (stored at most once a minute)
  int64_t mfa_at_ms = 0;      // when a second factor was checked; 0: none
  std::string source_ip;      // of the sign-in
  std::string user_agent;     // of the sign-in (at most 256 characters)
};

// Where a sign-in comes from (kept in the session for its owner to see).
struct SignInContext {
  std::string source_ip;
  std::string user_agent;
};

struct SessionOptions {
  int64_t lifetime_ms = 12 * 3600 * 1000;  // from sign-in; no renewal (as the AWS console)
  int64_t idle_ms = 3600 * 1000;           // without a request; <= 0: no idle expiry
  state::Store* store = nullptr;  // where sessions are kept across restarts; null: memory only
};

// The dashboard's sessions, by token. A token is 32 random bytes (64 hex characters) known
// only to the browser: the store keeps its SHA-256, so reading state.db does not sign anyone in.
// A session ends at its expiry, after idle_ms without a request, at sign-out, when it is
// revoked (by id, or through RevokeFor when its password or key changes), or when its access key
// is no longer in `keys`. Thread-safe; keys, clock and options.store must outlive it.
class Sessions {
 public:
  Sessions(const KeyStore* keys, const Clock* clock, SessionOptions options);
  // Loads the live sessions from the store (when there is one). Unavailable when it
  // cannot be read.
  Status Load();
  // Signs in with an access key pair (the secret compared in constant time): returns the new
  // session's token and the session. Unauthenticated, with one message for an unknown key and
  // a wrong secret; Unavailable when the session cannot be stored.
  StatusOr<std::pair<std::string, Session>> SignIn(std::string_view access_key_id,
                                                   std::string_view secret_access_key,
                                                   const SignInContext& context = {});
  // A session for `principal`, whose credentials the caller has checked (a person's password,
  // through Iam::CheckSignIn). Unavailable when it cannot be stored.
  StatusOr<std::pair<std::string, Session>> Start(std::string_view principal, SignInMethod method,
                                                  const SignInContext& context);
  // The live session of `token`, or nullopt (unknown, expired, idle, revoked or its key gone).
  // Notes the request as the session's last one.
  std::optional<Session> Find(std::string_view token) const;
  // The live sessions (of `principal` only, case-insensitively, when it is not empty), oldest
  // first, without their CSRF tokens.
  std::vector<Session> List(std::string_view principal = "") const;
  // The live session named `id`, without its CSRF token.
  std::optional<Session> FindById(std::string_view id) const;
  // Ends the session named `id`: NotFound when there is no live one; Unavailable when the store
  // cannot record it (it is ended in memory all the same).
  Status Revoke(std::string_view id);
  // Ends every session signed in by password as `principal` (when not empty) and every session
  // signed in with `access_key_id` (when not empty), at once in memory; a deletion the store
  // refuses is retried with the next write (a sign-in, a revocation).
  void RevokeFor(std::string_view principal, std::string_view access_key_id);
  // Ends the session of `token` (nothing when there is none). Unavailable when the store
  // cannot record it (the session is ended in memory all the same).
  Status SignOut(std::string_view token);

 private:
  bool Live(const Session& s, int64_t now) const;  // by time and key alone (mu_ held)
  // Completes `session` (id, token, CSRF token, times, context), stores it, dropping the dead.
  StatusOr<std::pair<std::string, Session>> Add(Session session, const SignInContext& context);

  const KeyStore* keys_;
  const Clock* clock_;
  SessionOptions options_;
  mutable std::mutex mu_;
  // By SHA-256 hex of token; guarded by mu_. Mutable: Find notes the last request.
  mutable std::map<std::string, Session, std::less<>> by_hash_;
  mutable std::map<std::string, int64_t, std::less<>> stored_last_seen_;  // guarded by mu_
  std::vector<std::string> pending_deletes_;  // hashes revoked but not yet deleted; mu_
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
// A dead session sets VerifyResult::session_ended. Authorize asks `iam` (with aws:CurrentTime
// and aws:EpochTime from `clock` added to the context and, for a session,
// aws:MultiFactorAuthPresent "true"/"false" and, with MFA, aws:MultiFactorAuthAge in seconds —
// as AWS, a signed request carries neither); without iam it allows every authenticated caller.
// Thread-safe; everything passed
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
