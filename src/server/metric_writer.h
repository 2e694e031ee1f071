#pragma once
// The server's MetricSink: what the fleet samplers and the load balancer measure goes into the
// metrics store. Put() queues; one thread appends each batch to the store (a WAL fsync per
// batch, shared with concurrent appenders), so callers never wait for a disk.
#include <condition_variable>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "common/logging.h"
#include "common/metric_sink.h"
#include "common/metrics.h"
#include "tsdb/tsdb.h"

namespace vigil::server {

class MetricWriter final : public MetricSink {
 public:
  // db and logger must outlive the writer; metrics may be null.
  MetricWriter(tsdb::Db* db, Logger* logger, Registry* metrics);
  ~MetricWriter() override;  // Stop()s

  // Queues the data; drops it (counted in vigil_metric_writer_dropped_total) when more than
  // kMaxQueued datums wait already.
  void Put(const std::string& ns, std::vector<Datum> data) override;
  // Writes what is queued and stops the thread. Idempotent.
  void Stop();

  static constexpr size_t kMaxQueued = 1 << 20;

 private:
  void Run();
  void Write(const std::string& ns, std::vector<Datum>& data);

  tsdb::Db* const db_;
  Logger* const logger_;
  Counter* dropped_;
  Counter* written_;
  Counter fallback_[2];
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::pair<std::string, std::vector<Datum>>> queue_;  // guarded by mu_
  size_t queued_ = 0;                                             // guarded by mu_
  bool stop_ = false;                                             // guarded by mu_
  std::thread thread_;
};

}  // namespace vigil::server
