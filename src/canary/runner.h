#pragma once
// Private to vigil::canary: one run of a canary's steps against a base URL.
#include <atomic>
#include <optional>
#include <string>

#include "canary/canary.h"
#include "common/clock.h"

namespace vigil::canary {

// What an https target is trusted by besides the system's CAs (http::FetchOptions' fields of
// the same names); both empty for plain HTTP or the system's CAs alone.
struct Trust {
  std::string ca_file;         // extra trust anchors (PEM)
  std::string peer_cert_file;  // the certificate the server must present, instead of its name
};

// Runs spec.steps in order against `base_url` ("http://127.0.0.1:8080", optionally with a
// path prefix), each step a fresh connection (http::Fetch, trusting `trust`) bounded by
// spec.timeout_ms, stopping at the first failing step. Fills every field of the result
// (started_ms from `clock`). nullopt when `cancel` turned true before a step: the run was
// abandoned, not failed. REQUIRES: ValidateSpec(spec) is OK. Reentrant.
std::optional<RunResult> RunSteps(const CanarySpec& spec, const std::string& trigger,
                                  const std::string& base_url, const Trust& trust,
                                  const Clock& clock, const std::atomic<bool>& cancel);

// A run that never reached its target (`why`: the app could not be resolved, ...).
RunResult FailedRun(const CanarySpec& spec, const std::string& trigger, const Clock& clock,
                    const std::string& why);

}  // namespace vigil::canary
