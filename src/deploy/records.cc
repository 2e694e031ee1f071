#include "deploy/records.h"

#include <nlohmann/json.hpp>

#include <cstdio>

#include "common/ascii.h"

namespace vigil::deploy {
namespace {

using nlohmann::json;

constexpr std::pair<Policy, std::string_view> kPolicies[] = {
    {Policy::kAllAtOnce, "all-at-once"},
    {Policy::kRolling, "rolling"},
    {Policy::kRollingWithBatch, "rolling-with-batch"},
    {Policy::kImmutable, "immutable"},
    {Policy::kBlueGreen, "blue-green"},
};

constexpr std::pair<DeploymentState, std::string_view> kStates[] = {
    {DeploymentState::kInProgress, "in-progress"},
    {DeploymentState::kSucceeded, "succeeded"},
    {DeploymentState::kRolledBack, "rolled-back"},
    {DeploymentState::kFailed, "failed"},
};

// Runs `decode` over the parsed document; a malformed record is DataLoss naming what it is.
template <typename T, typename F>
StatusOr<T> Decode(const std::string& text, const char* what, F decode) {
  try {
    return decode(json::parse(text));
  } catch (const std::exception& e) {
    return DataLossError(std::string("a stored ") + what + " record is malformed: " + e.what());
  }
}

}  // namespace

std::string_view PolicyName(Policy policy) {
  for (const auto& [p, name] : kPolicies) {
    if (p == policy) return name;
  }
  return "unknown";
}

StatusOr<Policy> ParsePolicy(std::string_view name) {
  std::string names;
  for (const auto& [p, n] : kPolicies) {
    if (n == name) return p;
    names += (names.empty() ? "" : ", ") + std::string(n);
  }
  return InvalidArgumentError("unknown deployment policy '" + std::string(name) +
                              "' (expected one of " + names + ")");
}

std::string_view StateName(DeploymentState state) {
  for (const auto& [s, name] : kStates) {
    if (s == state) return name;
  }
  return "unknown";
}

bool IsValidLabel(std::string_view label) {
  auto alnum = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
  };
  if (label.empty() || label.size() > 64 || !alnum(label[0])) return false;
  for (char c : label) {
    if (!alnum(c) && c != '.' && c != '_' && c != '-') return false;
  }
  return true;
}

std::string RunKey(const std::string& app, int n) {
  char digits[16];
  std::snprintf(digits, sizeof(digits), "%010d", n);
  return app + "/" + digits;
}

namespace {

std::string ManifestContext(const Version& v) {
  return "deploy:manifest:" + v.app + "/" + v.label;
}

}  // namespace

StatusOr<std::string> EncodeVersion(const Version& v, storage::Cipher* cipher) {
  json doc{{"app", v.app},
           {"label", v.label},
           {"source", v.source},
           {"description", v.description},
           {"created_ms", v.created_ms}};
  if (cipher != nullptr && !v.manifest.empty()) {
    ASSIGN_OR_RETURN(std::string sealed, cipher->Seal(v.manifest, ManifestContext(v)));
    doc["manifest_sealed"] = HexEncode(sealed);
    doc["manifest"] = "";
  } else {
    doc["manifest"] = v.manifest;
  }
  return doc.dump();
}

StatusOr<Version> DecodeVersion(const std::string& text, const storage::Cipher* cipher) {
  std::string sealed_hex;
  ASSIGN_OR_RETURN(Version v, Decode<Version>(text, "version", [&](const json& j) {
    sealed_hex = j.value("manifest_sealed", "");
    return Version{j.at("app").get<std::string>(),         j.at("label").get<std::string>(),
                   j.at("source").get<std::string>(),      j.at("description").get<std::string>(),
                   j.at("manifest").get<std::string>(),    j.at("created_ms").get<int64_t>()};
  }));
  if (sealed_hex.empty()) return v;
  const std::string what = "version '" + v.label + "' of app '" + v.app + "'";
  if (cipher == nullptr) {
    return FailedPreconditionError("the manifest of " + what + " is sealed and no keyring is open");
  }
  std::optional<std::string> sealed = HexDecode(sealed_hex);
  if (!sealed) return DataLossError("the sealed manifest of " + what + " is not hex");
  StatusOr<std::string> manifest = cipher->Open(*sealed, ManifestContext(v));
  if (!manifest.ok()) {
    return DataLossError("the sealed manifest of " + what + " (state store table " +
                         std::string(kVersionsTable) + ") does not open: " +
                         manifest.status().message());
  }
  v.manifest = *std::move(manifest);
  return v;
}

std::string EncodeDeployment(const Deployment& d) {
  const DeployRequest& r = d.request;
  json events = json::array();
  for (const Event& e : d.events) events.push_back({{"at_ms", e.at_ms}, {"message", e.message}});
  return json{{"id", d.id},
              {"kind", d.kind},
              {"app", r.app},
              {"label", r.label},
              {"policy", PolicyName(r.policy)},
              {"batch", r.batch},
              {"batch_percent", r.batch_percent},
              {"bake_ms", r.bake_ms},
              {"health_timeout_ms", r.health_timeout_ms},
              {"alarms", r.alarms},
              {"canaries", r.canaries},
              {"caller", r.caller},
              {"from", d.from_label},
              {"state", StateName(d.state)},
              {"phase", d.phase},
              {"reason", d.reason},
              {"created_ms", d.created_ms},
              {"updated_ms", d.updated_ms},
              {"finished_ms", d.finished_ms},
              {"batches", d.batches},
              {"batches_done", d.batches_done},
              {"events", std::move(events)}}
      .dump();
}

StatusOr<Deployment> DecodeDeployment(const std::string& text) {
  return Decode<Deployment>(text, "deployment", [](const json& j) {
    Deployment d;
    d.id = j.at("id").get<std::string>();
    d.kind = j.at("kind").get<std::string>();
    DeployRequest& r = d.request;
    r.app = j.at("app").get<std::string>();
    r.label = j.at("label").get<std::string>();
    StatusOr<Policy> policy = ParsePolicy(j.at("policy").get<std::string>());
    if (!policy.ok()) throw std::runtime_error(policy.status().message());
    r.policy = *policy;
    r.batch = j.at("batch").get<int>();
    r.batch_percent = j.at("batch_percent").get<bool>();
    r.bake_ms = j.at("bake_ms").get<int64_t>();
    r.health_timeout_ms = j.at("health_timeout_ms").get<int64_t>();
    r.alarms = j.at("alarms").get<std::vector<std::string>>();
    r.canaries = j.at("canaries").get<std::vector<std::string>>();
    r.caller = j.at("caller").get<std::string>();
    d.from_label = j.at("from").get<std::string>();
    const std::string state = j.at("state").get<std::string>();
    bool known = false;
    for (const auto& [s, name] : kStates) {
      if (name == state) d.state = s, known = true;
    }
    if (!known) throw std::runtime_error("unknown state '" + state + "'");
    d.phase = j.at("phase").get<std::string>();
    d.reason = j.at("reason").get<std::string>();
    d.created_ms = j.at("created_ms").get<int64_t>();
    d.updated_ms = j.at("updated_ms").get<int64_t>();
    d.finished_ms = j.at("finished_ms").get<int64_t>();
    d.batches = j.at("batches").get<int>();
    d.batches_done = j.at("batches_done").get<int>();
    for (const json& e : j.at("events")) {
      d.events.push_back(Event{e.at("at_ms").get<int64_t>(), e.at("message").get<std::string>()});
    }
    return d;
  });
}

std::string EncodeApp(const AppRecord& a) {
  return json{{"current", a.current}, {"previous", a.previous}}.dump();
}

StatusOr<AppRecord> DecodeApp(const std::string& text) {
  return Decode<AppRecord>(text, "app", [](const json& j) {
    return AppRecord{j.at("current").get<std::string>(), j.at("previous").get<std::string>()};
  });
}

}  // namespace vigil::deploy
