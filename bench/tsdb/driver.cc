#include "bench/tsdb/driver.h"

#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

namespace vigil::bench {

double ProcessCpuSeconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

namespace {

// Per-shard progress, so that no thread runs too far ahead of the slowest.
class Lockstep {
 public:
  Lockstep(int threads, int64_t start, int64_t max_lead)
      : done_(static_cast<size_t>(threads), start), max_lead_(max_lead) {}

  // Blocks until every shard has completed step `step - max_lead`. False once stopped.
  bool WaitToStart(int64_t step) {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] {
      return stopped_ || *std::min_element(done_.begin(), done_.end()) >= step - max_lead_;
    });
    return !stopped_;
  }
  void Completed(int thread, int64_t step_hi) {
    std::lock_guard lock(mu_);
    done_[static_cast<size_t>(thread)] = step_hi;
    cv_.notify_all();
  }
  void Stop() {
    std::lock_guard lock(mu_);
    stopped_ = true;
    cv_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<int64_t> done_;  // guarded by mu_
  bool stopped_ = false;       // guarded by mu_
  const int64_t max_lead_;
};

}  // namespace

StatusOr<DriveResult> Drive(const FleetSource& source, const DriveOptions& options,
                            const SinkFactory& make_sink) {
  const int threads = std::max(1, options.threads);
  const int64_t from = options.from_step;
  const int64_t to =
      options.to_step < 0 ? source.steps() : std::min(options.to_step, source.steps());
  const size_t n = source.series();
  if (n == 0 || from >= to) return InvalidArgumentError("nothing to load");

  std::vector<std::unique_ptr<ChunkSink>> sinks;
  for (int t = 0; t < threads; ++t) {
    ASSIGN_OR_RETURN(std::unique_ptr<ChunkSink> sink, make_sink(t));
    sinks.push_back(std::move(sink));
  }

  Lockstep lockstep(threads, from, options.max_lead_steps);
  std::mutex error_mu;
  Status first_error;
  std::atomic<uint64_t> samples{0}, chunks{0};

  auto run = [&](int t) {
    const size_t lo = n * static_cast<size_t>(t) / static_cast<size_t>(threads);
    const size_t hi = n * static_cast<size_t>(t + 1) / static_cast<size_t>(threads);
    if (lo == hi) {
      lockstep.Completed(t, to);
      return;
    }
    const size_t piece = std::min(hi - lo, std::max<size_t>(1, options.request_samples));
    const int64_t steps_per_chunk =
        std::max<int64_t>(1, static_cast<int64_t>(options.request_samples / piece));
    for (int64_t s = from; s < to; s += steps_per_chunk) {
      if (!lockstep.WaitToStart(s)) return;
      const int64_t s_hi = std::min(s + steps_per_chunk, to);
      for (size_t p = lo; p < hi; p += piece) {
        Chunk chunk{s, s_hi, p, std::min(p + piece, hi)};
        Status st = sinks[static_cast<size_t>(t)]->Consume(chunk);
        if (!st.ok()) {
          std::lock_guard lock(error_mu);
          if (first_error.ok()) first_error = st;
          lockstep.Stop();
          return;
        }
        samples.fetch_add(chunk.samples(), std::memory_order_relaxed);
        chunks.fetch_add(1, std::memory_order_relaxed);
      }
      lockstep.Completed(t, s_hi);
    }
  };

  const double cpu0 = ProcessCpuSeconds();
  const auto t0 = std::chrono::steady_clock::now();
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) pool.emplace_back(run, t);
  for (auto& th : pool) th.join();
  const auto t1 = std::chrono::steady_clock::now();
  if (!first_error.ok()) return first_error;

  DriveResult result;
  result.samples = samples.load();
  result.chunks = chunks.load();
  result.seconds = std::chrono::duration<double>(t1 - t0).count();
  result.client_cpu_seconds = ProcessCpuSeconds() - cpu0;
  for (const auto& sink : sinks) result.bytes_sent += sink->bytes_sent();
  return result;
}

}  // namespace vigil::bench
