#pragma once
// vigil::api — protocol adapters. Engines know nothing of AWS formats; this module turns
// HTTP requests into engine calls and engine Status into each protocol's error document, in
// exactly one place per protocol.
//
//   CloudWatchService  POST /  CloudWatch query protocol (form POST, XML, 2010-08-01, as sent
//                      by awscli 2.9) and JSON 1.0 (X-Amz-Target GraniteServiceVersion20100801.*,
//                      x-amzn-query-mode, gzip bodies, as sent by botocore >= 1.42): metrics
//                      and alarms.
//   RemoteWriteService POST /api/v1/write  Prometheus remote-write 1.0 (snappy + protobuf).
//   RenderPrometheusText  GET /metrics: a Registry in the Prometheus text format 0.0.4.
//   FleetService       GET /v1/apps[/{name}[/instances]]: the fleet's registry in JSON.
//   CanaryService      GET /v1/canaries[/{name}], POST /v1/canaries/{name}/run.
//   AlarmService       GET /v1/alarms, POST /v1/alarms/{name}/ack: acknowledgements.
//   LogsService        POST /  CloudWatch Logs JSON 1.1 (X-Amz-Target Logs_20140328.*).
//   CloudTrailService  POST /  CloudTrail LookupEvents over the audit trail.
//   SessionService     /v1/session: the dashboard's sign-in (a session cookie).
//
// Every service authenticates through an auth::AccessControl: SigV4 signatures, and (with
// auth::ServerAccessControl) the dashboard's session cookie.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "auth/attempt_limiter.h"
#include "auth/auth.h"
#include "auth/iam.h"
#include "auth/keyring.h"
#include "common/clock.h"
#include "common/logging.h"
#include "common/metrics.h"
#include "deploy/deploy.h"
#include "fleet/fleet.h"
#include "http/http.h"
#include "tsdb/tsdb.h"

namespace vigil::alarms {
class Engine;
}
namespace vigil::logs {
class Store;
}
namespace vigil::audit {
class Trail;
}
namespace vigil::canary {
class Canaries;
}

namespace vigil::api {

class IamCall;  // iam_call.h

// CloudWatch's ARN of alarm `name`: arn:aws:cloudwatch:REGION:ACCOUNT:alarm:NAME (what the
// server gives the alarms engine as its alarm_id).
std::string CloudWatchAlarmArn(std::string_view region, std::string_view account,
                               std::string_view name);

struct CloudWatchOptions {
  std::string region = "us-east-1";
  std::string account_id = "000000000000";
  size_t max_body_bytes = 1 << 20;  // CloudWatch's 1 MB PutMetricData limit (after gunzip)
};

// Thread-safe; Handle() runs on HTTP worker threads. db, verifier, clock, logger, alarms and
// trail must outlive the service; without alarms (null) the alarm operations answer 503. The
// alarm-changing calls (succeeded or refused) are recorded in `trail` when it is not null.
class CloudWatchService {
 public:
  CloudWatchService(tsdb::Db* db, const auth::AccessControl* verifier, const Clock* clock,
                    Logger* logger, Registry* metrics, CloudWatchOptions options,
                    alarms::Engine* alarms = nullptr, audit::Trail* trail = nullptr);
  http::Response Handle(const http::Request& request) const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

struct RemoteWriteOptions {
  // CloudWatch namespace given to remote-written series; a request may override it with the
  // query parameter ?namespace=NAME.
  std::string default_namespace = "Prometheus";
  // Prometheus' remote_write `sigv4:` block signs requests; unsigned requests are refused
  // unless this is set.
  bool allow_unsigned = false;
  size_t max_body_bytes = 32 << 20;  // after snappy decompression
};

class RemoteWriteService {
 public:
  // Requests are authorized as cloudwatch:PutMetricData; refusals go to `trail` (may be null).
  RemoteWriteService(tsdb::Db* db, const auth::AccessControl* verifier, Logger* logger,
                     Registry* metrics, RemoteWriteOptions options, audit::Trail* trail = nullptr);
  http::Response Handle(const http::Request& request) const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

struct LogsOptions {
  std::string region = "us-east-1";
  std::string account_id = "000000000000";
  size_t max_body_bytes = 2 << 20;  // a 1 MB PutLogEvents batch, JSON-escaped
};

// CloudWatch Logs' JSON 1.1 protocol (X-Amz-Target Logs_20140328.*, as awscli sends it): log
// groups and streams, PutLogEvents, GetLogEvents, FilterLogEvents, retention, tags, metric
// filters. Errors are {"__type": "<Shape>Exception", "message"}. The calls that change groups,
// streams, retention, tags or metric filters are recorded in `trail` (may be null).
// Thread-safe; store, verifier, logger and trail must outlive the service.
class LogsService {
 public:
  LogsService(logs::Store* store, const auth::AccessControl* verifier, Logger* logger,
              LogsOptions options, audit::Trail* trail = nullptr);
  http::Response Handle(const http::Request& request) const;
  // Whether `request` is a Logs request (its X-Amz-Target).
  static bool Handles(const http::Request& request);

  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

// CloudTrail's LookupEvents (JSON 1.1, X-Amz-Target
// com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.LookupEvents) over the audit trail:
// one LookupAttribute, StartTime/EndTime, MaxResults (1-50), NextToken; events newest first with
// CloudTrail's event JSON. Thread-safe; trail and verifier must outlive the service.
class CloudTrailService {
 public:
  CloudTrailService(audit::Trail* trail, const auth::AccessControl* verifier, std::string region,
                    std::string account_id = "000000000000");
  http::Response Handle(const http::Request& request) const;
  static bool Handles(const http::Request& request);

  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

// Vigil's REST API for alarm acknowledgement (`vigil alarms ack`), SigV4-signed:
//   GET  /v1/alarms              {"alarms": [{name, kind, state, reason, updated_at,
//                                 acknowledged, actions_enabled}]}
//   POST /v1/alarms/{name}/ack   silences the alarm's ALARM actions until it is OK again:
//                                200 {"alarm", "acknowledged": true}; 404 unknown alarm;
//                                409 when it is not in ALARM. {name} is percent-encoded.
// Acknowledgements are recorded in `trail` (may be null) as vigil:AcknowledgeAlarm.
// Thread-safe; engine, verifier, trail and logger must outlive the service.
class AlarmService {
 public:
  AlarmService(alarms::Engine* engine, const auth::AccessControl* verifier,
               audit::Trail* trail = nullptr, Logger* logger = nullptr);
  http::Response Handle(const http::Request& request) const;

 private:
  alarms::Engine* engine_;
  const auth::AccessControl* verifier_;
  audit::Trail* trail_;
  Logger* logger_;
};

// Vigil's REST registry of apps and instances (service discovery):
//   GET /v1/apps                      {"apps": [{name, listen, desired, healthy, version,
//                                      deployment, instances}]}
//   GET /v1/apps/{name}               one app
//   GET /v1/apps/{name}/instances     {"app": name, "instances": [{id, pid, address, state,
//                                      reason, restarts, version, in_rotation, started_at,
//                                      state_since, uptime_seconds, cpu_percent, rss_bytes}]}
// `version` is the label serving now, `deployment` the one in progress ({id, kind, version,
// from, policy, state, phase, batches, batches_done, created_at}) or null; both null without a
// deployment engine. uptime_seconds, cpu_percent and rss_bytes are null while unknown (not
// running, not sampled yet). 404 {"error": {"code": "NotFound", ...}} for an unknown app; 403
// when the request does not authenticate.
// Thread-safe; fleet (may be null: no apps), deployer (may be null), verifier and clock must
// outlive the service.
class FleetService {
 public:
  FleetService(fleet::Fleet* fleet, deploy::Engine* deployer, const auth::AccessControl* verifier,
               const Clock* clock, audit::Trail* trail = nullptr, Logger* logger = nullptr);
  http::Response Handle(const http::Request& request) const;

 private:
  nlohmann::json AppJson(const fleet::AppInfo& app) const;
  nlohmann::json InstanceJson(const fleet::InstanceInfo& in) const;

  fleet::Fleet* fleet_;
  deploy::Engine* deployer_;
  const auth::AccessControl* verifier_;
  const Clock* clock_;
  audit::Trail* trail_;
  Logger* logger_;
};

// Vigil's REST API of versions and deployments (src/deploy), SigV4-signed:
//   GET  /v1/apps/{app}/versions              {"app", "current", "versions": [{app, label,
//                                              source, description, manifest, created_at}]}
//   POST /v1/apps/{app}/versions/{label}      body: the bundle, a .tar.gz of a directory with
//        [?description=TEXT]                  manifest.yaml; 201 the version; 409 if it exists
//   GET  /v1/apps/{app}/deployments[?limit=N] {"app", "deployments": [...]}, newest first
//   POST /v1/apps/{app}/deployments           body {"version", "policy", "batch": 1|"25%",
//                                              "bake_seconds", "health_timeout_seconds",
//                                              "alarms": [], "canaries": []}; 201 the
//                                              deployment (in progress); 409 while another runs
//   POST /v1/apps/{app}/rollback              body {"to"?, "reason"?}; 200 the deployment
//                                              rolling back, or the rollback deployment
//   GET  /v1/deployments/{id}                 {id, kind, app, version, from, policy, batch,
//                                              state, phase, reason, batches, batches_done,
//                                              created_at, updated_at, finished_at,
//                                              events: [{at, message}], ...}
// Changes are recorded in `trail` as vigil:CreateApplicationVersion, vigil:Deploy and
// vigil:Rollback. Thread-safe; everything passed in must outlive the service.
class DeployService {
 public:
  DeployService(deploy::Engine* engine, const auth::AccessControl* verifier,
                audit::Trail* trail = nullptr, Logger* logger = nullptr);
  // Whether the request is one of the paths above.
  static bool Handles(const http::Request& request);
  http::Response Handle(const http::Request& request) const;

 private:
  deploy::Engine* engine_;
  const auth::AccessControl* verifier_;
  audit::Trail* trail_;
  Logger* logger_;
};

// Vigil's REST API for synthetic checks (`vigil canaries`), SigV4-signed:
//   GET  /v1/canaries             {"canaries": [{name, app, url, interval_ms, runs, failures,
//                                  last: RUN or null}]}
//   GET  /v1/canaries/{name}      {name, app, url, interval_ms, timeout_ms, steps: [{name,
//                                  method, path, headers: [names], expect_status, body_contains,
//                                  json: {path: value}, max_latency_ms}], runs, failures,
//                                  last, recent: [RUN, newest first, up to 20]}
//   POST /v1/canaries/{name}/run  runs it now (trigger "manual"): 200 RUN, whether it passed or
//                                 not; 404 unknown canary; 503 while stopping.
// RUN: {canary, target, trigger, ok, started_at (ISO 8601), duration_ms, failure,
//       steps: [{name, ok, status, latency_ms, detail}]}. app/url are null when not given.
// Runs are recorded in `trail` (may be null) as vigil:RunCanary.
// Thread-safe; canaries, verifier, trail and logger must outlive the service.
class CanaryService {
 public:
  CanaryService(canary::Canaries* canaries, const auth::AccessControl* verifier,
                audit::Trail* trail = nullptr, Logger* logger = nullptr);
  http::Response Handle(const http::Request& request) const;

 private:
  canary::Canaries* canaries_;
  const auth::AccessControl* verifier_;
  audit::Trail* trail_;
  Logger* logger_;
};

// Vigil's REST API for identities (auth::Iam), JSON:
//   GET    /v1/iam/users                          {"users": [{name, id, arn, created_at, groups,
//                                                  policies: {inline, attached}, access_keys}]}
//   POST   /v1/iam/users                          {"name"}: 201 the user
//   GET    /v1/iam/users/{name}                   the user, with inline_policies (documents)
//   DELETE /v1/iam/users/{name}                   204; 409 while it has keys, groups, policies
//   POST   /v1/iam/users/{name}/access-keys       201 {access_key_id, secret_access_key, ...}:
//                                                  the only time the secret is shown
//   POST   /v1/iam/access-keys/{id}               {"status": "Active"|"Inactive"}
//   DELETE /v1/iam/access-keys/{id}               204
//   GET    /v1/iam/groups, POST /v1/iam/groups {"name"}, DELETE /v1/iam/groups/{name}
//   POST|DELETE /v1/iam/groups/{group}/users/{user}          membership
//   GET    /v1/iam/policies                       managed policies, built-in ones included
//   POST   /v1/iam/policies                       {"name", "document": {...}, "description"}
//   DELETE /v1/iam/policies/{name}
//   POST|DELETE /v1/iam/{users|groups}/{name}/attached/{policy}  attach / detach
//   PUT|DELETE  /v1/iam/{users|groups}/{name}/policies/{policy}  inline policy (body: document)
//   POST   /v1/iam/simulate                       {"user", "action", "resource", "context"}:
//                                                  {decision, allowed, policy, statement}
// People's sign-in (iam_signin_routes.cc):
//   POST|PUT /v1/iam/users/{name}/login-profile   {"password"}: create (201) / replace (200)
//   GET|DELETE /v1/iam/users/{name}/login-profile {user, created_at, changed_at} / 204
//   POST   /v1/iam/change-password                {"old_password", "new_password"}: the
//                                                  caller's own (iam:ChangePassword); 403
//                                                  InvalidPassword for a wrong old one (throttled
//                                                  as sign-ins are: 429 with Retry-After)
//   POST   /v1/iam/users/{name}/mfa-device        201 {serial, secret_base32, otpauth_uri}: the
//                                                  only time the secret is shown
//   POST   /v1/iam/users/{name}/mfa-device/enable {"code1", "code2"}: two consecutive codes
//   GET|DELETE /v1/iam/users/{name}/mfa-device    {"devices": [{serial, enabled, ...}]} / 204
//   GET    /v1/iam/sessions[?user=NAME]           {"sessions": [{id, user, method, mfa,
//                                                  created_at, last_seen_at, expires_at,
//                                                  source_ip, user_agent, current}]}
//   DELETE /v1/iam/sessions/{id}                  204: revoked
// Each call is authorized as IAM's action (iam:CreateUser, iam:AttachUserPolicy, ...) on
// arn:vigil:iam:::user|group|policy/NAME (a session's: its user's); changes are audited as
// iam.amazonaws.com. A user may always change their own password, enrol their own MFA device
// and list and revoke their own sessions unless a policy denies it (Iam::SelfServiceActions).
// Errors: 400 (a name, a MalformedPolicyDocument, a password breaking the rules), 403
// AccessDenied, 404, 409 (exists, still in use). Thread-safe; everything passed in must outlive
// the service (sessions and limiter may be null: no session routes, no throttling).
class IamService {
 public:
  IamService(auth::Iam* iam, const auth::AccessControl* access, audit::Trail* trail = nullptr,
             Logger* logger = nullptr, auth::Sessions* sessions = nullptr,
             auth::AttemptLimiter* limiter = nullptr);
  http::Response Handle(const http::Request& request) const;

 private:
  nlohmann::json UserJson(const auth::IamUser& u) const;
  // The sign-in routes above; nullopt for another path.
  std::optional<http::Response> HandleSignIn(const IamCall& call,
                                             const std::vector<std::string>& path) const;

  auth::Iam* iam_;
  const auth::AccessControl* access_;
  audit::Trail* trail_;
  Logger* logger_;
  auth::Sessions* sessions_;
  auth::AttemptLimiter* limiter_;
};

// Vigil's REST API for the keyring (auth::Keyring, encryption at rest), JSON:
//   GET  /v1/keys                       {master_fingerprint, master_source, data_keys: [{id,
//                                       purpose, version, created_at, current}]}; never key
//                                       material. vigil:ListKeys on arn:vigil:vigil:::key/*.
//   POST /v1/keys/master/rotate         body {} or {"master_key": 64 hex}: re-wraps the data
//                                       keys under a new master key (no data is rewritten);
//                                       {master_fingerprint}. A master key from VIGIL_MASTER_KEY
//                                       must be given (409 otherwise): the operator sets it for
//                                       the next start. vigil:RotateKey on ...:key/master.
//   POST /v1/keys/data/{purpose}/rotate a new data key version for the purpose's new data (the
//                                       old ones still read theirs); the key's info; 404 for
//                                       a purpose the keyring has no key of.
//                                       vigil:RotateKey on ...:key/{purpose}.
//   GET  /v1/keys/webhook-secret        {secret}: the alarm webhooks' signing secret (sealed on
//                                       disk). vigil:RevealWebhookSecret on ...:key/webhook-secret
//                                       (ReadOnlyAccess's vigil:Get* does not match it).
// Every call but the listing is recorded in `trail`, successful or not (reading a secret is
// audited as a change is); refusals always. Thread-safe; what is passed in must outlive it.
class KeysService {
 public:
  KeysService(auth::Keyring* keyring, std::string webhook_secret,
              const auth::AccessControl* access, audit::Trail* trail = nullptr,
              Logger* logger = nullptr);
  http::Response Handle(const http::Request& request) const;

 private:
  auth::Keyring* keyring_;
  const std::string webhook_secret_;
  const auth::AccessControl* access_;
  audit::Trail* trail_;
  Logger* logger_;
};

// The dashboard's sign-in (auth::Sessions), JSON:
//   POST   /v1/session  body {"username", "password"[, "totp"]} (a person: auth::Iam's login
//                       profile) or {"access_key_id", "secret_access_key"}: 200 {principal,
//                       access_key_id, session_id, method, mfa, expires_at, csrf_token} and a
//                       Set-Cookie of vigil_session (HttpOnly, SameSite=Strict, Path=/,
//                       Max-Age: the session's life; Secure when secure_cookie or the
//                       sign-in came over TLS); 401
//                       Unauthenticated for wrong credentials (one message for an unknown user
//                       and a wrong password), 401 MfaCodeRequired when the password is right
//                       and the user's MFA device wants a code, 400 for a malformed body, 429
//                       Throttling with Retry-After (seconds) while the source address
//                       or the user name (or key id) must wait after repeated failures.
//   GET    /v1/session  the same answer for the cookie's live session; 401 without one.
//   DELETE /v1/session  ends the cookie's session: 204 and a Set-Cookie that clears it.
// Sign-ins, successful or not, are recorded in `trail` (may be null) as CloudTrail records
// console sign-ins: source signin.amazonaws.com, event ConsoleLogin, additionalEventData
// {MFAUsed: Yes|No} (a secret or a code never). Thread-safe; everything passed in must outlive
// the service; iam null: key pairs only; limiter null: no throttling.
class SessionService {
 public:
  SessionService(auth::Sessions* sessions, const Clock* clock, audit::Trail* trail = nullptr,
                 Logger* logger = nullptr, bool secure_cookie = false, auth::Iam* iam = nullptr,
                 auth::AttemptLimiter* limiter = nullptr);
  http::Response Handle(const http::Request& request) const;

 private:
  std::string Cookie(std::string_view value, int64_t max_age_s, bool secure) const;
  http::Response SignIn(const http::Request& request) const;

  auth::Sessions* sessions_;
  const Clock* clock_;
  audit::Trail* trail_;
  Logger* logger_;
  bool secure_cookie_;
  auth::Iam* iam_;
  auth::AttemptLimiter* limiter_;
};

// The Prometheus text exposition format (version 0.0.4) of every metric in `registry`.
std::string RenderPrometheusText(const Registry& registry);

}  // namespace vigil::api
