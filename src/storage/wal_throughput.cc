// Measures WalWriter group-commit throughput; prints figures, asserts nothing.
//   storage_wal_throughput [threads=16] [record_bytes=102400] [seconds=3] [sync=1] [dir]
// The WAL goes to `dir` (default: a fresh directory under $TMPDIR or /tmp, removed afterwards),
// so run it on the disk you care about. Also times a WalReplay of what was written.
#include <stdlib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "storage/file_util.h"
#include "storage/wal.h"

namespace {

using Clock = std::chrono::steady_clock;

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

int Run(int threads, size_t record_bytes, double seconds, bool sync, std::string dir) {
  using namespace vigil;
  bool remove_dir = false;
  if (dir.empty()) {
    const char* base = std::getenv("TMPDIR");
    std::string tmpl = std::string(base != nullptr && *base ? base : "/tmp") + "/walbench.XXXXXX";
    if (::mkdtemp(tmpl.data()) == nullptr) return 1;
    dir = tmpl;
    remove_dir = true;
  }
  Logger logger;
  storage::WalOptions options;
  options.sync = sync;
  options.logger = &logger;
  auto writer = storage::WalWriter::Open(dir + "/wal", options);
  if (!writer.ok()) {
    std::fprintf(stderr, "open: %s\n", writer.status().ToString().c_str());
    return 1;
  }
  const std::string record(record_bytes, 'x');
  std::atomic<bool> stop{false};
  std::vector<std::vector<double>> latencies(threads);
  const auto start = Clock::now();
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      while (!stop.load(std::memory_order_relaxed)) {
        auto t0 = Clock::now();
        Status s = (*writer)->Append(record);
        if (!s.ok()) {
          std::fprintf(stderr, "append: %s\n", s.ToString().c_str());
          return;
        }
        latencies[t].push_back(Seconds(Clock::now() - t0) * 1e3);
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  stop = true;
  for (auto& w : workers) w.join();
  const double elapsed = Seconds(Clock::now() - start);
  writer->reset();

  std::vector<double> all;
  for (auto& l : latencies) all.insert(all.end(), l.begin(), l.end());
  std::sort(all.begin(), all.end());
  auto pct = [&](double p) {
    return all.empty() ? 0.0 : all[static_cast<size_t>(p * (all.size() - 1))];
  };
  std::printf(
      "threads=%d record=%zu B sync=%d: %zu appends in %.2f s = %.0f appends/s, %.1f MB/s; "
      "latency ms p50=%.2f p99=%.2f max=%.2f\n",
      threads, record_bytes, sync ? 1 : 0, all.size(), elapsed, all.size() / elapsed,
      all.size() * record_bytes / elapsed / 1e6, pct(0.5), pct(0.99), pct(1.0));

  const uint64_t wal_bytes = storage::DiskUsage(dir + "/wal");
  size_t replayed = 0;
  const auto r0 = Clock::now();
  Status s = storage::WalReplay(dir + "/wal", logger, [&](uint64_t, std::string_view) {
    ++replayed;
    return OkStatus();
  });
  const double replay_s = Seconds(Clock::now() - r0);
  std::printf("replay: %zu records, %.1f MB in %.3f s = %.0f MB/s (%s; page cache warm)\n",
              replayed, wal_bytes / 1e6, replay_s, wal_bytes / 1e6 / replay_s,
              s.ToString().c_str());
  if (remove_dir) storage::RemoveAll(dir).IgnoreError();
  return s.ok() ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  int threads = argc > 1 ? std::atoi(argv[1]) : 16;
  size_t record_bytes = argc > 2 ? std::strtoul(argv[2], nullptr, 10) : 100 * 1024;
  double seconds = argc > 3 ? std::atof(argv[3]) : 3.0;
  bool sync = argc > 4 ? std::atoi(argv[4]) != 0 : true;
  std::string dir = argc > 5 ? argv[5] : "";
  return Run(threads, record_bytes, seconds, sync, dir);
}
