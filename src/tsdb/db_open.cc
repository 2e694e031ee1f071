// Opening, recovery (blocks, interrupted compactions, WAL replay), self-metrics and shutdown.
#include <algorithm>
#include <chrono>
#include <set>
#include <unordered_map>

#include "storage/file_util.h"
#include "tsdb/block_ids.h"
#include "tsdb/db_impl.h"
#include "tsdb/series_key.h"
#include "tsdb/wal_records.h"

namespace vigil::tsdb {
namespace {

constexpr char kComponent[] = "tsdb";
constexpr char kCheckpointFile[] = "wal_checkpoint";

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

}  // namespace

struct DbImpl::MetricHandles {
  Counter* samples_appended;
  Counter* appends;
  Gauge* append_latency_sum;
  Counter* append_latency_count;
  Gauge* series;
  Gauge* head_series;
  Gauge* head_samples;
  Gauge* head_bytes;
  Gauge* blocks;
  Gauge* block_bytes;
  Gauge* rollup_blocks;
  Gauge* rollup_bytes;
  Gauge* wal_bytes;
  Counter* wal_records;
  Counter* wal_fsyncs;
  std::atomic<uint64_t> wal_fsyncs_reported{0};
};

StatusOr<std::unique_ptr<Db>> Db::Open(const Options& options) {
  ASSIGN_OR_RETURN(std::unique_ptr<DbImpl> db, DbImpl::OpenImpl(options));
  return std::unique_ptr<Db>(std::move(db));
}

DbImpl::DbImpl(const Options& options)
    : options_(options), wal_dir_(options.dir + "/wal"), blocks_dir_(options.dir + "/blocks") {
  for (const RollupTier& t : options.rollups) {
    tiers_.push_back(Tier{t, options.dir + "/rollups/" + TierDirName(t.period_ms), {}});
  }
}

StatusOr<std::unique_ptr<DbImpl>> DbImpl::OpenImpl(const Options& options) {
  if (options.dir.empty() || options.clock == nullptr || options.logger == nullptr) {
    return InvalidArgumentError("tsdb: Options need dir, clock and logger");
  }
  if (options.block_range_ms <= 0 || options.head_chunk_bytes == 0) {
    return InvalidArgumentError("tsdb: block_range_ms and head_chunk_bytes must be > 0");
  }
  if (options.encrypt && options.cipher == nullptr) {
    return InvalidArgumentError("tsdb: encrypt needs a cipher");
  }
  RETURN_IF_ERROR(ValidateRollupTiers(options));
  std::unique_ptr<DbImpl> db(new DbImpl(options));
  RETURN_IF_ERROR(db->Recover());
  db->RegisterMetrics();
  db->UpdateGauges();
  if (options.background) db->StartBackground();
  return db;
}

DbImpl::~DbImpl() {
  {
    std::lock_guard g(gate_);
    closed_ = true;
  }
  room_cv_.notify_all();
  StopBackground();
}

Status DbImpl::Recover() {
  RETURN_IF_ERROR(storage::CreateDirs(options_.dir));
  RETURN_IF_ERROR(storage::CreateDirs(wal_dir_));
  RETURN_IF_ERROR(storage::CreateDirs(blocks_dir_));
  uint64_t wal_start = 0;
  std::set<std::string> merged_ids;
  RETURN_IF_ERROR(RecoverBlocks(&wal_start, &merged_ids));
  RETURN_IF_ERROR(RecoverTiers(merged_ids));
  const std::string checkpoint_path = options_.dir + "/" + kCheckpointFile;
  if (storage::PathExists(checkpoint_path)) {
    ASSIGN_OR_RETURN(std::string text, storage::ReadFile(checkpoint_path));
    checkpoint_ = std::strtoull(text.c_str(), nullptr, 10);
    wal_start = std::max(wal_start, checkpoint_);
  }
  RecountSeriesLocked();  // block key hashes first: replay counts new series against them
  head_ = std::make_shared<Head>(&units_, options_.clock->NowMillis());
  RETURN_IF_ERROR(ReplayWal(wal_start));

  storage::WalOptions wal_options;
  wal_options.segment_bytes = options_.wal_segment_bytes;
  wal_options.logger = options_.logger;
  wal_options.cipher = WriteCipher();
  wal_options.cipher_context = kWalCipherContext;
  ASSIGN_OR_RETURN(wal_, storage::WalWriter::Open(wal_dir_, wal_options));
  if (wal_start > 0) {
    Status s = wal_->RemoveSegmentsBefore(wal_start);
    if (!s.ok()) options_.logger->Warning(kComponent, "removing flushed WAL: " + s.ToString());
  }
  RecountSeriesLocked();
  return OkStatus();
}

StatusOr<std::shared_ptr<BlockEntry>> DbImpl::OpenBlockIn(const std::string& dir,
                                                         const std::string& id) const {
  auto entry = std::make_shared<BlockEntry>();
  if (!ParseBlockId(id, &entry->seq, &entry->wal_marker)) {
    return InternalError("tsdb: not a block id: " + id);
  }
  ASSIGN_OR_RETURN(std::unique_ptr<block::BlockReader> reader,
                   block::BlockReader::Open(dir + "/" + id, options_.cipher));
  entry->key_hashes.reserve(reader->num_series());
  for (size_t i = 0; i < reader->num_series(); ++i) {
    entry->key_hashes.push_back(HashCanonicalKey(CanonicalKeyString(reader->key(i))));
  }
  std::sort(entry->key_hashes.begin(), entry->key_hashes.end());
  entry->from_source = reader->meta().resolution_ms > 0 && reader->meta().parents.empty();
  entry->reader = std::move(reader);
  return entry;
}

StatusOr<BlockList> DbImpl::RecoverDir(const std::string& dir,
                                       const std::set<std::string>& superseded,
                                       std::set<std::string>* parents) {
  ASSIGN_OR_RETURN(std::vector<std::string> names, storage::ListDir(dir));
  BlockList opened;
  uint64_t max_seq = 0;
  for (const std::string& name : names) {
    uint64_t seq, marker;
    if (EndsWith(name, ".tmp")) {
      // An unfinished block write: never visible, safe to drop.
      options_.logger->Info(kComponent, "removing unfinished block " + dir + "/" + name);
      RETURN_IF_ERROR(storage::RemoveAll(dir + "/" + name));
      continue;
    }
    if (!ParseBlockId(name, &seq, &marker)) {
      options_.logger->Warning(kComponent, "ignoring unknown entry in " + dir + ": " + name);
      continue;
    }
    ASSIGN_OR_RETURN(std::shared_ptr<BlockEntry> entry, OpenBlockIn(dir, name));
    max_seq = std::max(max_seq, seq);
    opened.push_back(std::move(entry));
  }
  next_block_seq_ = std::max(next_block_seq_.load(), max_seq + 1);
  auto remove = [&](std::shared_ptr<const BlockEntry>& e, const std::string& why) -> Status {
    options_.logger->Info(kComponent, "removing " + why + " block " + e->reader->dir());
    const std::string path = e->reader->dir();
    e.reset();
    return storage::RemoveAll(path);
  };
  // A split compaction that died before publishing all of its outputs (its parents remain):
  // drop the outputs it did publish; the parents still hold their samples.
  std::set<std::string> present;
  for (const auto& e : opened) present.insert(e->reader->meta().id);
  BlockList whole;
  for (auto& e : opened) {
    const block::BlockMeta& m = e->reader->meta();
    const bool parents_left = std::any_of(m.parents.begin(), m.parents.end(),
                                          [&](const std::string& p) { return present.count(p) > 0; });
    const bool complete = std::all_of(m.siblings.begin(), m.siblings.end(),
                                      [&](const std::string& s) { return present.count(s) > 0; });
    if (!parents_left || complete) {
      whole.push_back(std::move(e));
    } else {
      RETURN_IF_ERROR(remove(e, "unfinished split's"));
    }
  }
  // A compaction that died after writing its output but before deleting its inputs: the
  // output names them as parents; drop them so their samples are not counted twice.
  for (const auto& e : whole) {
    for (const std::string& p : e->reader->meta().parents) parents->insert(p);
  }
  BlockList kept;
  for (auto& e : whole) {
    const std::string& id = e->reader->meta().id;
    if (parents->count(id) > 0 || superseded.count(id) > 0) {
      RETURN_IF_ERROR(remove(e, "superseded"));
    } else {
      kept.push_back(std::move(e));
    }
  }
  std::sort(kept.begin(), kept.end(), ByMinTime);
  return kept;
}

Status DbImpl::RecoverBlocks(uint64_t* wal_start, std::set<std::string>* merged_ids) {
  ASSIGN_OR_RETURN(BlockList kept, RecoverDir(blocks_dir_, {}, merged_ids));
  for (const auto& e : kept) *wal_start = std::max(*wal_start, e->wal_marker);
  std::lock_guard l(state_mu_);
  blocks_ = std::move(kept);
  return OkStatus();
}

Status DbImpl::ReplayWal(uint64_t wal_start) {
  Head& head = *head_;
  struct Known {
    MemSeries* series;
    uint16_t unit;
  };
  std::unordered_map<uint64_t, Known> ids;
  WalBatch batch;
  uint64_t max_id = 0, records = 0, skipped = 0, samples = 0;
  auto apply = [&](uint64_t segment, std::string_view record) -> Status {
    if (segment < wal_start) return OkStatus();  // already in blocks
    Status s = DecodeWalBatch(record, &batch);
    if (!s.ok()) {
      // The framing CRC matched, so this is not a torn write; skip rather than refuse to open.
      ++skipped;
      options_.logger->Error(kComponent, "WAL segment " + std::to_string(segment) +
                                             ": skipping record: " + s.ToString());
      return OkStatus();
    }
    ++records;
    for (const WalSeriesDef& d : batch.defs) {
      SeriesKey key;
      if (!ParseCanonicalKey(d.key, &key) || !ValidateSeriesKey(key).ok()) {
        ++skipped;
        continue;
      }
      const size_t hash = HashCanonicalKey(d.key);
      bool created;
      MemSeries* series = head.GetOrCreate(d.key, hash, &next_series_id_, &created);
      if (created) NoteNewSeries(d.key, hash);
      ids[d.id] = Known{series, units_.Intern(d.unit).value_or(UnitTable::kNone)};
      max_id = std::max(max_id, d.id);
    }
    for (const WalBatch::Group& g : batch.groups) {
      auto it = ids.find(g.id);
      if (it == ids.end()) {
        ++skipped;
        continue;
      }
      auto lock = head.Lock(*it->second.series);
      head.AppendLocked(it->second.series, batch.RawOf(g), batch.StatsOf(g), it->second.unit,
                        batch.append_ms, /*wal_defined=*/false);
      samples += (g.raw_end - g.raw_begin) + (g.stats_end - g.stats_begin);
    }
    return OkStatus();
  };
  RETURN_IF_ERROR(storage::WalReplay(wal_dir_, *options_.logger, apply, options_.cipher,
                                     kWalCipherContext));
  // Keep ids unique across the WAL, even though definitions after a reopen would win anyway.
  uint64_t cur = next_series_id_.load();
  if (cur <= max_id) next_series_id_.store(max_id + 1);
  if (records > 0 || skipped > 0) {
    options_.logger->Info(
        kComponent, "replayed " + std::to_string(records) + " WAL records, " +
                        std::to_string(samples) + " samples, " + std::to_string(head.num_series()) +
                        " series" +
                        (skipped ? ", skipped " + std::to_string(skipped) + " bad entries" : ""));
  }
  return OkStatus();
}

void DbImpl::RegisterMetrics() {
  Registry* r = options_.metrics;
  if (r == nullptr) return;
  metrics_ = std::make_unique<MetricHandles>();
  metrics_->samples_appended =
      r->NewCounter("vigil_tsdb_samples_appended_total", "Samples appended to the metrics store");
  metrics_->appends = r->NewCounter("vigil_tsdb_appends_total", "Append calls that succeeded");
  metrics_->append_latency_sum = r->NewGauge("vigil_tsdb_append_latency_seconds_sum",
                                             "Total time spent in successful appends");
  metrics_->append_latency_count = r->NewCounter("vigil_tsdb_append_latency_seconds_count",
                                                 "Number of successful appends timed");
  metrics_->series = r->NewGauge("vigil_tsdb_series", "Known series (head and blocks)");
  metrics_->head_series = r->NewGauge("vigil_tsdb_head_series", "Series in the head");
  metrics_->head_samples = r->NewGauge("vigil_tsdb_head_samples", "Samples in the head");
  metrics_->head_bytes = r->NewGauge(
      "vigil_tsdb_head_bytes", "Memory of the head's series and chunks, cut head included");
  metrics_->blocks = r->NewGauge("vigil_tsdb_blocks", "Blocks on disk");
  metrics_->block_bytes = r->NewGauge("vigil_tsdb_block_bytes", "Bytes of all raw blocks");
  metrics_->rollup_blocks = r->NewGauge("vigil_tsdb_rollup_blocks", "Blocks of the rollup tiers");
  metrics_->rollup_bytes =
      r->NewGauge("vigil_tsdb_rollup_bytes", "Bytes of the rollup tiers' blocks");
  metrics_->wal_bytes = r->NewGauge("vigil_tsdb_wal_bytes", "Bytes of the WAL");
  metrics_->wal_records =
      r->NewCounter("vigil_tsdb_wal_records_total",
                    "WAL records written (each is fsynced, concurrent ones share an fsync)");
  metrics_->wal_fsyncs = r->NewCounter("vigil_tsdb_wal_fsyncs_total",
                                       "WAL fdatasync calls (fewer than records: group commit)");
}

void DbImpl::UpdateGauges() const {
  if (!metrics_) return;
  const Stats s = GetStats();
  metrics_->series->Set(static_cast<double>(s.series));
  metrics_->head_series->Set(static_cast<double>(s.head_series));
  metrics_->head_samples->Set(static_cast<double>(s.head_samples));
  metrics_->head_bytes->Set(static_cast<double>(s.head_bytes));
  metrics_->blocks->Set(static_cast<double>(s.blocks));
  metrics_->block_bytes->Set(static_cast<double>(s.block_bytes));
  metrics_->rollup_blocks->Set(static_cast<double>(s.rollup_blocks));
  metrics_->rollup_bytes->Set(static_cast<double>(s.rollup_bytes));
  metrics_->wal_bytes->Set(static_cast<double>(s.wal_bytes));
  if (wal_) {
    // Called from several threads: only the caller that advances the mark adds the difference.
    const uint64_t now = wal_->syncs();
    uint64_t prev = metrics_->wal_fsyncs_reported.load();
    while (now > prev && !metrics_->wal_fsyncs_reported.compare_exchange_weak(prev, now)) {
    }
    if (now > prev) metrics_->wal_fsyncs->Add(now - prev);
  }
}

void DbImpl::NoteAppendMetrics(uint64_t samples, double seconds) {
  if (!metrics_) return;
  metrics_->samples_appended->Add(samples);
  metrics_->appends->Add();
  metrics_->wal_records->Add();
  metrics_->append_latency_sum->Add(seconds);
  metrics_->append_latency_count->Add();
}

Status DbImpl::Close() {
  {
    std::lock_guard g(gate_);
    if (closed_) return OkStatus();
    closed_ = true;
  }
  room_cv_.notify_all();
  StopBackground();
  std::lock_guard m(cut_mu_);
  if (crashed_) return OkStatus();
  Status s = CutLocked(/*write_block=*/true);
  UpdateGauges();
  return s;
}

Status DbImpl::WriteCheckpoint(uint64_t wal_marker) {
  RETURN_IF_ERROR(storage::WriteFileAtomic(options_.dir + "/" + kCheckpointFile,
                                           std::to_string(wal_marker) + "\n"));
  checkpoint_ = wal_marker;
  return OkStatus();
}

}  // namespace vigil::tsdb
