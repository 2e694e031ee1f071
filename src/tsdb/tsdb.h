#pragma once
// vigil::tsdb — the embedded, compressed, crash-safe metrics store.
//
// Data flow: Append() logs samples to the WAL (group commit, fsync) and adds them to the
// in-memory head (Gorilla-compressed chunks in a lock-striped series map). The head is cut
// into immutable on-disk blocks (docs/format/block.md) by a background thread; blocks are
// compacted and expired whole by retention. Queries read head and blocks alike.
//
// Thread-safety: a Db is safe for concurrent use by any number of threads.

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/logging.h"
#include "common/metrics.h"
#include "common/status.h"
#include "storage/cipher.h"
#include "tsdb/tsdb_types.h"

namespace vigil::tsdb {

// A rollup tier: per-period SampleCount/Sum/Minimum/Maximum and a quantile sketch of every
// series (tsdb/rollup.h), kept longer than raw data.
struct RollupTier {
  int64_t period_ms = 0;
  int64_t retention_ms = 0;
  // Built as soon as a raw block is final (its day is over and merged), so that long-range
  // queries read rollups for recent days too. Otherwise a tier is built from a raw block when
  // retention deletes the block, only if the tier keeps data longer than raw retention: it
  // then replaces the raw data it was built from.
  bool eager = false;
  bool operator==(const RollupTier&) const = default;
};

// CloudWatch's tiers: 1-minute data 15 days, 5-minute 63 days, 1-hour 455 days. With raw data
// kept 15 days the 1-minute tier is never needed (raw covers it); the 1-hour tier is eager.
inline std::vector<RollupTier> DefaultRollupTiers() {
  constexpr int64_t kDay = 24LL * 3600 * 1000;
  return {{60'000, 15 * kDay, false}, {300'000, 63 * kDay, false}, {3'600'000, 455 * kDay, true}};
}

struct Options {
  // Root directory; the store uses <dir>/wal, <dir>/blocks and <dir>/rollups. Created when
  // missing.
  std::string dir;
  // Raw samples older than this are dropped, a whole block at a time. CloudWatch keeps
  // 1-minute data 15 days (and sub-minute data 3 hours: Vigil keeps raw samples as they came).
  int64_t retention_ms = 15LL * 24 * 3600 * 1000;
  // Rollup tiers, ascending by period; each period a multiple of the previous one and each
  // retention at least the previous one's. Empty: no rollups.
  std::vector<RollupTier> rollups = DefaultRollupTiers();
  // Relative accuracy of the rollups' quantile sketches: a percentile read from rollups is
  // within this fraction of the exact one. 2% keeps the 1-hour tier near a tenth of the raw
  // data's size (docs/format/block.md).
  double rollup_sketch_accuracy = 0.02;
  // Samples with timestamps older than now - max_sample_age_ms, or newer than
  // now + max_future_ms, are refused (CloudWatch: two weeks back, two hours ahead).
  int64_t max_sample_age_ms = 14LL * 24 * 3600 * 1000;
  int64_t max_future_ms = 2LL * 3600 * 1000;
  // The head is cut into a block when its samples span more than block_range_ms, or when the
  // memory of its compressed chunks reaches head_chunk_bytes or 256 bytes per series (so that
  // a large fleet still gets a hundred-odd samples per series in a block), whichever is
  // larger. While a cut head is written out, the next one may grow to the same size, and then
  // appends wait: sample memory stays under twice that however fast samples arrive. 16 MiB
  // hold about an hour of 10,000 series at a 10 s interval.
  int64_t block_range_ms = 2LL * 3600 * 1000;
  size_t head_chunk_bytes = 16 << 20;
  // WAL segment size before a new segment is started.
  size_t wal_segment_bytes = 64 << 20;
  // Run the background flush/compaction/retention thread. Tests may turn it off and call
  // Flush()/Compact()/ApplyRetention() themselves.
  bool background = true;

  const Clock* clock = nullptr;  // required; must outlive the Db
  Logger* logger = nullptr;      // required; must outlive the Db
  Registry* metrics = nullptr;   // optional; self-metrics are registered here

  // Encryption at rest (docs/format/wal.md, block.md). `cipher` opens encrypted WAL segments
  // and blocks (null: an encrypted file found is FailedPrecondition at Open); with `encrypt`,
  // everything the store writes from now on (WAL segments, head blocks, compacted and rollup
  // blocks) is encrypted with it. Files written before keep their form: a store can be
  // switched either way and reads both. Must outlive the Db.
  storage::Cipher* cipher = nullptr;
  bool encrypt = false;
};

class Db {
 public:
  // Opens (creating when missing) the store at options.dir and replays its WAL. A torn or
  // corrupt WAL tail is cut, with a log line naming file and offset; it never fails Open.
  // Fails on an unusable directory (Unavailable) or a corrupt block index (DataLoss, naming
  // the file and offset).
  static StatusOr<std::unique_ptr<Db>> Open(const Options& options);

  // Flushes nothing (the WAL already holds everything acknowledged) and stops background
  // work. Use Close() to also cut the head into a block.
  virtual ~Db() = default;

  // Appends the samples and returns once they are durable (WAL fsync, shared by concurrent
  // callers). All-or-nothing: InvalidArgument (nothing stored) when any key is not canonical,
  // a value is NaN/Inf, a count is not > 0, or a timestamp is outside the accepted window.
  // Unavailable when the WAL cannot be written; after a failed sync every later Append also
  // fails until the Db is reopened.
  Status Append(std::span<const SeriesSamples> batch);
  // The same, for borrowed samples: nothing is allocated per series.
  virtual Status AppendViews(std::span<const SeriesSamplesView> batch) = 0;

  // Per-period statistics of one series over [start, end). Periods without samples are
  // omitted. NotFound is never returned: an unknown series has no datapoints.
  // A query starting within raw retention reads raw data (percentiles exact). An older start
  // is answered from the coarsest rollup tier whose period divides the query's period, with
  // raw data wherever that tier has no rollups yet (percentiles within the sketch accuracy; a
  // rollup point counts whole when its period starts before `end`). As CloudWatch does, the
  // period must then be a multiple of the finest tier that still holds the start
  // (InvalidArgument otherwise: 300 s past 15 days, 3600 s past 63 days by default).
  virtual StatusOr<std::vector<Datapoint>> GetStatistics(const StatisticsQuery& query) const = 0;

  // Series matching the query, in canonical key order, at most query.limit of them.
  virtual StatusOr<ListResult> ListSeries(const ListQuery& query) const = 0;

  // Cuts the whole head into a block (synchronously). No-op when the head is empty.
  virtual Status Flush() = 0;
  virtual Status Compact() = 0;
  // Merges small or overlapping blocks and builds the eager rollup tiers of final blocks.
  // Runs in the background too.
  // Deletes raw blocks whose newest sample is older than now - retention (first building the
  // rollup tiers that keep their data longer), and rollup blocks past their tier's retention;
  // merges rollup blocks of expired raw data into blocks of a month each.
  virtual Status ApplyRetention() = 0;
  // Flush() and stop background work. Appends after Close() fail with FailedPrecondition.
  virtual Status Close() = 0;

  struct Stats {
    uint64_t series = 0;          // known series (head + blocks)
    uint64_t head_series = 0;     // series with samples in the head
    uint64_t head_samples = 0;
    uint64_t head_bytes = 0;      // memory of the head (and of a cut head not yet written)
    uint64_t blocks = 0;
    uint64_t block_bytes = 0;     // bytes of every block on disk
    uint64_t block_samples = 0;   // samples stored in blocks
    uint64_t rollup_blocks = 0;   // blocks of every rollup tier
    uint64_t rollup_bytes = 0;    // bytes of those on disk
    uint64_t wal_bytes = 0;
  };
  virtual Stats GetStats() const = 0;
};

// InvalidArgument unless options.rollups ascend by period (each a multiple of the previous
// one) and their retentions do not decrease, and rollup_sketch_accuracy is within (0, 0.5).
Status ValidateRollupTiers(const Options& options);

// Builds a canonical key: sorts dimensions by name. InvalidArgument when ns or metric is
// empty, a dimension name is empty, two dimensions share a name, or a part holds a NUL byte
// (or a dimension name a \x01 byte), which would make CanonicalKeyString ambiguous.
StatusOr<SeriesKey> MakeSeriesKey(std::string ns, std::string metric,
                                  std::vector<Dimension> dimensions);

// The canonical text form of a key, used for ordering and continuation tokens:
// ns \x00 metric \x00 (name \x01 value \x00)*. Injective for keys without NUL bytes.
std::string CanonicalKeyString(const SeriesKey& key);

// Inline, so protocol code that only calls the interface does not link the engine.
inline Status Db::Append(std::span<const SeriesSamples> batch) {
  size_t num_dims = 0;
  for (const SeriesSamples& s : batch) num_dims += s.key.dimensions.size();
  std::vector<DimensionView> dims;
  dims.reserve(num_dims);
  std::vector<SeriesSamplesView> views;
  views.reserve(batch.size());
  for (const SeriesSamples& s : batch) {
    const size_t first = dims.size();
    for (const Dimension& d : s.key.dimensions) dims.push_back({d.name, d.value});
    views.push_back({{s.key.ns, s.key.metric, std::span(dims).subspan(first)}, s.unit, s.raw,
                     s.stats});
  }
  return AppendViews(views);
}

}  // namespace vigil::tsdb
