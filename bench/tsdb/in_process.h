#pragma once
// The in-process load: the same fleet appended straight into a tsdb::Db (no HTTP, no protocol
// decoding; the fleet's own keys, namespace "Fleet"), then closed (the head is cut into a block),
// measured on disk, reopened and queried with q1 through Db::GetStatistics.

#include <cstdint>
#include <string>

#include "bench/tsdb/driver.h"
#include "bench/tsdb/fleet_source.h"
#include "common/status.h"

namespace vigil::bench {

struct InProcessOptions {
  std::string dir;          // store directory; created when missing
  DriveOptions drive;       // threads = concurrent appenders
  size_t query_series = 0;  // q1's series (index in the source)
  int query_warmup = 20;
  int query_repetitions = 200;
};

struct InProcessResult {
  DriveResult load;
  double close_seconds = 0;           // Close(): the head cut into a block
  uint64_t rss_open_bytes = 0;        // VmRSS after Open
  uint64_t rss_first_step_bytes = 0;  // VmRSS once every series has one sample
  uint64_t rss_loaded_bytes = 0;      // VmRSS after the load, before Close
  uint64_t peak_rss_bytes = 0;        // VmHWM after Close
  uint64_t dir_bytes = 0;             // every file under dir after Close
  uint64_t block_bytes = 0;           // Stats::block_bytes after reopening
  uint64_t block_samples = 0;
  uint64_t wal_bytes = 0;
  double q1_median_ms = 0;
  double q1_p99_ms = 0;
  size_t q1_points = 0;
};

// Runs the whole sequence. Errors: whatever Open/Append/Close/GetStatistics return.
StatusOr<InProcessResult> RunInProcess(const FleetSource& source, const InProcessOptions& options);

// What the rollup tiers of a store's raw blocks cost on disk (the budget: at most 15%
// more than the raw data alone).
struct RollupCost {
  uint64_t raw_bytes = 0;        // the store's raw data merged into day blocks
  uint64_t five_min_bytes = 0;   // their 5-minute rollups (built only as raw expires)
  uint64_t hour_bytes = 0;       // their 1-hour rollups (the eager tier)
  uint64_t hour_sketch_bytes = 0;  // their sketches before entropy coding
  double five_min_ratio() const { return raw_bytes ? double(five_min_bytes) / double(raw_bytes) : 0; }
  double hour_ratio() const { return raw_bytes ? double(hour_bytes) / double(raw_bytes) : 0; }
};

// Merges the raw blocks under `blocks_dir` (a Vigil store's tsdb/blocks) into day blocks as
// the store's compaction does, rolls each day up with the store's own code
// (tsdb::WriteRollupBlock), measures, and deletes the scratch copies.
StatusOr<RollupCost> MeasureRollupCost(const std::string& blocks_dir, double accuracy);

// Bytes of every regular file under `dir` (recursively); 0 when it does not exist.
uint64_t DirectoryBytes(const std::string& dir);

// A field of /proc/self/status in bytes ("VmRSS", "VmHWM"); 0 when absent.
uint64_t ProcStatusBytes(const char* field);

}  // namespace vigil::bench
