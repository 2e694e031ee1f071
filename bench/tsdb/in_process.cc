#include "bench/tsdb/in_process.h"

#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "bench/tsdb/http_load.h"
#include "storage/file_util.h"
#include "tsdb/block/block.h"
#include "tsdb/rollup.h"
#include "tsdb/tsdb.h"

namespace vigil::bench {
namespace {

// Appends chunks through one reusable batch: keys are built once, only samples change.
class DbSink final : public ChunkSink {
 public:
  DbSink(const FleetSource* source, tsdb::Db* db) : source_(source), db_(db) {}

  Status Consume(const Chunk& chunk) override {
    source_->Fill(chunk, &samples_);
    const size_t n = static_cast<size_t>(chunk.step_hi - chunk.step_lo);
    batch_.resize(chunk.series_hi - chunk.series_lo);
    for (size_t i = chunk.series_lo; i < chunk.series_hi; ++i) {
      tsdb::SeriesSamples& s = batch_[i - chunk.series_lo];
      if (s.key != source_->key(i)) {
        s.key = source_->key(i);
        s.unit = source_->meta(i).unit;
      }
      const auto row = samples_.begin() + static_cast<std::ptrdiff_t>((i - chunk.series_lo) * n);
      s.raw.assign(row, row + static_cast<std::ptrdiff_t>(n));
    }
    return db_->Append(batch_);
  }

 private:
  const FleetSource* source_;
  tsdb::Db* db_;
  std::vector<tsdb::RawSample> samples_;
  std::vector<tsdb::SeriesSamples> batch_;
};

}  // namespace

StatusOr<RollupCost> MeasureRollupCost(const std::string& blocks_dir, double accuracy) {
  RollupCost cost;
  ASSIGN_OR_RETURN(std::vector<std::string> names, storage::ListDir(blocks_dir));
  const std::string scratch = blocks_dir + "/../rollup-cost.scratch";
  RETURN_IF_ERROR(storage::RemoveAll(scratch));
  RETURN_IF_ERROR(storage::CreateDirs(scratch + "/days"));
  // The store rolls up final day blocks (one per day): merge the blocks as its compaction
  // would, then roll each day up, and compare with the day blocks' size.
  std::vector<std::unique_ptr<tsdb::block::BlockReader>> inputs;
  std::vector<const tsdb::block::BlockReader*> raw;
  for (const std::string& name : names) {
    if (name.ends_with(".tmp")) continue;
    ASSIGN_OR_RETURN(std::unique_ptr<tsdb::block::BlockReader> reader,
                     tsdb::block::BlockReader::Open(blocks_dir + "/" + name));
    if (reader->meta().resolution_ms != 0) continue;
    raw.push_back(reader.get());
    inputs.push_back(std::move(reader));
  }
  if (raw.empty()) return cost;
  int next = 0;
  std::vector<tsdb::block::BlockMeta> days;
  RETURN_IF_ERROR(tsdb::block::MergeBlocksByRange(
      scratch + "/days", [&] { return "day" + std::to_string(next++); }, raw,
      24LL * 3600 * 1000, &days));
  for (const tsdb::block::BlockMeta& day : days) {
    const std::string dir = scratch + "/days/" + day.id;
    cost.raw_bytes += DirectoryBytes(dir);
    ASSIGN_OR_RETURN(std::unique_ptr<tsdb::block::BlockReader> reader,
                     tsdb::block::BlockReader::Open(dir));
    for (const int64_t period : {300'000, 3'600'000}) {
      const std::string id = day.id + "-" + std::to_string(period);
      tsdb::block::BlockMeta meta;
      RETURN_IF_ERROR(tsdb::WriteRollupBlock(*reader, period, accuracy, scratch, id, &meta));
      (period == 300'000 ? cost.five_min_bytes : cost.hour_bytes) +=
          DirectoryBytes(scratch + "/" + id);
      if (period == 3'600'000) {
        ASSIGN_OR_RETURN(std::unique_ptr<tsdb::block::BlockReader> rollups,
                         tsdb::block::BlockReader::Open(scratch + "/" + id));
        tsdb::block::SeriesData d;
        for (size_t i = 0; i < rollups->num_series(); ++i) {
          d.rollups.clear();
          RETURN_IF_ERROR(rollups->ReadSeries(i, INT64_MIN, INT64_MAX, &d));
          for (const auto& p : d.rollups) cost.hour_sketch_bytes += p.sketch.size() + 1;
        }
      }
    }
  }
  RETURN_IF_ERROR(storage::RemoveAll(scratch));
  return cost;
}

uint64_t DirectoryBytes(const std::string& dir) {
  std::error_code ec;
  uint64_t total = 0;
  for (auto it = std::filesystem::recursive_directory_iterator(dir, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    if (it->is_regular_file(ec)) total += it->file_size(ec);
  }
  return total;
}

uint64_t ProcStatusBytes(const char* field) {
  std::ifstream in("/proc/self/status");
  std::string line;
  const size_t len = std::strlen(field);
  while (std::getline(in, line)) {
    if (line.compare(0, len, field) == 0 && line.size() > len && line[len] == ':') {
      return std::strtoull(line.c_str() + len + 1, nullptr, 10) * 1024;  // "kB"
    }
  }
  return 0;
}

StatusOr<InProcessResult> RunInProcess(const FleetSource& source, const InProcessOptions& options) {
  SystemClock clock;
  Logger logger(stderr, LogLevel::kWarning);
  tsdb::Options db_options;
  db_options.dir = options.dir;
  db_options.clock = &clock;
  db_options.logger = &logger;

  InProcessResult result;
  {
    ASSIGN_OR_RETURN(std::unique_ptr<tsdb::Db> db, tsdb::Db::Open(db_options));
    result.rss_open_bytes = ProcStatusBytes("VmRSS");
    SinkFactory factory = [&](int) -> StatusOr<std::unique_ptr<ChunkSink>> {
      return std::unique_ptr<ChunkSink>(new DbSink(&source, db.get()));
    };
    // The first step alone: every series gets its first sample (memory per new series).
    DriveOptions first = options.drive;
    first.from_step = options.drive.from_step;
    first.to_step = first.from_step + 1;
    ASSIGN_OR_RETURN(DriveResult r0, Drive(source, first, factory));
    result.rss_first_step_bytes = ProcStatusBytes("VmRSS");
    DriveOptions rest = options.drive;
    rest.from_step = first.to_step;
    ASSIGN_OR_RETURN(DriveResult r1, Drive(source, rest, factory));
    result.rss_loaded_bytes = ProcStatusBytes("VmRSS");
    result.load = r1;
    result.load.samples += r0.samples;
    result.load.chunks += r0.chunks;
    result.load.seconds += r0.seconds;
    result.load.client_cpu_seconds += r0.client_cpu_seconds;

    const auto t0 = std::chrono::steady_clock::now();
    RETURN_IF_ERROR(db->Close());
    result.close_seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  }
  result.peak_rss_bytes = ProcStatusBytes("VmHWM");
  result.dir_bytes = DirectoryBytes(options.dir);

  // Reopen for the stats and q1, without background work so nothing competes with queries.
  db_options.background = false;
  ASSIGN_OR_RETURN(std::unique_ptr<tsdb::Db> db, tsdb::Db::Open(db_options));
  tsdb::Db::Stats stats = db->GetStats();
  result.block_bytes = stats.block_bytes;
  result.block_samples = stats.block_samples;
  result.wal_bytes = stats.wal_bytes;

  tsdb::StatisticsQuery q;
  if (options.query_series >= source.series()) return InvalidArgumentError("bad query series");
  q.key = source.key(options.query_series);
  q.start_ms = source.start_ms();
  q.end_ms = source.end_ms();
  q.period_ms = 60'000;
  std::vector<double> latencies;
  for (int i = 0; i < options.query_warmup + options.query_repetitions; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    ASSIGN_OR_RETURN(std::vector<tsdb::Datapoint> points, db->GetStatistics(q));
    const auto t1 = std::chrono::steady_clock::now();
    result.q1_points = points.size();
    if (i >= options.query_warmup) {
      latencies.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
    }
  }
  LatencySummary summary = Summarize(&latencies);
  result.q1_median_ms = summary.median_ms;
  result.q1_p99_ms = summary.p99_ms;
  RETURN_IF_ERROR(db->Close());
  return result;
}

}  // namespace vigil::bench
