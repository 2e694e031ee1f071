#pragma once
// Private to vigil::deploy: how versions, deployments and each app's current version are kept
// in the state store (JSON documents), and the names of policies and states.
//
//   table deploy_versions  key "<app>/<label>"   a Version
//   table deploy_runs      key "<app>/<n:010>"   a Deployment (n from 1, so keys sort by age)
//   table deploy_apps      key "<app>"           {"current": label, "previous": label}
#include <string>

#include "deploy/deploy.h"
#include "storage/cipher.h"

namespace vigil::deploy {

inline constexpr std::string_view kVersionsTable = "deploy_versions";
inline constexpr std::string_view kRunsTable = "deploy_runs";
inline constexpr std::string_view kAppsTable = "deploy_apps";

// The label of the configuration's version of every app.
inline constexpr std::string_view kConfigLabel = "v1";

struct AppRecord {
  std::string current;
  std::string previous;  // "" when there is none
};

// With a cipher, a non-empty manifest is stored sealed (hex, "manifest_sealed") bound to
// "deploy:manifest:<app>/<label>", so a record moved to another version does not open; errors
// as Cipher::Seal. Without one it is stored as is.
StatusOr<std::string> EncodeVersion(const Version& v, storage::Cipher* cipher);
// Opens a sealed manifest with `cipher` (FailedPrecondition without one; DataLoss naming the
// version when it does not open); a plaintext one is taken as is (stored before sealing began).
StatusOr<Version> DecodeVersion(const std::string& json, const storage::Cipher* cipher);
std::string EncodeDeployment(const Deployment& d);
StatusOr<Deployment> DecodeDeployment(const std::string& json);
std::string EncodeApp(const AppRecord& a);
StatusOr<AppRecord> DecodeApp(const std::string& json);

// "<app>/<n:010>", the deploy_runs key of deployment n of the app.
std::string RunKey(const std::string& app, int n);

// A version label: 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit.
bool IsValidLabel(std::string_view label);

}  // namespace vigil::deploy
