#pragma once
// The instances' output into the log store: group /vigil/<app>, a stream per instance, an event
// per line, stamped when Vigil read it. Add() (on each instance's output thread) only queues;
// one thread ships every ~200 ms, so a slow disk never blocks an instance writing its output.
#include <condition_variable>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <utility>

#include "common/clock.h"
#include "common/logging.h"
#include "common/metrics.h"
#include "logs/logs.h"

namespace vigil::server {

class LogShipper {
 public:
  // store, clock and logger must outlive the shipper; metrics may be null.
  LogShipper(logs::Store* store, const Clock* clock, Logger* logger, Registry* metrics);
  ~LogShipper();  // Stop()s

  // Queues output of an instance. Beyond kMaxPending bytes waiting in all, output is dropped
  // (counted in vigil_log_shipper_dropped_bytes_total, and said once in the server's log).
  void Add(const std::string& app, const std::string& instance, std::string_view bytes);
  // Ships what is queued (a partial last line included) and stops the thread. Idempotent.
  void Stop();

  static constexpr size_t kMaxPending = 16 << 20;

 private:
  struct Pending {
    std::string bytes;     // not yet shipped; may end within a line
    int64_t first_ms = 0;  // when its oldest byte was read
    int64_t last_ms = 0;   // when its newest byte was read
  };
  void Run();
  // Ships the complete lines of every pending buffer, and partial ones too when `all` or when
  // they have waited a second.
  void Ship(bool all);

  logs::Store* const store_;
  const Clock* const clock_;
  Logger* const logger_;
  Counter* dropped_ = nullptr;
  Counter* shipped_ = nullptr;
  std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::pair<std::string, std::string>, Pending> pending_;  // guarded by mu_
  size_t pending_bytes_ = 0;                                        // guarded by mu_
  bool dropping_ = false;                                           // guarded by mu_
  bool stop_ = false;                                               // guarded by mu_
  std::thread thread_;
};

}  // namespace vigil::server
