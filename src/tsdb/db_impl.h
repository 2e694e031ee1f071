#pragma once
// DbImpl: the Db behind tsdb.h. Private to tsdb; tests include it for the ...ForTest hooks.
//
// Lifecycle of data: Append -> WAL record (wal_records.h) -> head. A cut rotates the WAL to a
// new segment N and swaps in an empty head; the old head is "frozen" (read-only, still served
// to queries) until it is written as a level-0 block whose id records N ("<seq>-w<N>", see
// block_ids.h); then WAL segments < N are deleted. On Open, segments below the largest N of
// any block (or of the checkpoint file) are skipped, so a crash between writing a block and
// deleting its segments never counts a sample twice.
//
// Two background threads: the flusher cuts the head and writes it out; the compactor merges
// blocks and applies retention. They run at the same time, so a long merge never holds up a
// cut: the head stays within its memory bound however long compaction takes.
//
// Rollup tiers (db_rollup.cc) live in <dir>/rollups/<period>/. A rollup block built from one
// raw block carries that block's id (and so its seq), which makes building idempotent and lets
// a query use either the raw block or its rollup, never both: a tier's query skips the raw
// blocks it has rollups of. When compaction merges a raw block away, its rollups go with it in
// the same step (Open does the same for a merge a crash interrupted: the output names its
// inputs as parents); when retention deletes a raw block, its rollups stay and stand alone.
// Rollup blocks of expired raw data are merged by month (new ids, inputs as parents).
//
// Locking, in acquisition order (never the reverse):
//   cut_mu_         serializes cuts and head block writes;
//   compact_mu_     serializes compaction and retention (never held together with cut_mu_);
//   recount_mu_     serializes series recounts after a block set change;
//   gate_           appends hold it shared from series lookup through the WAL write to the head
//                   insert; a cut holds it exclusively while it rotates the WAL and swaps heads,
//                   so every record lands in the WAL generation of the head it fills;
//   state_mu_       guards what readers snapshot: head_, frozen_, blocks_;
//   head stripes    guard their series (head.h).
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "storage/wal.h"
#include "tsdb/block/block.h"
#include "tsdb/head.h"
#include "tsdb/tsdb.h"
#include "tsdb/unit_table.h"

namespace vigil::tsdb {

// A shared/exclusive lock that lets a waiting writer in ahead of new readers: a cut must not
// starve behind a continuous stream of appends (glibc's rwlock prefers readers).
class AppendGate {
 public:
  void lock_shared() {
    std::unique_lock l(mu_);
    cv_.wait(l, [&] { return !writer_ && writers_waiting_ == 0; });
    ++readers_;
  }
  void unlock_shared() {
    std::lock_guard l(mu_);
    if (--readers_ == 0) cv_.notify_all();
  }
  void lock() {
    std::unique_lock l(mu_);
    ++writers_waiting_;
    cv_.wait(l, [&] { return !writer_ && readers_ == 0; });
    --writers_waiting_;
    writer_ = true;
  }
  void unlock() {
    std::lock_guard l(mu_);
    writer_ = false;
    cv_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int readers_ = 0;          // guarded by mu_
  int writers_waiting_ = 0;  // guarded by mu_
  bool writer_ = false;      // guarded by mu_
};

// An open block and what the Db derives from it once.
struct BlockEntry {
  std::shared_ptr<const block::BlockReader> reader;
  uint64_t seq = 0;                  // creation sequence from the id
  uint64_t wal_marker = 0;           // WAL segments below this are in blocks
  std::vector<uint64_t> key_hashes;  // HashCanonicalKey of every series, sorted
  // A rollup block built from one raw block: its id (and seq) is that block's.
  bool from_source = false;
};

using BlockList = std::vector<std::shared_ptr<const BlockEntry>>;

// The directory name of a tier under <dir>/rollups: its period, e.g. "300s".
std::string TierDirName(int64_t period_ms);
// Orders blocks by min time, then creation.
bool ByMinTime(const std::shared_ptr<const BlockEntry>& a,
               const std::shared_ptr<const BlockEntry>& b);

class DbImpl final : public Db {
 public:
  static StatusOr<std::unique_ptr<DbImpl>> OpenImpl(const Options& options);
  ~DbImpl() override;

  Status AppendViews(std::span<const SeriesSamplesView> batch) override;
  StatusOr<std::vector<Datapoint>> GetStatistics(const StatisticsQuery& query) const override;
  StatusOr<ListResult> ListSeries(const ListQuery& query) const override;
  Status Flush() override;
  Status Compact() override;
  Status ApplyRetention() override;
  Status Close() override;
  Stats GetStats() const override;

  // Test hooks: the next cut or compaction stops at `point` and returns OK as if the process
  // had died there. The Db must then only be destroyed (and reopened), not used further.
  enum class CrashPoint {
    kNone,
    kAfterCut,         // WAL rotated and heads swapped; no block written
    kAfterBlockWrite,  // block durable; WAL segments not deleted, block not yet served
    kAfterMerge,       // compaction output durable; inputs not deleted
    kAfterRollupWrite,  // a rollup block durable; not yet served (nor its source deleted)
    kAfterRollupMerge,  // merged rollup block durable; inputs not deleted
  };
  void SetCrashPointForTest(CrashPoint point);
  bool CrashedForTest() const { return crashed_; }
  // Rotates the WAL and freezes the head without writing it (kAfterCut without the crash).
  Status CutForTest();
  // Memory of the current head's series and chunks (estimate; see Head::Memory).
  Head::MemoryUse HeadMemoryForTest() const;
  std::vector<std::string> BlockIdsForTest() const;
  // [min, max] sample time of every raw block.
  std::vector<std::pair<int64_t, int64_t>> BlockRangesForTest() const;
  // Ids of the rollup blocks of tier `tier` (index into Options::rollups).
  std::vector<std::string> RollupIdsForTest(size_t tier) const;

 private:
  struct Snapshot {
    BlockList blocks;
    BlockList rollups;  // of the tier asked for, if any
    std::shared_ptr<const Head> frozen;
    std::shared_ptr<const Head> head;
  };
  struct Tier {
    RollupTier config;
    std::string dir;
    BlockList blocks;  // guarded by state_mu_; by min time
  };
  struct MetricHandles;

  explicit DbImpl(const Options& options);
  Status Recover();
  Status RecoverBlocks(uint64_t* wal_start, std::set<std::string>* merged_ids);
  // Opens every block under `dir` (deleting unfinished writes), then deletes what a crash left
  // superseded: outputs of a split that did not publish them all, blocks a finished merge
  // names as parents (added to *parents), and blocks whose id is in `superseded`. By min time.
  StatusOr<BlockList> RecoverDir(const std::string& dir, const std::set<std::string>& superseded,
                                 std::set<std::string>* parents);
  Status ReplayWal(uint64_t wal_start);
  StatusOr<std::shared_ptr<BlockEntry>> OpenBlock(const std::string& id) const {
    return OpenBlockIn(blocks_dir_, id);
  }
  StatusOr<std::shared_ptr<BlockEntry>> OpenBlockIn(const std::string& dir,
                                                    const std::string& id) const;
  void RegisterMetrics();
  void UpdateGauges() const;
  void NoteAppendMetrics(uint64_t samples, double seconds);

  // Append helpers (db_append.cc).
  Status WaitForHeadRoom();
  bool CutWanted(const Head& head, int64_t now_ms) const;
  bool HeadFull(const Head& head) const;
  void NoteNewSeries(std::string_view canonical, size_t hash);

  // Cut helpers (db_cut.cc). REQUIRES: cut_mu_ held (CompactLocked: compact_mu_).
  Status CutLocked(bool write_block);
  Status WriteFrozenLocked();
  Status CompactLocked();
  void StartBackground();
  void StopBackground();
  void FlushLoop();
  void CompactLoop();

  // Replaces `remove` by `add` (may be null) in the served block set, dropping the frozen head
  // in the same step when `clear_frozen`, and refreshes the series count. When `merged`, the
  // rollups of the removed blocks leave the tiers in the same step; they are returned (for
  // their directories to be deleted).
  BlockList InstallBlocks(const BlockList& remove, const BlockList& add, bool clear_frozen,
                          bool merged = false);
  void RecountSeriesLocked();
  std::string NewBlockId(uint64_t wal_marker);
  Status WriteCheckpoint(uint64_t wal_marker);

  // Rollup helpers (db_rollup.cc).
  Status RecoverTiers(const std::set<std::string>& merged_raw_ids);
  // The tier a statistics query reads (-1: raw only), or InvalidArgument when its period does
  // not suit the resolution its start is kept at.
  StatusOr<int> SelectTier(const StatisticsQuery& query) const;
  // REQUIRES: compact_mu_ held.
  Status BuildEagerRollupsLocked(const BlockList& final_blocks);
  Status BuildRollupLocked(size_t tier, const BlockEntry& source);
  bool HasRollupOf(size_t tier, uint64_t seq) const;
  Status ExpireRawLocked(int64_t now_ms);
  Status RollupRetentionLocked(int64_t now_ms);
  Status CompactRollupsLocked(int64_t now_ms);

  Snapshot TakeSnapshot(int tier = -1) const;

  // The cipher new files are written with: null unless options_.encrypt.
  storage::Cipher* WriteCipher() const { return options_.encrypt ? options_.cipher : nullptr; }
  static constexpr std::string_view kWalCipherContext = "tsdb-wal";

  const Options options_;
  const std::string wal_dir_;
  const std::string blocks_dir_;
  std::vector<Tier> tiers_;  // configs and dirs fixed at construction
  UnitTable units_;
  std::atomic<uint64_t> next_series_id_{1};
  std::atomic<uint64_t> next_block_seq_{1};
  std::unique_ptr<storage::WalWriter> wal_;  // set once in OpenImpl
  std::unique_ptr<MetricHandles> metrics_;   // null without options.metrics

  std::mutex cut_mu_;
  std::mutex compact_mu_;
  std::mutex recount_mu_;
  std::atomic<CrashPoint> crash_point_{CrashPoint::kNone};
  std::atomic<bool> crashed_{false};
  uint64_t checkpoint_ = 0;  // guarded by compact_mu_

  AppendGate gate_;
  bool closed_ = false;  // written with gate_ held exclusively, read with it shared

  mutable std::mutex state_mu_;
  std::condition_variable room_cv_;  // frozen_ cleared, or its write failed
  std::shared_ptr<Head> head_;       // guarded by state_mu_ (and swapped only under gate_)
  std::shared_ptr<Head> frozen_;     // guarded by state_mu_
  uint64_t frozen_wal_seq_ = 0;  // guarded by state_mu_: WAL segment the frozen head ends before
  Status frozen_error_;          // guarded by state_mu_: last failed write of frozen_
  std::vector<std::shared_ptr<const BlockEntry>> blocks_;  // guarded by state_mu_; by min time
  // Distinct key hashes over all blocks, sorted; replaced whole under state_mu_.
  std::shared_ptr<const std::vector<uint64_t>> block_key_hashes_;
  // Series of head_ and frozen_ whose key is in no block (Stats::series - block keys). Exact
  // after each recount; series created during a recount may be counted twice until the next.
  std::atomic<int64_t> unblocked_series_{0};

  std::thread flush_thread_;
  std::thread compact_thread_;
  std::mutex bg_mu_;
  std::condition_variable bg_cv_;
  bool bg_stop_ = false;       // guarded by bg_mu_
  bool bg_wake_ = false;       // guarded by bg_mu_: the flusher should check for a cut
  bool compact_wake_ = false;  // guarded by bg_mu_: a block was written
  // Set by StopBackground: compaction stops between merges, so shutdown waits for one merge
  // at most (what it leaves is merged after the next start).
  std::atomic<bool> stopping_{false};
};

}  // namespace vigil::tsdb
