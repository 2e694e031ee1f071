#pragma once
// Private to the server's config: the `canaries:` section (synthetic checks, canary.h) and the
// rules between its entries and the apps, which config.cc checks after the whole document.
#include <yaml-cpp/yaml.h>

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "canary/canary.h"
#include "common/status.h"
#include "server/config.h"
#include "server/yaml_reader.h"

namespace vigil::server {

// A rule broken between entries of the config's lists: entry `index` of `list` ("apps",
// "canaries"), at its `key`.
struct ListConflict {
  std::string list;
  size_t index = 0;
  std::string key;
  std::string message;
};

// `canaries:` — a list of canaries, each read into a CanarySpec and checked by
// canary::ValidateSpec (errors at the offending value, or at the canary or step).
Status ReadCanaries(const yaml::Reader& r, const YAML::Node& node, const std::string& path,
                    std::vector<canary::CanarySpec>* out);

// The first canary that repeats an earlier one's name, or names an app the config does not
// have or that has no load balancer.
std::optional<ListConflict> FindCanaryConflict(const Config& config);

}  // namespace vigil::server
