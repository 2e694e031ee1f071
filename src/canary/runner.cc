#include "canary/runner.h"

#include <chrono>

#include "canary/check.h"
#include "http/fetch.h"

namespace vigil::canary {
namespace {

using SteadyClock = std::chrono::steady_clock;

int64_t MillisSince(SteadyClock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(SteadyClock::now() - start).count();
}

bool HasHeader(const Step& step, std::string_view name) {
  for (const auto& [n, v] : step.headers) {
    if (n.size() == name.size() && std::equal(n.begin(), n.end(), name.begin(), [](char a, char b) {
          return std::tolower(a) == std::tolower(b);
        })) {
      return true;
    }
  }
  return false;
}

StepResult RunStep(const CanarySpec& spec, const Step& step, const std::string& base_url,
                   const std::string& prefix, const Trust& trust) {
  http::ClientRequest request;
  request.method = step.method;
  request.target = prefix + step.path;
  request.headers = step.headers;
  // Lets an app tell synthetic traffic apart (and leave it out of its own statistics).
  if (!HasHeader(step, "User-Agent")) {
    request.headers.emplace_back("User-Agent", "vigil-canary/" + spec.name);
  }
  request.body = step.body;
  http::FetchOptions options;
  options.timeout = std::chrono::milliseconds(spec.timeout_ms);
  options.ca_file = trust.ca_file;
  options.peer_cert_file = trust.peer_cert_file;

  StepResult result;
  result.name = step.name;
  const auto start = SteadyClock::now();
  StatusOr<http::ClientResponse> response = http::Fetch(base_url, request, options);
  result.latency_ms = MillisSince(start);
  if (!response.ok()) {
    result.detail = response.status().message();
    return result;
  }
  result.status = response->status;
  result.detail = CheckAnswer(step, Answer{response->status, response->body, result.latency_ms});
  result.ok = result.detail.empty();
  return result;
}

}  // namespace

std::optional<RunResult> RunSteps(const CanarySpec& spec, const std::string& trigger,
                                  const std::string& base_url, const Trust& trust,
                                  const Clock& clock, const std::atomic<bool>& cancel) {
  RunResult run;
  run.canary = spec.name;
  run.target = base_url;
  run.trigger = trigger;
  run.started_ms = clock.NowMillis();
  const auto start = SteadyClock::now();
  StatusOr<http::Url> url = http::ParseUrl(base_url);
  if (!url.ok()) {
    run.failure = url.status().message();
    return run;
  }
  std::string prefix = url->path;
  while (!prefix.empty() && prefix.back() == '/') prefix.pop_back();
  run.ok = true;
  for (const Step& step : spec.steps) {
    if (cancel.load()) return std::nullopt;
    run.steps.push_back(RunStep(spec, step, base_url, prefix, trust));
    const StepResult& done = run.steps.back();
    if (!done.ok) {
      run.ok = false;
      run.failure = "step '" + done.name + "': " + done.detail;
      break;
    }
  }
  run.duration_ms = MillisSince(start);
  return run;
}

RunResult FailedRun(const CanarySpec& spec, const std::string& trigger, const Clock& clock,
                    const std::string& why) {
  RunResult run;
  run.canary = spec.name;
  run.trigger = trigger;
  run.started_ms = clock.NowMillis();
  run.failure = why;
  return run;
}

}  // namespace vigil::canary
