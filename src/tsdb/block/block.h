#pragma once
// On-disk blocks: immutable directories holding the samples of a time range for many series,
// column-compressed (docs/format/block.md). Private to tsdb.
//
// A block directory <blocks>/<id>/ holds: meta.json, index, chunks. It is written under a
// temporary name and renamed into place, so a crash never leaves a half block visible.
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "storage/cipher.h"
#include "tsdb/tsdb_types.h"

namespace vigil::tsdb::block {

// A rollup point as a rollup block stores it (tsdb/rollup.h's RollupPoint with its sketch
// encoded): SampleCount, Sum, Minimum and Maximum of one period starting at timestamp_ms, and
// the distribution of its raw values as sketch::QuantileSketch::EncodeTo bytes (empty when the
// period gives no percentile: it held statistic sets).
struct RollupSample {
  int64_t timestamp_ms;
  double sample_count;
  double sum;
  double minimum;
  double maximum;
  std::string sketch;
  bool operator==(const RollupSample&) const = default;
};

// Everything a block stores for one series. raw, stats and rollups are sorted by timestamp
// (ties keep append order). Raw blocks hold raw and stats; rollup blocks hold rollups.
struct SeriesData {
  SeriesKey key;
  std::string unit = "None";
  std::vector<RawSample> raw;
  std::vector<StatSample> stats;
  std::vector<RollupSample> rollups;
  int64_t last_append_ms = 0;  // wall-clock time of the newest append (for RecentlyActive)
};

// Receives raw samples as the columns they decode into, so a reader that only aggregates them
// need not build RawSample records (a day of 10 s samples is 8,640 of them).
class RawColumnSink {
 public:
  // Samples [0, n) in time order; `counts` is null when every count is 1.
  virtual void OnRawColumns(const int64_t* timestamps, const double* values,
                            const double* counts, size_t n) = 0;

 protected:
  ~RawColumnSink() = default;
};

struct BlockMeta {
  std::string id;          // directory name; sortable by creation (e.g. "0000019a7c3e2f10-0001")
  int64_t min_time_ms = 0;  // smallest sample timestamp
  int64_t max_time_ms = 0;  // largest sample timestamp
  uint64_t num_series = 0;
  uint64_t num_samples = 0;  // raw + stats samples + rollup points
  int level = 0;             // 0 for a head flush; compaction output is max(input levels)+1
  // 0 for raw data; a rollup tier's period for a rollup block (its series hold rollups).
  int64_t resolution_ms = 0;
  double sketch_accuracy = 0;  // a rollup block's sketches' relative accuracy
  // Ids of the blocks merged into this one (empty for a head flush). After a crash between
  // writing a merged block and deleting its inputs, the inputs named here are the ones to
  // delete, so their samples are not counted twice.
  std::vector<std::string> parents;
  // The other blocks written by the same split merge (MergeBlocksByDay), which publishes its
  // outputs one at a time and deletes the inputs only once all are in place. After a crash in
  // between, an output whose parents remain and whose siblings are not all present is an
  // unfinished split: delete it (the parents still hold its samples).
  std::vector<std::string> siblings;
};

// Writes `series` (sorted by CanonicalKeyString of key, keys unique) as block `id` under
// `blocks_dir`, atomically (tmp dir + fsync + rename). Fills *meta.
// Unavailable on I/O failure (nothing is left behind); InvalidArgument on unsorted input.
// Samples of a series must be sorted by timestamp (InvalidArgument otherwise). A leftover
// <blocks_dir>/<id>.tmp from a crash is removed; AlreadyExists when <blocks_dir>/<id> exists.
Status WriteBlock(const std::string& blocks_dir, const std::string& id,
                  std::span<const SeriesData> series, int level, BlockMeta* meta,
                  storage::Cipher* cipher = nullptr);

// Streams series into a new block, one at a time, for callers that cannot hold every series
// in memory (compaction, large head flushes). WriteBlock is this writer over a span.
// Memory: the series being encoded plus ~60 bytes a series for the index. Not thread-safe.
class BlockWriter {
 public:
  struct Options {
    int level = 0;
    int64_t resolution_ms = 0;
    double sketch_accuracy = 0;
    std::vector<std::string> parents;
    // When set, the block is encrypted (docs/format/block.md): its index whole, each series
    // record of its chunks on its own. Must outlive the writer.
    storage::Cipher* cipher = nullptr;
  };
  // Starts block `id` in the temporary directory <blocks_dir>/<id>.tmp (a stale one is
  // removed first). AlreadyExists when <blocks_dir>/<id> exists; Unavailable on I/O failure.
  static StatusOr<std::unique_ptr<BlockWriter>> Create(const std::string& blocks_dir,
                                                       const std::string& id, Options options);
  // Unless Finish() succeeded, removes the temporary directory: nothing is left behind.
  virtual ~BlockWriter() = default;

  // Appends one series. InvalidArgument (nothing written, the writer stays usable) when its
  // key does not sort strictly after the previous one's, its dimensions are not canonical, or
  // its samples are not sorted by timestamp. Unavailable on I/O failure; every later call then
  // fails too.
  virtual Status Add(const SeriesData& series) = 0;
  // Writes index and meta.json, fsyncs files and directory, renames the directory into place
  // and fsyncs <blocks_dir>. Fills *meta. Unavailable on I/O failure (nothing left behind).
  // `siblings` goes into the meta (see BlockMeta::siblings).
  virtual Status Finish(BlockMeta* meta, std::vector<std::string> siblings) = 0;
  Status Finish(BlockMeta* meta) { return Finish(meta, {}); }
};

// A read-only view of one block. The index (series keys, units, offsets) is held in memory;
// sample data is read from the chunks file on demand (pread), so a reader is cheap per series.
// Thread-safe after Open.
class BlockReader {
 public:
  // DataLoss naming file and offset when meta, index or a checksum is bad. An encrypted block
  // is opened with `cipher` (its index decrypted here, each series record when read);
  // FailedPrecondition when it is encrypted and `cipher` is null; DataLoss naming the file when
  // its index or a record does not authenticate. Plaintext blocks open with or without one.
  static StatusOr<std::unique_ptr<BlockReader>> Open(const std::string& block_dir,
                                                     const storage::Cipher* cipher = nullptr);
  virtual ~BlockReader() = default;

  virtual const BlockMeta& meta() const = 0;
  virtual const std::string& dir() const = 0;

  // The series of the block, in CanonicalKeyString order, i in [0, num_series()). The index
  // keeps keys interned (~20 bytes a series, the block's strings stored once), and these
  // accessors materialize one key on demand: use them to walk a block.
  virtual size_t num_series() const = 0;
  virtual SeriesKey key(size_t i) const = 0;
  // CanonicalKeyString(key(i)), built straight from the interned strings (one allocation).
  virtual std::string CanonicalKey(size_t i) const = 0;
  virtual std::string_view unit(size_t i) const = 0;
  virtual int64_t last_append_ms(size_t i) const = 0;

  // Every series of the block in CanonicalKeyString order, with unit and last_append_ms set and
  // raw/stats left empty. Built on the first call and kept for the reader's life: it costs a
  // few hundred bytes a series, which the compact index above avoids, so prefer num_series()
  // and key()/unit()/last_append_ms() in long-lived code.
  virtual const std::vector<SeriesData>& series() const = 0;
  // Index into series() of `key`, or -1. O(log n) key comparisons.
  virtual int64_t Find(const SeriesKey& key) const = 0;
  // Loads the samples of series() [i] with timestamps in [min_ms, max_ms) into out->raw and
  // out->stats (appending; key/unit are set too). Reads and decodes only that series' record.
  // DataLoss naming the chunks file and offset on a checksum mismatch or a malformed record;
  // Unavailable on a read error. REQUIRES: i < num_series().
  virtual Status ReadSeries(size_t i, int64_t min_ms, int64_t max_ms, SeriesData* out) const = 0;
  // ReadSeries for queries: the raw samples go to `raw` as columns, statistic sets and rollup
  // points are appended to rest->stats and rest->rollups (their sketches left empty unless
  // `sketches`: a query without percentiles does not decode them); key, unit and last append
  // are not set (the caller has them from the index).
  virtual Status ScanSeries(size_t i, int64_t min_ms, int64_t max_ms, RawColumnSink* raw,
                            SeriesData* rest, bool sketches) const = 0;
  // Drops the mapped pages of the records of series [0, i) from the process' resident set
  // (they stay in the page cache; a later read faults them back in). For sequential walks
  // such as compaction, which would otherwise keep every page of its inputs resident.
  virtual void ReleasePagesBefore(size_t i) const = 0;
  // Bytes of the block's files.
  virtual uint64_t SizeBytes() const = 0;
  // Heap bytes held by the reader (index, symbols; series() once built).
  virtual size_t MemoryBytes() const = 0;
};

// Compaction: writes block `id` under `blocks_dir` holding the union of the inputs' series
// (in canonical key order). A series present in several inputs gets their samples merged by
// timestamp, ties in input order (duplicates are kept); its unit is the one of the last input
// holding it, its last_append_ms the largest. The output has level max(input levels) + 1, the
// inputs' resolution_ms, and the input ids as parents. Memory: one series of every input at a
// time plus the output index, never whole blocks. InvalidArgument when inputs is empty or
// their resolutions differ; DataLoss from a corrupt input (nothing written); otherwise as
// BlockWriter. The inputs are not modified or deleted.
// `cipher`: as BlockWriter::Options::cipher, for the output.
Status MergeBlocks(const std::string& blocks_dir, const std::string& id,
                   std::span<const BlockReader* const> inputs, BlockMeta* meta,
                   storage::Cipher* cipher = nullptr);

// MergeBlocks, with the output split at multiples of `range_ms` (UTC days for the store): one
// block per range holding samples, each named by new_id() (called once per output, in time
// order), listing the inputs as parents and the other outputs as siblings. Outputs are
// published after every one is fully written; on an error those already published are
// removed. Fills *metas in time order.
Status MergeBlocksByRange(const std::string& blocks_dir,
                          const std::function<std::string()>& new_id,
                          std::span<const BlockReader* const> inputs, int64_t range_ms,
                          std::vector<BlockMeta>* metas, storage::Cipher* cipher = nullptr);

}  // namespace vigil::tsdb::block
