#pragma once
// On-disk blocks: immutable directories holding the samples of a time range for many series,
// column-compressed (docs/format/block.md). Private to tsdb.
//
// A block directory <blocks>/<id>/ holds: meta.json, index, chunks. It is written under a
// temporary name and renamed into place, so a crash never leaves a half block visible.
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "common/status.h"
#include "tsdb/tsdb_types.h"

namespace vigil::tsdb::block {

// Everything a block stores for one series. raw and stats are sorted by timestamp
// (ties keep append order).
struct SeriesData {
  SeriesKey key;
  std::string unit = "None";
  std::vector<RawSample> raw;
  std::vector<StatSample> stats;
  int64_t last_append_ms = 0;  // wall-clock time of the newest append (for RecentlyActive)
};

struct BlockMeta {
  std::string id;          // directory name; sortable by creation (e.g. "0000019a7c3e2f10-0001")
  int64_t min_time_ms = 0;  // smallest sample timestamp
  int64_t max_time_ms = 0;  // largest sample timestamp
  uint64_t num_series = 0;
  uint64_t num_samples = 0;  // raw + stats samples
  int level = 0;             // 0 for a head flush; compaction output is max(input levels)+1
  // Room for rollup tiers (next issue): 0 = raw. A rollup block stores per-period StatSamples.
  int64_t resolution_ms = 0;
};

// Writes `series` (sorted by CanonicalKeyString of key, keys unique) as block `id` under
// `blocks_dir`, atomically (tmp dir + fsync + rename). Fills *meta.
// Unavailable on I/O failure (nothing is left behind); InvalidArgument on unsorted input.
Status WriteBlock(const std::string& blocks_dir, const std::string& id,
                  std::span<const SeriesData> series, int level, BlockMeta* meta);

// A read-only view of one block. The index (series keys, units, offsets) is held in memory;
// sample data is read from the chunks file on demand (pread), so a reader is cheap per series.
// Thread-safe after Open.
class BlockReader {
 public:
  // DataLoss naming file and offset when meta, index or a checksum is bad.
  static StatusOr<std::unique_ptr<BlockReader>> Open(const std::string& block_dir);
  virtual ~BlockReader() = default;

  virtual const BlockMeta& meta() const = 0;
  virtual const std::string& dir() const = 0;
  // Every series of the block in CanonicalKeyString order, with unit and last_append_ms set and
  // raw/stats left empty.
  virtual const std::vector<SeriesData>& series() const = 0;
  // Index into series() of `key`, or -1.
  virtual int64_t Find(const SeriesKey& key) const = 0;
  // Loads the samples of series() [i] with timestamps in [min_ms, max_ms) into out->raw and
  // out->stats (appending; key/unit are set too). DataLoss on a checksum mismatch.
  virtual Status ReadSeries(size_t i, int64_t min_ms, int64_t max_ms, SeriesData* out) const = 0;
  // Bytes of the block's files.
  virtual uint64_t SizeBytes() const = 0;
};

}  // namespace vigil::tsdb::block
