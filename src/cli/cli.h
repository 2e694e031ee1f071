#pragma once
// vigil::cli — the `vigil` client commands, for people without the aws CLI at hand. They talk
// to a running server through its CloudWatch API (JSON 1.0 protocol, SigV4-signed), so they
// see exactly what every other client sees.
//
//   vigil metrics list  [--namespace NS] [--metric NAME] [--dimension NAME[=VALUE]]...
//   vigil metrics stats --namespace NS --metric NAME [--dimension NAME=VALUE]...
//                       [--stat Average,Maximum,p99] [--period 60] [range]
//   vigil metrics query EXPRESSION [--period 60] [range]
//                       (metric math or a Metrics Insights SELECT)
//   range: --since 1h (default) | --start TIME --end TIME (ISO 8601 or epoch seconds)
//   vigil alarms list [--state STATE] | ack NAME | history NAME [--limit N]
//   vigil logs tail APP [--since 10m] [--filter PATTERN] [--follow] [--group NAME]
//   vigil audit verify | events [--name E] [--resource R] [--key K] [--limit N]
//   vigil versions create APP LABEL DIR | list APP
//   vigil deploy APP LABEL [--policy P] [--batch N|N%] [--bake 30s] [--alarm A]... [--canary C]...
//   vigil rollback APP [--to LABEL];  vigil deployments APP | show ID
//   vigil canaries list | run NAME
//   vigil keys list | rotate-master | rotate PURPOSE | webhook-secret
//   vigil iam list-users | create-user NAME | create-access-key NAME | attach-policy ... | simulate
//   common: --endpoint URL (default $VIGIL_ENDPOINT or http://127.0.0.1:4510),
//           --data-dir DIR (its credentials file; default ./vigil-data), --region R,
//           --output table|json
//
// Credentials: AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY when set, otherwise the [default]
// profile of <data-dir>/credentials (written by `vigil server`).
#include <cstdio>
#include <string>
#include <vector>

namespace vigil::cli {

// Runs `vigil metrics <args>`; writes results to `out` and problems to `err`. Returns the
// process exit code: 0 done, 1 the server refused or failed (its error shown), 2 bad usage.
int RunMetrics(const std::vector<std::string>& args, std::FILE* out, std::FILE* err);

// The usage text of `vigil metrics`.
extern const char* const kMetricsUsage;

// Runs `vigil alarms <args>` (list, ack, history), with RunMetrics' exit codes.
int RunAlarms(const std::vector<std::string>& args, std::FILE* out, std::FILE* err);
extern const char* const kAlarmsUsage;

// Runs `vigil logs tail ...` (CloudWatch Logs' FilterLogEvents), with RunMetrics' exit codes.
int RunLogs(const std::vector<std::string>& args, std::FILE* out, std::FILE* err);
extern const char* const kLogsUsage;

// Runs `vigil audit verify` (the trail's hash chain, on disk) or `vigil audit events`
// (CloudTrail LookupEvents), with RunMetrics' exit codes (verify: 1 when the chain is broken).
int RunAudit(const std::vector<std::string>& args, std::FILE* out, std::FILE* err);
extern const char* const kAuditUsage;

// Runs `vigil versions|deploy|rollback|deployments <args>` (`command` is the first word), with
// RunMetrics' exit codes: deploy and rollback exit 1 when the deployment did not succeed.
int RunDeployCommand(const std::string& command, const std::vector<std::string>& args,
                     std::FILE* out, std::FILE* err);
extern const char* const kDeployUsage;
// Runs `vigil canaries list` or `vigil canaries run NAME`. Exit codes: 0 done (run: the canary
// passed), 1 the canary ran and failed, 2 bad usage or an error (unknown canary, no server).
int RunCanaries(const std::vector<std::string>& args, std::FILE* out, std::FILE* err);

// Runs `vigil iam <command>` (users, keys, groups, policies, simulate) against /v1/iam, with
// RunMetrics' exit codes; simulate exits 1 when the action is denied.
int RunIam(const std::vector<std::string>& args, std::FILE* out, std::FILE* err);
extern const char* const kCanariesUsage;

// Runs `vigil keys list|rotate-master|rotate PURPOSE|webhook-secret` against /v1/keys, with
// RunMetrics' exit codes.
int RunKeys(const std::vector<std::string>& args, std::FILE* out, std::FILE* err);

}  // namespace vigil::cli
