#pragma once
// The head: in-memory samples of the newest time range, in a lock-striped series map
// (Prometheus tsdb/head.go stripeSeries). Each series holds Gorilla chunks of its raw samples;
// the rare extras (counts != 1, statistic sets) live in a side structure allocated on first use,
// so the common series costs one object with its key, a chunk vector and its chunk bytes. Chunk bytes come
// from the head's arena (chunk_arena.h) and go back to the system with the head.
//
// Thread-safety: a Head is safe for concurrent use. Every field of a MemSeries except `key`,
// `id` and `stripe` is guarded by its stripe's mutex; series are never removed from a head, so
// MemSeries pointers stay valid for the head's lifetime.
#include <atomic>
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <unordered_set>
#include <utility>
#include <vector>

#include "common/status.h"
#include "tsdb/block/block.h"
#include "tsdb/chunk/xor_chunk.h"
#include "tsdb/tsdb_types.h"
#include "tsdb/unit_table.h"

namespace vigil::tsdb {

// Receives the samples of one series, in batches. A batch interface keeps the virtual call off
// the per-sample path. Samples arrive in storage order, which is not always timestamp order.
class SampleSink {
 public:
  virtual ~SampleSink() = default;
  virtual void OnRaw(std::span<const RawSample> samples) = 0;
  virtual void OnStats(std::span<const StatSample> samples) = 0;
};

// Samples per head chunk before it is sealed, as in Prometheus: ~1-2 bytes a sample for
// regular series, and short enough that a time-bounded query skips most chunks.
inline constexpr uint16_t kHeadChunkSamples = 120;

struct HeadChunk {
  chunk::XorChunk chunk;
  int64_t min_t = std::numeric_limits<int64_t>::max();
  int64_t max_t = std::numeric_limits<int64_t>::min();
};

// Rare per-series data, allocated on first use.
struct SeriesExtra {
  // (raw sample ordinal, count) for every raw sample whose count is not 1, ordinal ascending.
  std::vector<std::pair<uint32_t, double>> counts;
  std::vector<StatSample> stats;  // in append order
};

// A series of the head. Its canonical key is stored right after the object, in the same
// allocation: no string object per series. Series live in their head's series arena, out of
// the malloc heap: created during appends, between the requests' short-lived buffers, they
// would otherwise pin those buffers' space in the heap (RSS) after the requests end.
struct MemSeries {
  // Allocates a series for `key` from `arena`. Destroy it with ~MemSeries; its memory goes
  // with the arena.
  static MemSeries* New(chunk::ChunkArena* arena, std::string_view key, uint64_t id,
                        uint8_t stripe);

  // The canonical key string (series_key.h).
  std::string_view key() const {
    return std::string_view(reinterpret_cast<const char*>(this + 1), key_size);
  }

  const uint64_t id;           // WAL series id, unique within the Db's process lifetime and WAL
  int64_t last_append_ms = 0;  // wall clock of the newest append
  int64_t min_t = std::numeric_limits<int64_t>::max();  // over raw and stat samples
  int64_t max_t = std::numeric_limits<int64_t>::min();
  std::vector<HeadChunk> chunks;  // the last one is open
  std::unique_ptr<SeriesExtra> extra;
  uint32_t num_raw = 0;
  const uint32_t key_size;
  uint16_t unit = UnitTable::kNone;
  const uint8_t stripe;
  // True once a WAL record defining this series with its current unit is durable in the
  // current WAL generation (so later records may reference `id` alone).
  bool wal_defined = false;

 private:
  MemSeries(uint64_t i, uint32_t ks, uint8_t st) : id(i), key_size(ks), stripe(st) {}
};

class Head {
 public:
  static constexpr size_t kStripes = 256;

  // `units` must outlive the head.
  Head(const UnitTable* units, int64_t created_ms);
  ~Head();
  Head(const Head&) = delete;
  Head& operator=(const Head&) = delete;

  // The series with this canonical key, created with id (*next_id)++ when missing
  // (*created tells which). Never null.
  MemSeries* GetOrCreate(std::string_view canonical, size_t hash, std::atomic<uint64_t>* next_id,
                         bool* created);
  // The series, or null.
  const MemSeries* Find(std::string_view canonical, size_t hash) const;

  // Locks the stripe guarding `s`.
  std::unique_lock<std::mutex> Lock(const MemSeries& s) const {
    return std::unique_lock<std::mutex>(stripes_[s.stripe].mu);
  }

  // Adds samples to `s` and sets its unit and last_append_ms; sets wal_defined to
  // `wal_defined` (true after a live append, false on replay: the replayed definition may lie
  // in a WAL generation that a later reopen no longer reads).
  // REQUIRES: the stripe lock of `s` is held; every value is finite and every count > 0.
  void AppendLocked(MemSeries* s, std::span<const RawSample> raw, std::span<const StatSample> stats,
                    uint16_t unit, int64_t append_ms, bool wal_defined);

  // Feeds `sink` the samples of `s` with timestamps in [min_t, max_t).
  // REQUIRES: the stripe lock of `s` is held.
  void ScanLocked(const MemSeries& s, int64_t min_t, int64_t max_t, SampleSink* sink) const;

  // Calls fn for every series, holding that series' stripe lock.
  void ForEachSeries(const std::function<void(const MemSeries&)>& fn) const;

  // Calls fn for every series holding samples, in canonical key order, with all its samples
  // sorted by timestamp (stable: ties keep append order), ready for block::BlockWriter::Add.
  // The SeriesData is reused between calls. Stops at and returns the first error of fn.
  // REQUIRES: no concurrent appends (a frozen head).
  Status ExportSorted(const std::function<Status(const block::SeriesData&)>& fn) const;

  const UnitTable& units() const { return *units_; }
  int64_t created_ms() const { return created_ms_; }
  uint64_t num_series() const { return num_series_.load(std::memory_order_relaxed); }
  uint64_t num_samples() const { return num_samples_.load(std::memory_order_relaxed); }
  // Bytes of the series and chunk arenas and of chunk vectors, kept up to date by every append
  // (the estimate Memory() computes, without walking the series).
  uint64_t memory_bytes() const {
    return memory_bytes_.load(std::memory_order_relaxed) + arena_.MemoryBytes() +
           series_arena_.MemoryBytes();
  }
  // Bytes of the chunk arena alone: the part of the head that grows with samples.
  uint64_t chunk_bytes() const { return arena_.MemoryBytes(); }
  // Smallest and largest sample timestamps (max > min only once a sample is in).
  int64_t min_time() const { return min_t_.load(std::memory_order_relaxed); }
  int64_t max_time() const { return max_t_.load(std::memory_order_relaxed); }
  // Bytes of series objects and chunk memory (the arena's blocks), and of encoded chunk data
  // alone. An estimate: malloc overhead and the stripe maps are not included.
  struct MemoryUse {
    uint64_t series_and_chunks = 0;
    uint64_t chunk_data = 0;
  };
  MemoryUse Memory() const;

 private:
  // Deliberately not noexcept: libstdc++ then caches each node's hash (in what would be
  // padding of the 32-byte allocation anyway), so a lookup compares hashes before touching
  // the series' key, and finding a node's bucket never rehashes its key.
  struct KeyHash {
    using is_transparent = void;
    size_t operator()(std::string_view k) const;
    size_t operator()(const MemSeries* s) const { return (*this)(s->key()); }
  };
  struct KeyEq {
    using is_transparent = void;
    bool operator()(const MemSeries* a, const MemSeries* b) const noexcept { return a == b; }
    bool operator()(std::string_view k, const MemSeries* s) const noexcept { return k == s->key(); }
    bool operator()(const MemSeries* s, std::string_view k) const noexcept { return k == s->key(); }
  };
  // Padded to a cache line so neighbouring stripes' locks do not false-share.
  struct alignas(64) Stripe {
    mutable std::mutex mu;
    std::unordered_set<MemSeries*, KeyHash, KeyEq> series;  // owned; guarded by mu
  };
  static size_t StripeOf(size_t hash) { return (hash >> 8) % kStripes; }
  void WidenTimeRange(int64_t min_t, int64_t max_t);

  const UnitTable* units_;
  const int64_t created_ms_;
  chunk::ChunkArena arena_;         // every chunk buffer of the head
  chunk::ChunkArena series_arena_;  // every MemSeries (with its key) of the head
  std::unique_ptr<Stripe[]> stripes_;
  std::atomic<uint64_t> num_series_{0};
  std::atomic<uint64_t> num_samples_{0};
  std::atomic<uint64_t> memory_bytes_{0};
  std::atomic<int64_t> min_t_{std::numeric_limits<int64_t>::max()};
  std::atomic<int64_t> max_t_{std::numeric_limits<int64_t>::min()};
};

}  // namespace vigil::tsdb
