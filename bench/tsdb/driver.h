#pragma once
// Drives a load: splits the fleet into one contiguous shard of series per thread and feeds each
// shard, in time order, as chunks of about `request_samples` samples to that thread's sink (one
// HTTP connection, or one in-process appender).
//
// Order: time-major, as a fleet sends it. Each series' samples arrive in time order (a shard
// belongs to one thread), and no thread runs more than max_lead_steps ahead of the slowest,
// so every sample is within the peers' accepted window (Prometheus refuses samples older than
// its head's newest minus one hour).

#include <cstdint>
#include <functional>
#include <memory>

#include "bench/tsdb/encoders.h"
#include "bench/tsdb/fleet_source.h"
#include "common/status.h"

namespace vigil::bench {

// Consumes the chunks of one thread, in order. Used by one thread only.
class ChunkSink {
 public:
  virtual ~ChunkSink() = default;
  // Stores/sends the chunk; a non-OK Status stops the whole load.
  virtual Status Consume(const Chunk& chunk) = 0;
  virtual uint64_t bytes_sent() const { return 0; }
};

using SinkFactory = std::function<StatusOr<std::unique_ptr<ChunkSink>>(int thread)>;

struct DriveOptions {
  int threads = 4;
  size_t request_samples = 20'000;  // samples per chunk, at most (at least one step per chunk)
  int64_t from_step = 0;
  int64_t to_step = -1;          // exclusive; -1 = every step of the source
  int64_t max_lead_steps = 120;  // 20 minutes at 10 s
};

struct DriveResult {
  uint64_t samples = 0;
  uint64_t chunks = 0;
  uint64_t bytes_sent = 0;
  double seconds = 0;             // wall clock, first chunk to last answer
  double client_cpu_seconds = 0;  // this process' user+system CPU over the same span
};

// Runs the load to completion. Returns the first sink error (and stops the other threads).
StatusOr<DriveResult> Drive(const FleetSource& source, const DriveOptions& options,
                            const SinkFactory& make_sink);

// User + system CPU seconds of this process so far.
double ProcessCpuSeconds();

}  // namespace vigil::bench
