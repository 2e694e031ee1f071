#pragma once
// Private to vigil::deploy: how versions, deployments and each app's current version are kept
// in the state store (JSON documents), and the names of policies and states.
//
//   table deploy_versions  key "<app>/<label>"   a Version
//   table deploy_runs      key "<app>/<n:010>"   a Deployment (n from 1, so keys sort by age)
//   table deploy_apps      key "<app>"           {"current": label, "previous": label}
#include <string>

#include "deploy/deploy.h"

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

std::string EncodeVersion(const Version& v);
StatusOr<Version> DecodeVersion(const std::string& json);
std::string EncodeDeployment(const Deployment& d);
StatusOr<Deployment> DecodeDeployment(const std::string& json);
std::string EncodeApp(const AppRecord& a);
StatusOr<AppRecord> DecodeApp(const std::string& json);

// "<app>/<n:010>", the deploy_runs key of deployment n of the app.
std::string RunKey(const std::string& app, int n);

// A version label: 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit.
bool IsValidLabel(std::string_view label);

}  // namespace vigil::deploy
