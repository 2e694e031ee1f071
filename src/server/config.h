#pragma once
// The server's configuration: defaults, then the YAML file (--config), then command-line flags.
#include <cstdint>
#include <string>
#include <vector>

#include "canary/canary.h"
#include "common/status.h"
#include "common/units.h"
#include "fleet/fleet.h"
#include "tsdb/tsdb.h"

namespace vigil::server {

struct Config {
  std::string listen_host = "127.0.0.1";
  uint16_t listen_port = 4510;
  std::string data_dir = "./vigil-data";
  std::string region = "us-east-1";
  // TLS for the API and dashboard (`tls: {cert, key, self_signed}`, --tls-cert/--tls-key,
  // --tls-self-signed): PEM files, or a self-signed certificate made in <data_dir>/tls/. All
  // empty and false: plain HTTP.
  std::string tls_cert_file, tls_key_file;
  bool tls_self_signed = false;

  int64_t max_clock_skew_ms = 15 * 60 * 1000;        // SigV4 X-Amz-Date tolerance; 0 disables
  int64_t session_lifetime_ms = 12LL * 3600 * 1000;  // a dashboard session, from sign-in
  int64_t session_idle_ms = 3600 * 1000;             // ... without a request; 0 disables
  // Brute-force protection (auth::AttemptLimiter): whoever fails more than `free` times within
  // 15 minutes waits before the next attempt, doubling from `first_delay` up to `max_delay`.
  // The defaults are auth::AttemptLimiterOptions' (config_test checks they agree).
  struct AttemptLimits {
    int free = 5;
    int64_t first_delay_ms = 1'000;
    int64_t max_delay_ms = 15 * 60'000;
  };
  // `auth: failed_attempts:` — per source address: wrong signatures, unknown access keys.
  AttemptLimits failed_attempts{.free = 10};
  // `auth: sign_in_attempts:` — per source address and per user name (or key id): failed
  // sign-ins (password, MFA code, key pair) and wrong current passwords in change-password.
  AttemptLimits sign_in_attempts;

  int64_t retention_ms = 15LL * 24 * 3600 * 1000;
  int64_t max_sample_age_ms = 14LL * 24 * 3600 * 1000;  // older samples are refused
  std::vector<tsdb::RollupTier> rollups = tsdb::DefaultRollupTiers();
  double rollup_sketch_accuracy = 0.02;
  int64_t block_range_ms = 2LL * 3600 * 1000;
  int64_t head_chunk_bytes = 16 << 20;  // tsdb::Options::head_chunk_bytes

  // The dashboard's files from this web/ folder, read on every request (`--ui-dir`, for
  // working on the dashboard); "" serves the ones built into the binary.
  std::string ui_dir;

  std::string remote_write_namespace = "Prometheus";
  bool remote_write_allow_unsigned = false;

  int io_threads = 2;
  int worker_threads = 32;

  // The apps' load balancer (`load_balancer:`): lb::Options' defaults.
  struct LoadBalancer {
    int threads = 0;  // 0 ("auto"): see lb::Options::threads
    int64_t connect_timeout_ms = 1000;
    int64_t stall_timeout_ms = 150;
    int64_t response_timeout_ms = 60'000;
    int64_t idle_timeout_ms = 60'000;
    int max_attempts = 3;
    int64_t retry_buffer_bytes = 1 << 20;
  } load_balancer;

  // Encryption at rest (`encryption:`) of the metrics store (WAL, blocks, rollups) and the log
  // store (WAL, segments), with data keys of the keyring. Off by default: the cost is measured
  // in bench/README.md. Secrets and the apps' environment are always encrypted. Switched off
  // again, new files are written in the clear and encrypted ones stay readable.
  struct Encryption {
    bool metrics = false;
    bool logs = false;
  } encryption;

  // Alarms (`alarms:`): how their actions run.
  struct Alarms {
    int64_t webhook_timeout_ms = 5000;  // a webhook call, connect to answer
    std::string webhook_ca_file;        // extra trust anchor for https webhooks (PEM)
    int action_attempts = 5;            // tries per action, with backoff from 1 s doubling
  } alarms;

  // The supervised applications (`apps:`), in file order. Names are unique; no two share a
  // listen address with a nonzero port, and none uses the server's own (see ValidateApps).
  std::vector<fleet::AppSpec> apps;

  // Synthetic checks (`canaries:`), in file order. Names are unique; an `app:` names an app of
  // `apps` that has a load balancer. `interval: 0` runs one only on demand (and after deploy
  // batches); absent, every 60 s.
  std::vector<canary::CanarySpec> canaries;
};

// Parses "HOST:PORT" ("[::1]:4510" for IPv6). InvalidArgument on a bad form or port.
Status ParseListen(const std::string& text, std::string* host, uint16_t* port);

// Applies the YAML document `yaml`, read from `source_name` (a path, used only in messages),
// over *config. A section's scalars override one by one; `apps:`, `canaries:` and
// `tsdb.rollups:` replace their list whole. Unknown keys are errors (a typo must not be silently
// ignored). On success also checks the cross-app rules of ValidateApps against the final listen
// address, and that canaries have unique names and name apps with a load balancer. On any
// problem returns InvalidArgument
//   "SOURCE:LINE:COLUMN: key.path: what is wrong"   e.g. "vigil.yaml:7:17: apps[0].name: ..."
// pointing (1-based) at the offending value, or at the key for an unknown key; YAML syntax
// errors read "SOURCE:LINE:COLUMN: YAML syntax error: ...". *config is unchanged on error.
Status ApplyYaml(const std::string& yaml, const std::string& source_name, Config* config);

// The rules between apps and the server: app names are unique, no two apps listen on the same
// address with a nonzero port, and none on the server's own listen address (a wildcard host,
// 0.0.0.0 or ::, overlaps every host on its port). InvalidArgument "apps[I].KEY: ..." naming
// the later of two conflicting apps. Rules of a single app are checked by ApplyYaml.
Status ValidateApps(const Config& config);

// Parses `vigil server` arguments (after the subcommand) into *config, reading --config FILE
// first so flags override it, then checks ValidateApps (--listen may collide with an app) and
// that TLS is given as a certificate with its key or as self-signed, not both.
// InvalidArgument with a usage message on bad flags; ApplyYaml's errors for a bad file.
Status ParseServerFlags(const std::vector<std::string>& args, Config* config);

// A version bundle's manifest.yaml (see examples/shop/manifest.yaml) over the app's configured
// spec: `command` (required; relative programs are found in `bundle_dir`, the version's working
// directory), `env` (added to the app's; the manifest's value wins), `health_check`,
// `liveness_check`, `metrics_path`, `stop_timeout`, `drain_timeout`, `min_uptime`, as in an app
// of vigil.yaml. InvalidArgument "SOURCE:LINE:COLUMN: key: what is wrong", or naming a program
// that is not in the bundle or cannot run.
StatusOr<fleet::AppSpec> ParseManifest(const fleet::AppSpec& app, const std::string& yaml,
                                       const std::string& bundle_dir, const std::string& source);

}  // namespace vigil::server
