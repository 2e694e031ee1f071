#pragma once
// vigil-shop's settings: defaults, then environment variables, then command-line flags (a flag
// wins over its variable). The supervisor passes PORT and VIGIL_APP; a deployment manifest
// passes the version label and faults as flags or variables.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "common/status.h"

namespace vigil::shop {

// Misbehaviour on purpose, so that a bad version can be deployed and caught.
struct Faults {
  double error_rate = 0;        // fraction of requests (all but /health) answered 500
  int64_t latency_ms = 0;       // added to every request but /health
  bool crash_on_start = false;  // exit 1 before listening
  bool unhealthy = false;       // /health answers 503
};

struct ShopOptions {
  std::string listen_host = "127.0.0.1";
  uint16_t port = 8080;  // 0: any free port (printed at start)
  std::string db_path = "./shop.db";
  std::string version = "dev";  // X-Shop-Version and GET /version
  Faults faults;

  // CloudWatch publishing, on when endpoint and both keys are set.
  std::string vigil_endpoint;  // "http://127.0.0.1:4510"
  std::string access_key_id;
  std::string secret_access_key;
  std::string region = "us-east-1";
  std::string app = "shop";  // the App dimension
  int64_t metrics_interval_ms = 10'000;

  bool publish_metrics() const {
    return !vigil_endpoint.empty() && !access_key_id.empty() && !secret_access_key.empty();
  }
};

// Reads the environment through `getenv` (returns nullptr when unset), then `args` (argv
// without the program name). InvalidArgument naming the flag or variable for an unknown flag,
// a missing value or a value out of range; NotFound when --help was asked for (the caller
// prints Usage()).
StatusOr<ShopOptions> ParseOptions(const std::vector<std::string>& args,
                                   const std::function<const char*(const char*)>& getenv);

// The flags and variables, one per line, for --help.
std::string Usage();

}  // namespace vigil::shop
