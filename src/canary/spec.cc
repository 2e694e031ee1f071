// The rules of canary specs (canary.h: ValidateStep, ValidateSpec).
#include <nlohmann/json.hpp>

#include "canary/canary.h"
#include "canary/check.h"
#include "http/client.h"
#include "http/tls.h"
#include "storage/file_util.h"

namespace vigil::canary {
namespace {

// An HTTP method token as RFC 9110 allows it, upper case by convention (GET, POST, ...).
bool IsMethod(const std::string& m) {
  if (m.empty() || m.size() > 16) return false;
  for (char c : m) {
    if (!(c >= 'A' && c <= 'Z')) return false;
  }
  return true;
}

bool HasControl(const std::string& s) {
  for (char c : s) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return true;
  }
  return false;
}

Status Field(const std::string& field, const std::string& problem) {
  return InvalidArgumentError(field + ": " + problem);
}

}  // namespace

bool IsValidCanaryName(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

Status ValidateJsonCheck(const std::string& path, const std::string& expected) {
  StatusOr<JsonPath> parsed = ParseJsonPath(path);
  if (!parsed.ok()) return InvalidArgumentError("bad path: " + parsed.status().message());
  if (nlohmann::json::parse(expected, nullptr, /*allow_exceptions=*/false).is_discarded()) {
    return InvalidArgumentError(
        "expected value must be JSON text such as 3, \"x\" or true (quote strings: '\"x\"'), "
        "got '" +
        expected + "'");
  }
  return OkStatus();
}

Status ValidateCaBundle(const std::string& url_text, const std::string& ca_bundle) {
  StatusOr<http::Url> url = http::ParseUrl(url_text);
  if (url_text.empty() || !url.ok() || !url->tls) {
    return InvalidArgumentError(
        "only for a canary with an https url (one aimed at an app trusts its listener's "
        "certificate)");
  }
  StatusOr<std::string> text = storage::ReadFile(ca_bundle);
  if (!text.ok()) return InvalidArgumentError(text.status().message());
  if (text->find("-----BEGIN CERTIFICATE-----") == std::string::npos) {
    return InvalidArgumentError(ca_bundle + " holds no PEM certificate");
  }
  auto loaded = http::NewClientContext(ca_bundle);
  if (!loaded.ok()) return InvalidArgumentError(loaded.status().message());
  return OkStatus();
}

Status ValidateStep(const Step& step) {
  if (!IsMethod(step.method)) {
    return Field("method", "expected an upper-case HTTP method such as GET or POST, got '" +
                               step.method + "'");
  }
  if (step.path.empty() || step.path[0] != '/' || HasControl(step.path) ||
      step.path.find(' ') != std::string::npos) {
    return Field("path",
                 "expected a path starting with '/' and without spaces, got '" + step.path + "'");
  }
  for (const auto& [name, value] : step.headers) {
    if (name.empty() || HasControl(name) || name.find_first_of(" :") != std::string::npos ||
        HasControl(value)) {
      return Field("headers", "bad header '" + name + "'");
    }
  }
  if (step.expect_status != 0 && (step.expect_status < 100 || step.expect_status > 599)) {
    return Field("expect_status",
                 "expected 100 to 599 (or 0: any 2xx), got " + std::to_string(step.expect_status));
  }
  if (step.max_latency_ms < 0) return Field("max_latency", "must not be negative");
  for (const auto& [path, expected] : step.json_equals) {
    Status s = ValidateJsonCheck(path, expected);
    if (!s.ok()) return Field("json[" + path + "]", s.message());
  }
  return OkStatus();
}

Status ValidateSpec(const CanarySpec& spec) {
  if (!IsValidCanaryName(spec.name)) {
    return Field("canary '" + spec.name + "': name",
                 "expected 1 to 64 letters, digits, '_' or '-'");
  }
  const std::string in = "canary '" + spec.name + "': ";
  if (spec.app.empty() == spec.url.empty()) {
    return InvalidArgumentError(in + "give exactly one of app and url");
  }
  if (!spec.url.empty()) {
    StatusOr<http::Url> url = http::ParseUrl(spec.url);
    if (!url.ok()) return Field(in + "url", url.status().message());
  }
  if (!spec.ca_bundle.empty()) {
    Status s = ValidateCaBundle(spec.url, spec.ca_bundle);
    if (!s.ok()) return Field(in + "ca_bundle", s.message());
  }
  if (spec.interval_ms != 0 && spec.interval_ms < 1000) {
    return Field(in + "interval", "must be at least 1s (or 0: on demand only), got " +
                                      std::to_string(spec.interval_ms) + "ms");
  }
  if (spec.timeout_ms < 1 || spec.timeout_ms > 300'000) {
    return Field(in + "timeout",
                 "must be within 1ms to 5m, got " + std::to_string(spec.timeout_ms) + "ms");
  }
  if (spec.steps.empty()) return Field(in + "steps", "at least one step is needed");
  for (size_t i = 0; i < spec.steps.size(); ++i) {
    Status s = ValidateStep(spec.steps[i]);
    if (!s.ok()) {
      return InvalidArgumentError(in + "steps[" + std::to_string(i) + "]." + s.message());
    }
  }
  return OkStatus();
}

}  // namespace vigil::canary
