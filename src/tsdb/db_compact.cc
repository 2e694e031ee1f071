// Compaction (merging blocks into day blocks) and retention.
#include <algorithm>
#include <map>

#include "storage/file_util.h"
#include "tsdb/db_impl.h"
#include "tsdb/query.h"

namespace vigil::tsdb {
namespace {

constexpr char kComponent[] = "tsdb";
constexpr int64_t kCompactionRangeMs = 24LL * 3600 * 1000;

using Entries = std::vector<std::shared_ptr<const BlockEntry>>;

// Blocks of the open day are merged in tiers, as an LSM tree's: kTierFanIn blocks of one level
// become one block of the next. Each sample is rewritten about log8(blocks a day) times before
// the day's final merge, and a day that the head cuts into many small blocks (a fast backfill,
// a large fleet) never has more than kTierFanIn - 1 blocks per level to open, keep an index of,
// and read for a query. A fan-in of 4 spent a third more CPU on a day's backfill for no
// measurable query gain.
constexpr size_t kTierFanIn = 8;

// Blocks grouped by the UTC day holding their newest sample. A day is over once some block
// reaches past its end (the head has moved on).
struct Days {
  std::map<int64_t, Entries> groups;
  int64_t newest = std::numeric_limits<int64_t>::min();
  bool Over(int64_t day) const { return day + kCompactionRangeMs <= newest; }
};

Days GroupByDay(const Entries& blocks) {
  Days days;
  for (const auto& b : blocks) {
    const int64_t t = b->reader->meta().max_time_ms;
    days.newest = std::max(days.newest, t);
    days.groups[AlignDown(t, kCompactionRangeMs)].push_back(b);
  }
  return days;
}

// The next group of blocks to merge, or empty. Blocks are grouped by the UTC day that holds
// their newest sample. A day is complete once some block reaches past its end, i.e. the head
// has moved on: then all of its blocks are merged into one. Blocks of one day overlap a little
// anyway (a cut does not split series at one instant) and late samples widen a block
// backwards, so grouping by day also merges the overlapping blocks; the newest sample is used
// because it is bounded by now + max_future, whereas late samples may reach weeks back.
// Within the open day, the oldest kTierFanIn blocks of any level are merged (lowest level
// first).
Entries PlanCompaction(const Entries& blocks) {
  // A block reaching across a day boundary (a head cut around midnight, a backfill) is split
  // into its days first: retention, finality and rollups all go by day.
  for (const auto& b : blocks) {
    const block::BlockMeta& m = b->reader->meta();
    if (AlignDown(m.min_time_ms, kCompactionRangeMs) != AlignDown(m.max_time_ms, kCompactionRangeMs)) {
      return {b};
    }
  }
  Days days = GroupByDay(blocks);
  for (auto& [day, group] : days.groups) {
    if (days.Over(day)) {
      if (group.size() >= 2) return group;
      continue;
    }
    std::map<int, Entries> levels;
    for (const auto& b : group) levels[b->reader->meta().level].push_back(b);
    for (auto& [level, tier] : levels) {
      if (tier.size() < kTierFanIn) continue;
      std::sort(tier.begin(), tier.end(), [](const auto& a, const auto& b) { return a->seq < b->seq; });
      tier.resize(kTierFanIn);
      return tier;
    }
  }
  return {};
}

// Blocks that compaction will not touch again unless late samples for their day arrive: the
// only block of a day that is over.
Entries FinalBlocks(const Entries& blocks) {
  const Days days = GroupByDay(blocks);
  Entries out;
  for (const auto& [day, group] : days.groups) {
    if (days.Over(day) && group.size() == 1) out.push_back(group[0]);
  }
  return out;
}

}  // namespace

Status DbImpl::Compact() {
  std::lock_guard m(compact_mu_);
  if (crashed_) return OkStatus();
  Status s = CompactLocked();
  UpdateGauges();
  return s;
}

Status DbImpl::CompactLocked() {
  while (!stopping_) {
    Entries blocks;
    {
      std::lock_guard l(state_mu_);
      blocks = blocks_;
    }
    const Entries group = PlanCompaction(blocks);
    if (group.empty()) return BuildEagerRollupsLocked(FinalBlocks(blocks));
    std::vector<const block::BlockReader*> inputs;
    uint64_t marker = 0;
    for (const auto& b : group) {
      inputs.push_back(b->reader.get());
      marker = std::max(marker, b->wal_marker);
    }
    // One output per day. Each keeps the largest WAL marker of its inputs, so Open still skips
    // the segments they made obsolete; its meta names the inputs as parents, so Open deletes
    // inputs that a crash left behind (and the other outputs as siblings, so Open deletes the
    // outputs of a split that a crash cut short instead).
    std::vector<block::BlockMeta> metas;
    RETURN_IF_ERROR(block::MergeBlocksByRange(
        blocks_dir_, [&] { return NewBlockId(marker); }, inputs, kCompactionRangeMs, &metas,
        WriteCipher()));
    if (crash_point_ == CrashPoint::kAfterMerge) {
      crashed_ = true;
      return OkStatus();
    }
    Entries outputs;
    uint64_t num_samples = 0;
    for (const block::BlockMeta& meta : metas) {
      ASSIGN_OR_RETURN(std::shared_ptr<BlockEntry> entry, OpenBlock(meta.id));
      outputs.push_back(std::move(entry));
      num_samples += meta.num_samples;
    }
    // The inputs' rollups leave with them: the outputs get their own once final.
    const Entries dropped = InstallBlocks(group, outputs, /*clear_frozen=*/false, /*merged=*/true);
    for (const auto& b : group) {
      // Queries still holding the reader keep its open files; only the names go.
      Status rm = storage::RemoveAll(b->reader->dir());
      if (!rm.ok()) options_.logger->Error(kComponent, "removing merged block: " + rm.ToString());
    }
    for (const auto& r : dropped) {
      Status rm = storage::RemoveAll(r->reader->dir());
      if (!rm.ok()) options_.logger->Error(kComponent, "removing stale rollup: " + rm.ToString());
    }
    options_.logger->Info(kComponent, "compacted " + std::to_string(group.size()) +
                                          " blocks into " + std::to_string(metas.size()) + " (" +
                                          std::to_string(num_samples) + " samples)");
  }
  return OkStatus();
}

Status DbImpl::ApplyRetention() {
  std::lock_guard m(compact_mu_);
  if (crashed_) return OkStatus();
  const int64_t now = options_.clock->NowMillis();
  Status s = ExpireRawLocked(now);
  if (s.ok() && !crashed_) s = RollupRetentionLocked(now);
  if (s.ok() && !crashed_) s = CompactRollupsLocked(now);
  UpdateGauges();
  return s;
}

Status DbImpl::ExpireRawLocked(int64_t now_ms) {
  const int64_t cutoff = now_ms - options_.retention_ms;
  Entries blocks, expired;
  {
    std::lock_guard l(state_mu_);
    blocks = blocks_;
  }
  uint64_t marker = 0;
  for (const auto& b : blocks) {
    marker = std::max(marker, b->wal_marker);
    if (b->reader->meta().max_time_ms < cutoff) expired.push_back(b);
  }
  if (expired.empty()) return OkStatus();
  // The tiers that keep data longer than raw retention get it before it goes (durably: a
  // crash after this leaves the raw block to expire again, its rollups already in place).
  for (const auto& b : expired) {
    for (size_t t = 0; t < tiers_.size(); ++t) {
      const RollupTier& tier = tiers_[t].config;
      if (tier.retention_ms <= options_.retention_ms) continue;
      if (b->reader->meta().max_time_ms < now_ms - tier.retention_ms) continue;
      if (HasRollupOf(t, b->seq)) continue;
      RETURN_IF_ERROR(BuildRollupLocked(t, *b));
      if (crashed_) return OkStatus();
    }
  }
  // The block ids carry the WAL marker; keep it in the checkpoint file before the blocks that
  // hold it may all be gone.
  if (marker > checkpoint_) RETURN_IF_ERROR(WriteCheckpoint(marker));
  InstallBlocks(expired, {}, /*clear_frozen=*/false);
  for (const auto& b : expired) {
    Status rm = storage::RemoveAll(b->reader->dir());
    if (!rm.ok()) options_.logger->Error(kComponent, "removing expired block: " + rm.ToString());
  }
  options_.logger->Info(kComponent,
                        "retention removed " + std::to_string(expired.size()) + " blocks");
  return OkStatus();
}

}  // namespace vigil::tsdb
