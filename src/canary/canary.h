#pragma once
// vigil::canary — synthetic checks (CloudWatch Synthetics' canaries, simplified): a canary is a
// short script of HTTP requests against an app, each with what its answer must be (status, a
// piece of body, values in a JSON body, latency). Canaries run on their own schedule, on demand
// (`vigil canaries run`), and from the deployment engine against each new instance before it
// takes traffic. Every run is recorded (the last 20 per canary) and measured into the
// MetricSink, so that alarms can watch it:
//
//   namespace Vigil/Canaries, dimension CanaryName:
//     SuccessPercent  100 or 0 per run          (Percent)
//     Duration        the run, start to end     (Milliseconds)
//     Failed          1 or 0 per run            (Count)
//
// Scheduling: a fixed pool of `threads` runners shares every canary's schedule (hundreds of
// canaries need no thread each). A canary runs every interval_ms, its first run at start plus
// an offset drawn from its name (so canaries with the same interval do not all fire at once);
// a run that overruns its interval skips the runs it missed rather than queueing them. One
// canary never runs twice at once: a manual run waits for a scheduled one in flight, and the
// scheduler skips a canary while any run of it is in flight.
//
// Thread-safety: every method may be called from any thread.
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/clock.h"
#include "common/logging.h"
#include "common/metric_sink.h"
#include "common/status.h"

namespace vigil::canary {

// One HTTP request and what its answer must be. A step passes when every check given passes.
struct Step {
  std::string name;  // for messages; empty: "<METHOD> <path>" (filled in by Start)
  std::string method = "GET";
  std::string path = "/";  // with query; appended to the target's base URL (and its path)
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  int expect_status = 0;      // 0: any 2xx
  std::string body_contains;  // "": not checked
  // JSON path -> expected value as JSON text ("3", "\"x\"", "true", "null", "[1,2]"). A path
  // is a JSON pointer ("/items/0/product_id", "" for the whole body) or a $-path
  // ("$.items[0].product_id", "$['odd key']"). Numbers compare by value (2 equals 2.0).
  std::vector<std::pair<std::string, std::string>> json_equals;
  int64_t max_latency_ms = 0;  // request sent to answer read; 0: not checked
};

struct CanarySpec {
  std::string name;  // [A-Za-z0-9_-]{1,64}
  std::string app;   // the target: this app's load balancer (CanaryOptions::resolve_app) ...
  std::string url;   // ... or a base URL "http://host:port[/prefix]"; exactly one of the two
  // With an https url: a PEM file of certificates trusted besides the system's CAs (a private
  // CA, or a self-signed server's own certificate); read at every run. "": the system's only.
  // A canary aimed at an app trusts that app's listener's certificate instead (AppEndpoint).
  std::string ca_bundle;
  int64_t interval_ms = 60'000;  // at least 1000; 0: only on demand and after deploy batches
  int64_t timeout_ms = 5'000;    // per step: connect, send and read the whole answer
  std::vector<Step> steps;       // at least one; run in order
};

struct StepResult {
  std::string name;
  bool ok = false;
  int status = 0;  // the answer's status; 0 when there was none
  int64_t latency_ms = 0;
  std::string detail;  // why it failed, for people; "" when ok
};

struct RunResult {
  std::string canary;
  std::string target;   // the base URL used
  std::string trigger;  // "schedule", "manual", "deploy" (any text a caller passes)
  bool ok = false;
  int64_t started_ms = 0;  // Clock time
  int64_t duration_ms = 0;
  std::vector<StepResult> steps;  // in order, up to and including the first failing one
  // "step 'GET /products': status 503, expected 200", or why there was no target
  // ("resolving app 'shop': ..."); "" when ok.
  std::string failure;
};

struct CanaryInfo {
  CanarySpec spec;                 // as validated, step names filled in
  std::optional<RunResult> last;   // the latest recorded run
  int64_t runs = 0, failures = 0;  // since start
  std::vector<RunResult> recent;   // the last 20 runs, newest first
};

// Where a canary aimed at an app connects.
struct AppEndpoint {
  std::string base_url;  // "http://127.0.0.1:PORT", "https://..." for a TLS listener
  // A TLS listener's configured certificate file (PEM: the certificate, then its chain): the
  // canary trusts it and requires the listener to present it. "" for plain HTTP.
  std::string cert_file;
};

struct CanaryOptions {
  std::vector<CanarySpec> canaries;
  Clock* clock = nullptr;         // required: run timestamps
  Logger* logger = nullptr;       // required: failures and recoveries
  MetricSink* metrics = nullptr;  // optional: Vigil/Canaries
  // app -> its load balancer, asked at every run of a canary with `app` (an app's port may be
  // picked at bind time). Required when a canary names an app; may be called from any runner
  // thread at once.
  std::function<StatusOr<AppEndpoint>(const std::string& app)> resolve_app;
  int threads = 4;  // scheduled runs in parallel, across all canaries (1 to 64)
};

inline constexpr size_t kRecentRuns = 20;

// A canary name: 1 to 64 letters, digits, '_' or '-' (it names a metric dimension and a URL
// path segment).
bool IsValidCanaryName(std::string_view name);

// One json_equals check: InvalidArgument "bad path: ..." or "expected value must be JSON
// text ...".
Status ValidateJsonCheck(const std::string& path, const std::string& expected);

// The rules of one step / one spec. InvalidArgument "FIELD: problem" for a step
// ("json[$.a[]]: ...", "expect_status: ..."), "canary 'NAME': FIELD: problem" for a spec
// ("canary 'shop': steps[1].path: ...", "canary 'shop': ca_bundle: open F: No such file ...";
// the ca_bundle file is read and parsed). ValidateSpec does not check that an app exists.
Status ValidateStep(const Step& step);
Status ValidateSpec(const CanarySpec& spec);
// A canary's ca_bundle (not empty) for its url: InvalidArgument saying what is wrong (the url
// is not https; the file cannot be read; it holds no PEM certificate, or one OpenSSL refuses).
Status ValidateCaBundle(const std::string& url, const std::string& ca_bundle);

class Canaries {
 public:
  // Validates every spec (ValidateSpec, unique names, resolve_app present when needed) and
  // starts the runners. InvalidArgument naming the canary and field.
  static StatusOr<std::unique_ptr<Canaries>> Start(CanaryOptions options);

  virtual ~Canaries() = default;  // Stop()s
  // Stops scheduling and joins the runners. A run in flight ends after its current step (whose
  // fetch is bounded by the canary's timeout) and is not recorded; Run() calls waiting, or cut
  // short that way, return Unavailable. Idempotent. Run() calls must have returned before
  // destruction.
  virtual void Stop() = 0;

  // Runs canary `name` now on the calling thread, against its target, or against `base_url`
  // when given (the deployment engine checks a new instance directly: "http://127.0.0.1:41234");
  // waits first for a run of it in flight. Records the result and publishes its metrics; a
  // failing run is an OK return whose RunResult says ok=false. NotFound for an unknown name;
  // InvalidArgument for a base_url that is not http(s)://host[:port]; Unavailable once stopped.
  virtual StatusOr<RunResult> Run(const std::string& name, const std::string& trigger,
                                  const std::string& base_url = "") = 0;

  // Every canary by name, with its last run and counters.
  virtual std::vector<CanaryInfo> List() const = 0;
  // NotFound for an unknown name.
  virtual StatusOr<CanaryInfo> Get(const std::string& name) const = 0;
};

}  // namespace vigil::canary
