// tsdb_bench: in-process figures of the metrics store (not a test; prints a small report).
//   head memory   heap bytes per series in the head (malloc accounting), 120 samples a series
//   ingest        samples/s, remote-write-like batches of 1,000 series x 10 samples, WAL fsync on
//   q1            GetStatistics of one series over a day at 10 s, period 60 s, Average
// Usage: tsdb_bench [dir] [series] [memory|ingest|q1|q1head]
// (dir defaults to a fresh directory under /tmp; series to 100,000; all parts by default)
#include <malloc.h>
#include <stdlib.h>
#include <time.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "common/logging.h"
#include "storage/file_util.h"
#include "tsdb/db_impl.h"
#include "tsdb/testing/fake_clock.h"

namespace vigil::tsdb {
namespace {

constexpr int64_t kDay = 86'400'000;
constexpr int64_t kStep = 10'000;

double Seconds(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

size_t HeapBytes() { return mallinfo2().uordblks; }

// CPU time of the calling thread: the machine may be shared, and q1 is CPU-bound.
double ThreadCpuSeconds() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// Mean wall and CPU microseconds of `fn` over `reps` runs after a warm-up.
template <typename F>
void TimeQuery(const char* what, F fn) {
  size_t points = 0;
  for (int i = 0; i < 50; ++i) points = fn();
  const int reps = 2000;
  const auto start = std::chrono::steady_clock::now();
  const double cpu0 = ThreadCpuSeconds();
  for (int i = 0; i < reps; ++i) points = fn();
  const double cpu = (ThreadCpuSeconds() - cpu0) / reps * 1e6;
  std::printf("q1 (%s): %.1f us CPU, %.1f us wall per query, %zu datapoints\n", what, cpu,
              Seconds(start) / reps * 1e6, points);
}

std::vector<SeriesKey> MakeKeys(size_t n) {
  std::vector<SeriesKey> keys;
  keys.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    keys.push_back(*MakeSeriesKey("Bench/App",
                                  i % 4 == 0   ? "Latency"
                                  : i % 4 == 1 ? "Requests"
                                               : "CPUUtilization",
                                  {{"InstanceId", "i-" + std::to_string(100000 + i / 8)},
                                   {"AutoScalingGroupName", "asg-" + std::to_string(i / 800)},
                                   {"Endpoint", "/api/v1/item" + std::to_string(i % 8)}}));
  }
  return keys;
}

// Value of series i at step t: a third gauges (random walk, 1 decimal), a third counters, a
// third mostly-constant.
double ValueOf(size_t i, int64_t step, std::mt19937_64& rng) {
  switch (i % 3) {
    case 0:
      return std::round(50 + 30 * std::sin(static_cast<double>(step + i) / 40) +
                        static_cast<double>(rng() % 50) / 10);
    case 1:
      return static_cast<double>(step * 17 + (i % 100));
    default:
      return rng() % 50 == 0 ? 2.0 : 1.0;
  }
}

struct Bench {
  std::string dir;
  testing::FakeClock clock{1'700'000'000'000 - 1'700'000'000'000 % kDay + kDay};
  Logger logger{stderr, LogLevel::kWarning};

  std::unique_ptr<DbImpl> Open(const std::string& sub, size_t head_chunk_bytes = size_t{1} << 40) {
    Options o;
    o.dir = dir + "/" + sub;
    o.clock = &clock;
    o.logger = &logger;
    o.background = false;
    o.head_chunk_bytes = head_chunk_bytes;
    o.block_range_ms = 100 * kDay;
    auto db = DbImpl::OpenImpl(o);
    if (!db.ok()) {
      std::fprintf(stderr, "open: %s\n", db.status().ToString().c_str());
      std::exit(1);
    }
    return std::move(db).value();
  }

  // Appends `steps` steps for keys[lo, hi) in batches of `per_batch` series x `per_series`
  // samples; returns seconds.
  double Ingest(Db* db, const std::vector<SeriesKey>& keys, size_t lo, size_t hi, int64_t t0,
                int64_t steps, int per_series, std::mt19937_64& rng) {
    const auto start = std::chrono::steady_clock::now();
    std::vector<SeriesSamples> batch;
    for (int64_t s0 = 0; s0 < steps; s0 += per_series) {
      for (size_t i = lo; i < hi; i += 1000) {
        batch.clear();
        for (size_t k = i; k < std::min(hi, i + 1000); ++k) {
          SeriesSamples ss;
          ss.key = keys[k];
          for (int64_t s = s0; s < std::min(steps, s0 + per_series); ++s) {
            ss.raw.push_back({t0 + s * kStep, ValueOf(k, s, rng), 1});
          }
          batch.push_back(std::move(ss));
        }
        Status st = db->Append(batch);
        if (!st.ok()) {
          std::fprintf(stderr, "append: %s\n", st.ToString().c_str());
          std::exit(1);
        }
      }
    }
    return Seconds(start);
  }
};

void HeadMemory(Bench& b, size_t n) {
  std::mt19937_64 rng(1);
  const auto keys = MakeKeys(n);
  auto db = b.Open("memory");
  const size_t before = HeapBytes();
  const int64_t t0 = b.clock.NowMillis() - 120 * kStep;
  const double secs = b.Ingest(db.get(), keys, 0, n, t0, 120, 10, rng);
  const size_t after = HeapBytes();
  const double per_series = static_cast<double>(after - before) / static_cast<double>(n);
  const Head::MemoryUse mem = db->HeadMemoryForTest();
  std::printf(
      "head memory: %zu series x 120 samples: %.0f heap bytes/series "
      "(series objects + chunks %.0f B; chunk data %.2f B/sample); "
      "ingest %.0f samples/s (1 thread, 1000x10 batches, fsync on)\n",
      n, per_series, static_cast<double>(mem.series_and_chunks) / static_cast<double>(n),
      static_cast<double>(mem.chunk_data) / (static_cast<double>(n) * 120),
      static_cast<double>(n) * 120 / secs);
}

void IngestThroughput(Bench& b, size_t n, int threads) {
  const auto keys = MakeKeys(n);
  auto db = b.Open("ingest" + std::to_string(threads));
  const int64_t steps = 60;
  const auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> ts;
  for (int t = 0; t < threads; ++t) {
    ts.emplace_back([&, t] {
      std::mt19937_64 rng(static_cast<uint64_t>(t));
      const size_t lo = n * static_cast<size_t>(t) / static_cast<size_t>(threads);
      const size_t hi = n * static_cast<size_t>(t + 1) / static_cast<size_t>(threads);
      b.Ingest(db.get(), keys, lo, hi, b.clock.NowMillis() - steps * kStep, steps, 10, rng);
    });
  }
  for (auto& t : ts) t.join();
  const double secs = Seconds(start);
  std::printf(
      "ingest: %d thread(s), %zu series x %lld samples in 1000x10 batches, fsync on: "
      "%.0f samples/s (%.2f s)\n",
      threads, n, static_cast<long long>(steps),
      static_cast<double>(n) * static_cast<double>(steps) / secs, secs);
}

void Q1(Bench& b, size_t n, bool head_only) {
  std::mt19937_64 rng(3);
  const auto keys = MakeKeys(n);
  const int64_t day_start = b.clock.NowMillis() - kDay;
  auto run = [&](DbImpl* db, const char* where) {
    StatisticsQuery q;
    q.key = keys[n / 2];
    q.start_ms = day_start;
    q.end_ms = day_start + kDay;
    q.period_ms = 60'000;
    TimeQuery(where, [&] { return db->GetStatistics(q)->size(); });
  };
  if (!head_only) {
    auto db = b.Open("q1");
    // A day at 10 s for every series, flushed every 2 hours like the default block range.
    const int64_t steps_per_block = 720;
    for (int blk = 0; blk < 12; ++blk) {
      b.Ingest(db.get(), keys, 0, n, day_start + blk * steps_per_block * kStep, steps_per_block, 60,
               rng);
      if (blk == 11) run(db.get(), "2 h in the head + 11 level-0 blocks");
      if (!db->Flush().ok()) std::exit(1);
    }
    run(db.get(), "12 level-0 blocks");
    // One sample in the next day completes the day window; then compact.
    SeriesSamples s;
    s.key = keys[0];
    s.raw = {{day_start + kDay + 1, 1, 1}};
    (void)db->Append(std::vector<SeriesSamples>{s});
    (void)db->Flush();
    (void)db->Compact();
    run(db.get(), "1 compacted day block");
    const Db::Stats st = db->GetStats();
    std::printf("blocks after compaction: %llu, %.2f bytes/sample on disk\n",
                static_cast<unsigned long long>(st.blocks),
                static_cast<double>(st.block_bytes) / static_cast<double>(st.block_samples));
  }
  auto head_db = b.Open("q1head");
  b.Ingest(head_db.get(), keys, 0, std::min<size_t>(n, 1000), day_start, kDay / kStep, 720, rng);
  std::vector<SeriesKey> few(keys.begin(), keys.begin() + std::min<size_t>(n, 1000));
  auto run_head = [&] {
    StatisticsQuery q;
    q.key = few[few.size() / 2];
    q.start_ms = day_start;
    q.end_ms = day_start + kDay;
    q.period_ms = 60'000;
    TimeQuery("whole day in the head", [&] { return head_db->GetStatistics(q)->size(); });
  };
  run_head();
}

}  // namespace
}  // namespace vigil::tsdb

int main(int argc, char** argv) {
  using namespace vigil::tsdb;
  Bench b;
  std::string dir;
  bool own = false;
  if (argc > 1) {
    dir = argv[1];
  } else {
    std::string templ = "/tmp/vigil_tsdb_bench_XXXXXX";
    if (::mkdtemp(templ.data()) == nullptr) return 1;
    dir = templ;
    own = true;
  }
  const size_t series = argc > 2 ? std::stoul(argv[2]) : 100'000;
  const std::string only = argc > 3 ? argv[3] : "";
  b.dir = dir;
  if (only.empty() || only == "memory") HeadMemory(b, series);
  if (only.empty() || only == "ingest") {
    IngestThroughput(b, series / 2, 1);
    IngestThroughput(b, series / 2, 4);
  }
  if (only.empty() || only == "q1" || only == "q1head") {
    Q1(b, std::min<size_t>(series, 2'000), only == "q1head");
  }
  if (own) (void)vigil::storage::RemoveAll(dir);
  return 0;
}
