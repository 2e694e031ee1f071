#include "server/log_shipper.h"

#include <vector>

#include "common/thread_name.h"

namespace vigil::server {
namespace {

constexpr auto kShipEvery = std::chrono::milliseconds(200);
constexpr int64_t kPartialLineWaitMs = 1000;  // a line without its end ships after this
constexpr size_t kMaxBatchEvents = 10'000;
constexpr size_t kMaxBatchBytes = 1'000'000;  // under PutLogEvents' 1,048,576
constexpr size_t kMaxEventBytes = 256 * 1024 - 26;

}  // namespace

LogShipper::LogShipper(logs::Store* store, const Clock* clock, Logger* logger, Registry* metrics)
    : store_(store), clock_(clock), logger_(logger) {
  if (metrics != nullptr) {
    dropped_ = metrics->NewCounter("vigil_log_shipper_dropped_bytes_total",
                                   "Instance output dropped: the log store fell behind", {});
    shipped_ = metrics->NewCounter("vigil_log_shipper_events_total",
                                   "Lines of instance output stored as log events", {});
  }
  thread_ = std::thread([this] {
    SetThreadName("vigil-logship");
    Run();
  });
}

LogShipper::~LogShipper() { Stop(); }

void LogShipper::Add(const std::string& app, const std::string& instance, std::string_view bytes) {
  const int64_t now = clock_->NowMillis();
  std::lock_guard l(mu_);
  if (pending_bytes_ + bytes.size() > kMaxPending) {
    if (dropped_ != nullptr) dropped_->Add(bytes.size());
    if (!dropping_) {
      dropping_ = true;
      logger_->Warning("logs",
                       "instance output arrives faster than it can be stored; dropping "
                       "until the backlog clears");
    }
    return;
  }
  dropping_ = false;
  Pending& p = pending_[{app, instance}];
  if (p.bytes.empty()) p.first_ms = now;
  p.last_ms = now;
  p.bytes.append(bytes);
  pending_bytes_ += bytes.size();
}

void LogShipper::Run() {
  std::unique_lock l(mu_);
  while (!stop_) {
    cv_.wait_for(l, kShipEvery);
    if (stop_) break;
    l.unlock();
    Ship(/*all=*/false);
    l.lock();
  }
}

void LogShipper::Ship(bool all) {
  struct Ready {
    std::string group, stream, text;
    int64_t at_ms = 0;
  };
  std::vector<Ready> ready;
  {
    const int64_t now = clock_->NowMillis();
    std::lock_guard l(mu_);
    for (auto it = pending_.begin(); it != pending_.end();) {
      Pending& p = it->second;
      size_t cut = p.bytes.rfind('\n');
      cut = cut == std::string::npos ? 0 : cut + 1;
      if (all || now - p.first_ms >= kPartialLineWaitMs) cut = p.bytes.size();
      if (cut > 0) {
        ready.push_back(
            {"/vigil/" + it->first.first, it->first.second, p.bytes.substr(0, cut), p.last_ms});
        p.bytes.erase(0, cut);
        pending_bytes_ -= cut;
        p.first_ms = p.last_ms;
      }
      it = p.bytes.empty() ? pending_.erase(it) : std::next(it);
    }
  }
  for (const Ready& r : ready) {
    std::vector<logs::InputEvent> batch;
    size_t batch_bytes = 0;
    auto send = [&] {
      if (batch.empty()) return;
      StatusOr<logs::PutResult> put = store_->PutEvents(r.group, r.stream, batch, /*create=*/true);
      if (!put.ok()) {
        logger_->Warning("logs", "storing output of " + r.stream + ": " + put.status().message());
      } else if (shipped_ != nullptr) {
        shipped_->Add(static_cast<uint64_t>(put->accepted));
      }
      batch.clear();
      batch_bytes = 0;
    };
    std::string_view text = r.text;
    while (!text.empty()) {
      size_t end = text.find('\n');
      std::string_view line = text.substr(0, end);
      text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      while (!line.empty()) {
        const std::string_view piece = line.substr(0, kMaxEventBytes);
        line.remove_prefix(piece.size());
        if (batch.size() >= kMaxBatchEvents || batch_bytes + piece.size() + 26 > kMaxBatchBytes) {
          send();
        }
        batch.push_back({r.at_ms, std::string(piece)});
        batch_bytes += piece.size() + 26;
      }
    }
    send();
  }
}

void LogShipper::Stop() {
  {
    std::lock_guard l(mu_);
    if (stop_) return;
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  Ship(/*all=*/true);
}

}  // namespace vigil::server
