#pragma once
// The server's configuration: defaults, then the YAML file (--config), then command-line flags.
#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"
#include "common/units.h"
#include "tsdb/tsdb.h"

namespace vigil::server {

struct Config {
  std::string listen_host = "127.0.0.1";
  uint16_t listen_port = 4510;
  std::string data_dir = "./vigil-data";
  std::string region = "us-east-1";

  int64_t max_clock_skew_ms = 15 * 60 * 1000;  // SigV4 X-Amz-Date tolerance; 0 disables

  int64_t retention_ms = 15LL * 24 * 3600 * 1000;
  int64_t max_sample_age_ms = 14LL * 24 * 3600 * 1000;  // older samples are refused
  std::vector<tsdb::RollupTier> rollups = tsdb::DefaultRollupTiers();
  double rollup_sketch_accuracy = 0.02;
  int64_t block_range_ms = 2LL * 3600 * 1000;
  int64_t head_chunk_bytes = 16 << 20;  // tsdb::Options::head_chunk_bytes

  std::string remote_write_namespace = "Prometheus";
  bool remote_write_allow_unsigned = false;

  int io_threads = 2;
  int worker_threads = 32;
};

// Parses "HOST:PORT" ("[::1]:4510" for IPv6). InvalidArgument on a bad form or port.
Status ParseListen(const std::string& text, std::string* host, uint16_t* port);


// Applies the YAML document `yaml` over *config. Unknown keys are errors (a typo must not be
// silently ignored). InvalidArgument naming the key on any problem.
Status ApplyYaml(const std::string& yaml, Config* config);

// Parses `vigil server` arguments (after the subcommand) into *config, reading --config FILE
// first so flags override it. InvalidArgument with a usage message on bad flags.
Status ParseServerFlags(const std::vector<std::string>& args, Config* config);

}  // namespace vigil::server
