// Cutting the head into level-0 blocks, the served block set, and the background thread.
#include <algorithm>
#include <chrono>

#include "common/thread_name.h"
#include "storage/file_util.h"
#include "tsdb/block_ids.h"
#include "tsdb/db_impl.h"
#include "tsdb/series_key.h"

namespace vigil::tsdb {
namespace {

constexpr char kComponent[] = "tsdb";
// Background cadence: the flusher checks for a cut on every wake-up and at least this often;
// the compactor runs after each written block and at least every kMaintenanceInterval.
constexpr auto kBackgroundTick = std::chrono::seconds(1);
constexpr auto kMaintenanceInterval = std::chrono::seconds(60);
constexpr auto kWriteRetryInterval = std::chrono::seconds(10);

}  // namespace

bool ByMinTime(const std::shared_ptr<const BlockEntry>& a,
               const std::shared_ptr<const BlockEntry>& b) {
  return std::pair(a->reader->meta().min_time_ms, a->seq) <
         std::pair(b->reader->meta().min_time_ms, b->seq);
}

std::string DbImpl::NewBlockId(uint64_t wal_marker) {
  return FormatBlockId(next_block_seq_.fetch_add(1), wal_marker);
}

Status DbImpl::Flush() {
  std::lock_guard m(cut_mu_);
  if (crashed_) return OkStatus();
  Status s = CutLocked(/*write_block=*/true);
  UpdateGauges();
  return s;
}

Status DbImpl::CutForTest() {
  std::lock_guard m(cut_mu_);
  return CutLocked(/*write_block=*/false);
}

void DbImpl::SetCrashPointForTest(CrashPoint point) { crash_point_ = point; }

Status DbImpl::CutLocked(bool write_block) {
  bool has_frozen;
  {
    std::lock_guard l(state_mu_);
    has_frozen = frozen_ != nullptr;
  }
  if (has_frozen) {
    // One frozen head at a time: finish the previous one (left by a failed write) first.
    if (!write_block) return FailedPreconditionError("tsdb: a frozen head is pending");
    RETURN_IF_ERROR(WriteFrozenLocked());
    if (crashed_) return OkStatus();
  }
  {
    std::lock_guard g(gate_);
    if (head_->num_samples() == 0) return OkStatus();
    // Records appended from now on land in segments >= seq: exactly the new head's data.
    ASSIGN_OR_RETURN(const uint64_t seq, wal_->Rotate());
    auto fresh = std::make_shared<Head>(&units_, options_.clock->NowMillis());
    std::lock_guard l(state_mu_);
    frozen_ = std::move(head_);
    head_ = std::move(fresh);
    frozen_wal_seq_ = seq;
    frozen_error_ = OkStatus();
  }
  if (crash_point_ == CrashPoint::kAfterCut) {
    crashed_ = true;
    return OkStatus();
  }
  if (!write_block) return OkStatus();
  return WriteFrozenLocked();
}

Status DbImpl::WriteFrozenLocked() {
  std::shared_ptr<const Head> frozen;
  uint64_t wal_seq;
  {
    std::lock_guard l(state_mu_);
    frozen = frozen_;
    wal_seq = frozen_wal_seq_;
  }
  if (!frozen) return OkStatus();
  const std::string id = NewBlockId(wal_seq);
  const auto started = std::chrono::steady_clock::now();
  // Streamed series by series: the block writer never needs the whole head decoded at once.
  Status s = [&]() -> Status {
    block::BlockWriter::Options block_options;
    block_options.cipher = WriteCipher();
    ASSIGN_OR_RETURN(std::unique_ptr<block::BlockWriter> writer,
                     block::BlockWriter::Create(blocks_dir_, id, std::move(block_options)));
    RETURN_IF_ERROR(
        frozen->ExportSorted([&](const block::SeriesData& d) { return writer->Add(d); }));
    block::BlockMeta meta;
    return writer->Finish(&meta);
  }();
  std::shared_ptr<BlockEntry> entry;
  if (s.ok()) {
    StatusOr<std::shared_ptr<BlockEntry>> opened = OpenBlock(id);
    if (opened.ok()) {
      entry = std::move(opened).value();
    } else {
      // Unusable as written: drop it so that a retry does not store the samples twice.
      s = opened.status();
      Status rm = storage::RemoveAll(blocks_dir_ + "/" + id);
      if (!rm.ok()) options_.logger->Error(kComponent, "removing bad block: " + rm.ToString());
    }
  }
  if (!s.ok()) {
    options_.logger->Error(kComponent, "writing head block " + id + ": " + s.ToString());
    {
      std::lock_guard l(state_mu_);
      frozen_error_ = s;
    }
    room_cv_.notify_all();
    return s;
  }
  if (crash_point_ == CrashPoint::kAfterBlockWrite) {
    crashed_ = true;
    return OkStatus();
  }
  InstallBlocks({}, {entry}, /*clear_frozen=*/true);
  room_cv_.notify_all();
  // The block is durable (renamed and fsynced) and its id records wal_seq: now the segments
  // holding the same samples may go.
  Status rm = wal_->RemoveSegmentsBefore(wal_seq);
  if (!rm.ok()) options_.logger->Warning(kComponent, "removing flushed WAL: " + rm.ToString());
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  options_.logger->Info(
      kComponent, "wrote block " + id + ": " + std::to_string(entry->reader->meta().num_series) +
                      " series, " + std::to_string(entry->reader->meta().num_samples) +
                      " samples in " + std::to_string(secs) + " s");
  return OkStatus();
}

BlockList DbImpl::InstallBlocks(const BlockList& remove, const BlockList& add, bool clear_frozen,
                                bool merged) {
  BlockList dropped;
  {
    std::lock_guard l(state_mu_);
    if (merged) {
      for (Tier& tier : tiers_) {
        std::erase_if(tier.blocks, [&](const std::shared_ptr<const BlockEntry>& r) {
          const bool gone =
              r->from_source && std::any_of(remove.begin(), remove.end(),
                                            [&](const auto& b) { return b->seq == r->seq; });
          if (gone) dropped.push_back(r);
          return gone;
        });
      }
    }
    std::vector<std::shared_ptr<const BlockEntry>> next;
    next.reserve(blocks_.size() + 1);
    for (auto& b : blocks_) {
      if (std::find(remove.begin(), remove.end(), b) == remove.end()) next.push_back(b);
    }
    next.insert(next.end(), add.begin(), add.end());
    std::sort(next.begin(), next.end(), ByMinTime);
    blocks_ = std::move(next);
    // In the same critical section as adding its block: a query sees the frozen head or its
    // block, never both and never neither.
    if (clear_frozen) {
      frozen_.reset();
      frozen_error_ = OkStatus();
    }
  }
  RecountSeriesLocked();
  return dropped;
}

void DbImpl::RecountSeriesLocked() {
  // Serialized whole: two concurrent recounts could otherwise store their results in the
  // opposite order of their snapshots.
  std::lock_guard r(recount_mu_);
  std::vector<std::shared_ptr<const BlockEntry>> blocks;
  std::shared_ptr<const Head> head, frozen;
  {
    std::lock_guard l(state_mu_);
    blocks = blocks_;
    head = head_;
    frozen = frozen_;
  }
  auto hashes = std::make_shared<std::vector<uint64_t>>();
  for (const auto& b : blocks) {
    hashes->insert(hashes->end(), b->key_hashes.begin(), b->key_hashes.end());
  }
  std::sort(hashes->begin(), hashes->end());
  hashes->erase(std::unique(hashes->begin(), hashes->end()), hashes->end());
  int64_t unblocked = 0;
  auto in_blocks = [&](std::string_view key) {
    return std::binary_search(hashes->begin(), hashes->end(), HashCanonicalKey(key));
  };
  if (frozen) {
    frozen->ForEachSeries([&](const MemSeries& s) { unblocked += !in_blocks(s.key()); });
  }
  if (head) {
    std::vector<std::string_view> keys;
    head->ForEachSeries([&](const MemSeries& s) { keys.push_back(s.key()); });
    for (std::string_view k : keys) {
      const size_t h = HashCanonicalKey(k);
      if (std::binary_search(hashes->begin(), hashes->end(), h)) continue;
      if (frozen && frozen->Find(k, h) != nullptr) continue;
      ++unblocked;
    }
  }
  std::lock_guard l(state_mu_);
  block_key_hashes_ = std::move(hashes);
  unblocked_series_.store(unblocked, std::memory_order_relaxed);
}

void DbImpl::StartBackground() {
  compact_wake_ = true;  // blocks left by the previous run may be due for merging or expiry
  flush_thread_ = std::thread([this] {
    SetThreadName("vigil-tsdb-cut");
    FlushLoop();
  });
  compact_thread_ = std::thread([this] {
    SetThreadName("vigil-tsdb-merge");
    CompactLoop();
  });
}

void DbImpl::StopBackground() {
  stopping_ = true;
  {
    std::lock_guard l(bg_mu_);
    bg_stop_ = true;
  }
  bg_cv_.notify_all();
  if (flush_thread_.joinable()) flush_thread_.join();
  if (compact_thread_.joinable()) compact_thread_.join();
}

void DbImpl::FlushLoop() {
  using Clock = std::chrono::steady_clock;
  Clock::time_point last_write_failure = Clock::now() - kWriteRetryInterval;
  for (;;) {
    {
      std::unique_lock l(bg_mu_);
      bg_cv_.wait_for(l, kBackgroundTick, [&] { return bg_stop_ || bg_wake_; });
      if (bg_stop_) return;
      bg_wake_ = false;
    }
    bool cut = false;
    {
      std::lock_guard m(cut_mu_);
      if (crashed_) return;
      std::shared_ptr<const Head> head;
      bool has_frozen;
      {
        std::lock_guard l(state_mu_);
        head = head_;
        has_frozen = frozen_ != nullptr;
      }
      const bool retry_ok = Clock::now() - last_write_failure >= kWriteRetryInterval;
      if ((has_frozen && retry_ok) ||
          (!has_frozen && CutWanted(*head, options_.clock->NowMillis()))) {
        Status s = CutLocked(/*write_block=*/true);
        if (!s.ok()) last_write_failure = Clock::now();
        cut = s.ok();
      }
    }
    if (cut) {
      std::lock_guard l(bg_mu_);
      compact_wake_ = true;
      bg_cv_.notify_all();
    }
    UpdateGauges();
  }
}

void DbImpl::CompactLoop() {
  for (;;) {
    {
      std::unique_lock l(bg_mu_);
      bg_cv_.wait_for(l, kMaintenanceInterval, [&] { return bg_stop_ || compact_wake_; });
      if (bg_stop_) return;
      compact_wake_ = false;
    }
    if (crashed_) return;
    Status s = Compact();
    if (!s.ok()) options_.logger->Error(kComponent, "compaction: " + s.ToString());
    s = ApplyRetention();
    if (!s.ok()) options_.logger->Error(kComponent, "retention: " + s.ToString());
  }
}

}  // namespace vigil::tsdb
