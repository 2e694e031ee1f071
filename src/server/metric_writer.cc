#include "server/metric_writer.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "common/thread_name.h"

namespace vigil::server {

MetricWriter::MetricWriter(tsdb::Db* db, Logger* logger, Registry* metrics)
    : db_(db), logger_(logger) {
  dropped_ = metrics ? metrics->NewCounter("vigil_metric_writer_dropped_total",
                                           "Measurements of Vigil's own samplers dropped because "
                                           "the store fell behind")
                     : &fallback_[0];
  written_ = metrics ? metrics->NewCounter("vigil_metric_writer_written_total",
                                           "Measurements of Vigil's own samplers stored")
                     : &fallback_[1];
  thread_ = std::thread([this] {
    SetThreadName("vigil-metrics");
    Run();
  });
}

MetricWriter::~MetricWriter() { Stop(); }

void MetricWriter::Put(const std::string& ns, std::vector<Datum> data) {
  if (data.empty()) return;
  {
    std::lock_guard l(mu_);
    if (!stop_ && queued_ + data.size() <= kMaxQueued) {
      queued_ += data.size();
      queue_.emplace_back(ns, std::move(data));
      cv_.notify_one();
      return;
    }
  }
  dropped_->Add(data.size());
}

void MetricWriter::Stop() {
  {
    std::lock_guard l(mu_);
    if (stop_) return;
    stop_ = true;
  }
  cv_.notify_one();
  if (thread_.joinable()) thread_.join();
}

void MetricWriter::Run() {
  std::unique_lock l(mu_);
  for (;;) {
    cv_.wait(l, [&] { return stop_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopping, and everything is written
    auto batch = std::move(queue_);
    queue_.clear();
    queued_ = 0;
    l.unlock();
    for (auto& [ns, data] : batch) Write(ns, data);
    l.lock();
  }
}

void MetricWriter::Write(const std::string& ns, std::vector<Datum>& data) {
  // One SeriesSamples per series of the batch (a histogram sends many datums of one series).
  std::map<tsdb::SeriesKey, size_t> index;
  std::vector<tsdb::SeriesSamples> series;
  size_t bad = 0;
  for (Datum& d : data) {
    std::vector<tsdb::Dimension> dims;
    for (auto& [name, value] : d.dimensions) dims.push_back({std::move(name), std::move(value)});
    auto key = tsdb::MakeSeriesKey(ns, std::move(d.metric), std::move(dims));
    if (!key.ok() || !std::isfinite(d.value) || !(d.count > 0)) {
      ++bad;
      continue;
    }
    auto [it, added] = index.emplace(std::move(*key), series.size());
    if (added) {
      series.push_back(tsdb::SeriesSamples{it->first, d.unit, {}, {}});
    }
    series[it->second].raw.push_back({d.timestamp_ms, d.value, d.count});
  }
  if (bad > 0) {
    dropped_->Add(bad);
    logger_->Warning("metrics",
                     "dropped " + std::to_string(bad) + " invalid " + ns + " measurements");
  }
  if (series.empty()) return;
  Status st = db_->Append(series);
  if (!st.ok()) {
    dropped_->Add(data.size() - bad);
    logger_->Warning("metrics", "storing " + ns + " measurements: " + st.ToString());
    return;
  }
  written_->Add(data.size() - bad);
}

}  // namespace vigil::server
