// Rollup tiers: building them from raw blocks, their retention and merging, recovery, and the
// choice of tier for a query. The lifecycle is described in db_impl.h.
#include <algorithm>
#include <chrono>
#include <map>

#include "storage/file_util.h"
#include "tsdb/block_ids.h"
#include "tsdb/db_impl.h"
#include "tsdb/rollup.h"

namespace vigil::tsdb {
namespace {

constexpr char kComponent[] = "tsdb";
// Rollup blocks of expired raw data are merged by the month (30 days) holding their newest
// point: 455 days of an hourly tier stay within about sixteen blocks to open and index. A month
// still receiving rollups (its raw days expire one a day) is merged once kRollupFanIn blocks
// gather, as an LSM tree's tier, rather than rewritten whole every day.
constexpr int64_t kRollupMergeRangeMs = 30LL * 24 * 3600 * 1000;
constexpr size_t kRollupFanIn = 8;

// "15 days", "3 hours", "90 seconds": for error messages about retention.
std::string FormatSpan(int64_t ms) {
  constexpr int64_t kHour = 3600 * 1000, kDay = 24 * kHour;
  auto plural = [](int64_t n, const char* unit) {
    return std::to_string(n) + " " + unit + (n == 1 ? "" : "s");
  };
  if (ms % kDay == 0) return plural(ms / kDay, "day");
  if (ms % kHour == 0) return plural(ms / kHour, "hour");
  return plural(ms / 1000, "second");
}

}  // namespace

std::string TierDirName(int64_t period_ms) {
  return period_ms % 1000 == 0 ? std::to_string(period_ms / 1000) + "s"
                               : std::to_string(period_ms) + "ms";
}

Status ValidateRollupTiers(const Options& options) {
  if (!(options.rollup_sketch_accuracy > 0 && options.rollup_sketch_accuracy < 0.5)) {
    return InvalidArgumentError("tsdb: rollup sketch accuracy must be within (0, 0.5)");
  }
  const RollupTier* prev = nullptr;
  for (const RollupTier& t : options.rollups) {
    if (t.period_ms <= 0 || t.retention_ms <= 0) {
      return InvalidArgumentError("tsdb: a rollup tier needs a period and a retention > 0");
    }
    if (prev != nullptr && (t.period_ms <= prev->period_ms || t.period_ms % prev->period_ms != 0)) {
      return InvalidArgumentError(
          "tsdb: rollup tiers must ascend by period, each a multiple of the previous one (" +
          TierDirName(t.period_ms) + " after " + TierDirName(prev->period_ms) + ")");
    }
    if (prev != nullptr && t.retention_ms < prev->retention_ms) {
      return InvalidArgumentError("tsdb: a coarser rollup tier must not be kept shorter (" +
                                  TierDirName(t.period_ms) + ")");
    }
    prev = &t;
  }
  return OkStatus();
}

Status DbImpl::RecoverTiers(const std::set<std::string>& merged_raw_ids) {
  for (Tier& tier : tiers_) {
    RETURN_IF_ERROR(storage::CreateDirs(tier.dir));
    // Besides what RecoverDir drops, the rollups of raw blocks that a compaction merged away (a
    // rollup built from one raw block has its id; merged rollups get ids of their own).
    std::set<std::string> parents;
    ASSIGN_OR_RETURN(BlockList kept, RecoverDir(tier.dir, merged_raw_ids, &parents));
    std::lock_guard l(state_mu_);
    tier.blocks = std::move(kept);
  }
  return OkStatus();
}

StatusOr<int> DbImpl::SelectTier(const StatisticsQuery& query) const {
  const int64_t now = options_.clock->NowMillis();
  if (tiers_.empty() || query.start_ms >= now - options_.retention_ms) return -1;
  // The finest tier still holding the start (the coarsest one when none does: beyond every
  // retention nothing is left, and the coarsest tier's rules apply).
  size_t finest = tiers_.size() - 1;
  for (size_t t = 0; t < tiers_.size(); ++t) {
    if (query.start_ms >= now - tiers_[t].config.retention_ms) {
      finest = t;
      break;
    }
  }
  const int64_t resolution = tiers_[finest].config.period_ms;
  if (query.period_ms % resolution != 0) {
    const int64_t kept_raw = finest == 0 ? options_.retention_ms
                                         : std::max(options_.retention_ms,
                                                    tiers_[finest - 1].config.retention_ms);
    return InvalidArgumentError(
        "the start time is more than " + FormatSpan(kept_raw) +
        " ago, and data that old is kept at a resolution of " + std::to_string(resolution / 1000) +
        " seconds: the period must be a multiple of " + std::to_string(resolution / 1000) +
        " seconds");
  }
  // Coarser tiers give the same answer (rolling up is exact) from fewer points.
  size_t chosen = finest;
  for (size_t t = finest + 1; t < tiers_.size(); ++t) {
    if (query.period_ms % tiers_[t].config.period_ms == 0) chosen = t;
  }
  return static_cast<int>(chosen);
}

bool DbImpl::HasRollupOf(size_t tier, uint64_t seq) const {
  std::lock_guard l(state_mu_);
  const BlockList& blocks = tiers_[tier].blocks;
  return std::any_of(blocks.begin(), blocks.end(),
                     [&](const auto& r) { return r->from_source && r->seq == seq; });
}

Status DbImpl::BuildEagerRollupsLocked(const BlockList& final_blocks) {
  for (size_t t = 0; t < tiers_.size(); ++t) {
    if (!tiers_[t].config.eager) continue;
    for (const auto& b : final_blocks) {
      if (stopping_ || crashed_) return OkStatus();
      if (HasRollupOf(t, b->seq)) continue;
      RETURN_IF_ERROR(BuildRollupLocked(t, *b));
    }
  }
  return OkStatus();
}

Status DbImpl::BuildRollupLocked(size_t t, const BlockEntry& source) {
  Tier& tier = tiers_[t];
  const std::string& id = source.reader->meta().id;
  const auto started = std::chrono::steady_clock::now();
  block::BlockMeta meta;
  RETURN_IF_ERROR(WriteRollupBlock(*source.reader, tier.config.period_ms,
                                   options_.rollup_sketch_accuracy, tier.dir, id, &meta,
                                   WriteCipher())
                      .WithContext("rolling up block " + id));
  if (crash_point_ == CrashPoint::kAfterRollupWrite) {
    crashed_ = true;
    return OkStatus();
  }
  StatusOr<std::shared_ptr<BlockEntry>> entry = OpenBlockIn(tier.dir, id);
  if (!entry.ok()) {
    Status rm = storage::RemoveAll(tier.dir + "/" + id);
    if (!rm.ok()) options_.logger->Error(kComponent, "removing bad rollup: " + rm.ToString());
    return entry.status();
  }
  {
    std::lock_guard l(state_mu_);
    tier.blocks.push_back(std::move(entry).value());
    std::sort(tier.blocks.begin(), tier.blocks.end(), ByMinTime);
  }
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  options_.logger->Info(kComponent, "rolled block " + id + " up to " +
                                        TierDirName(tier.config.period_ms) + ": " +
                                        std::to_string(meta.num_samples) + " points in " +
                                        std::to_string(secs) + " s");
  return OkStatus();
}

Status DbImpl::RollupRetentionLocked(int64_t now_ms) {
  for (Tier& tier : tiers_) {
    BlockList expired;
    {
      std::lock_guard l(state_mu_);
      std::erase_if(tier.blocks, [&](const std::shared_ptr<const BlockEntry>& r) {
        const bool old = r->reader->meta().max_time_ms < now_ms - tier.config.retention_ms;
        if (old) expired.push_back(r);
        return old;
      });
    }
    for (const auto& r : expired) {
      Status rm = storage::RemoveAll(r->reader->dir());
      if (!rm.ok()) options_.logger->Error(kComponent, "removing expired rollup: " + rm.ToString());
    }
    if (!expired.empty()) {
      options_.logger->Info(kComponent, "retention removed " + std::to_string(expired.size()) +
                                            " rollup blocks of " +
                                            TierDirName(tier.config.period_ms));
    }
  }
  return OkStatus();
}

Status DbImpl::CompactRollupsLocked(int64_t now_ms) {
  for (Tier& tier : tiers_) {
    for (;;) {
      if (stopping_ || crashed_) return OkStatus();
      BlockList rollups, raw;
      {
        std::lock_guard l(state_mu_);
        rollups = tier.blocks;
        raw = blocks_;
      }
      // Only rollups standing alone: one whose raw block is still served may yet be dropped
      // with it by a merge.
      // By month, and by sketch accuracy (which a configuration change may have made differ).
      std::map<std::pair<int64_t, double>, BlockList> months;
      for (const auto& r : rollups) {
        const bool live = r->from_source && std::any_of(raw.begin(), raw.end(), [&](const auto& b) {
                            return b->seq == r->seq;
                          });
        if (live) continue;
        const block::BlockMeta& m = r->reader->meta();
        months[{AlignDown(m.max_time_ms, kRollupMergeRangeMs), m.sketch_accuracy}].push_back(r);
      }
      BlockList group;
      for (auto& [month, blocks] : months) {
        // Over once every raw block that may still expire into it has: no more will come.
        const bool over = month.first + kRollupMergeRangeMs <= now_ms - options_.retention_ms;
        if (blocks.size() >= kRollupFanIn || (over && blocks.size() >= 2)) {
          group = std::move(blocks);
          break;
        }
      }
      if (group.empty()) break;
      std::vector<const block::BlockReader*> inputs;
      for (const auto& r : group) inputs.push_back(r->reader.get());
      const std::string id = FormatBlockId(next_block_seq_.fetch_add(1), 0);
      block::BlockMeta meta;
      RETURN_IF_ERROR(block::MergeBlocks(tier.dir, id, inputs, &meta, WriteCipher()));
      if (crash_point_ == CrashPoint::kAfterRollupMerge) {
        crashed_ = true;
        return OkStatus();
      }
      ASSIGN_OR_RETURN(std::shared_ptr<BlockEntry> entry, OpenBlockIn(tier.dir, id));
      {
        std::lock_guard l(state_mu_);
        std::erase_if(tier.blocks, [&](const std::shared_ptr<const BlockEntry>& r) {
          return std::find(group.begin(), group.end(), r) != group.end();
        });
        tier.blocks.push_back(std::move(entry));
        std::sort(tier.blocks.begin(), tier.blocks.end(), ByMinTime);
      }
      for (const auto& r : group) {
        Status rm = storage::RemoveAll(r->reader->dir());
        if (!rm.ok()) options_.logger->Error(kComponent, "removing merged rollup: " + rm.ToString());
      }
      options_.logger->Info(kComponent, "merged " + std::to_string(group.size()) +
                                            " rollup blocks of " +
                                            TierDirName(tier.config.period_ms) + " into " + id);
    }
  }
  return OkStatus();
}

std::vector<std::string> DbImpl::RollupIdsForTest(size_t tier) const {
  std::lock_guard l(state_mu_);
  std::vector<std::string> ids;
  for (const auto& r : tiers_.at(tier).blocks) ids.push_back(r->reader->meta().id);
  return ids;
}

}  // namespace vigil::tsdb
