// vigil_bench_lbload load (lbload.h): keep-alive clients that record every request, and a fault
// made at a set time.
//
// N connections, one thread each, send `GET /` back to back for --duration seconds, then finish
// the request in flight (at most --timeout). Every request is recorded: start, end, result (2xx;
// connect error; connection died before a whole answer; non-2xx; no answer within --timeout) and
// which process answered (X-Backend / X-Backend-Pid of vigil_bench_backend). A failed request
// closes its connection and the next one reconnects. At --fault-at seconds the fault is made: a
// signal sent from here (its time is exact), or a shell command (its time is when it returns).
// One JSON object on stdout; bench/README.md "## lb" says what each field means.
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "bench/lb/client.h"
#include "bench/lb/lbload.h"

namespace vigil::benchlb {
namespace {

enum Result : uint8_t { kOk, kConnect, kDied, kStatus, kTimeout };
constexpr const char* kResultNames[] = {"ok", "connect", "died", "status", "timeout"};

struct Record {
  int64_t start_ns;
  int64_t end_ns;
  int32_t pid;  // of the process that answered; 0 unless kOk
  uint16_t port;
  Result result;
};

struct LoadOptions {
  sockaddr_in addr{};
  std::string request;
  int64_t end_ns = 0;
  int64_t timeout_ns = 0;
};

// Sends on one request and reads its answer within the deadline; the connection (*fd, buffer
// *buf) is closed and set to -1 when the request failed or the server closes.
Record OneRequest(const LoadOptions& opts, int* fd, std::string* buf) {
  Record r{NowNs(), 0, 0, 0, kOk};
  const int64_t deadline = r.start_ns + opts.timeout_ns;
  if (*fd < 0) {
    *fd = Connect(opts.addr, deadline);
    buf->clear();
    if (*fd < 0) {
      r.end_ns = NowNs();
      r.result = r.end_ns >= deadline ? kTimeout : kConnect;
      return r;
    }
  }
  bool sent = ::send(*fd, opts.request.data(), opts.request.size(), MSG_NOSIGNAL) ==
              static_cast<ssize_t>(opts.request.size());
  Answer a;
  int64_t used = 0;
  bool eof = false;
  char chunk[16 * 1024];
  while (sent) {
    used = ParseAnswer(*buf, eof, &a);
    if (used > 0 || used == -2 || eof) break;
    int64_t left = deadline - NowNs();
    pollfd p{*fd, POLLIN, 0};
    int ready = left <= 0 ? 0 : ::poll(&p, 1, static_cast<int>((left + 999'999) / 1'000'000));
    if (ready < 0 && errno == EINTR) continue;
    if (ready == 0) {
      r.result = kTimeout;
      break;
    }
    ssize_t n = ::recv(*fd, chunk, sizeof(chunk), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) eof = true;
    if (n > 0) buf->append(chunk, static_cast<size_t>(n));
  }
  r.end_ns = NowNs();
  if (r.result == kOk && used <= 0) r.result = kDied;
  if (r.result == kOk) {
    r.pid = a.pid;
    r.port = a.port;
    if (a.status < 200 || a.status > 299) r.result = kStatus;
    buf->erase(0, static_cast<size_t>(used));
  }
  if (r.result == kTimeout || r.result == kDied || a.close) {
    ::close(*fd);
    *fd = -1;
  }
  return r;
}

// One keep-alive connection, sending back to back until opts.end_ns.
void Worker(const LoadOptions& opts, std::vector<Record>* out) {
  int fd = -1;
  std::string buf;
  while (NowNs() < opts.end_ns) {
    out->push_back(OneRequest(opts, &fd, &buf));
    // A refused connect costs nothing: pause rather than count thousands of them.
    if (out->back().result == kConnect) ::usleep(10'000);
  }
  if (fd >= 0) ::close(fd);
}

double PercentileMs(std::vector<int64_t>& ns, double q) {
  if (ns.empty()) return 0;
  size_t k = std::min(ns.size() - 1, static_cast<size_t>(q * static_cast<double>(ns.size())));
  std::nth_element(ns.begin(), ns.begin() + static_cast<ptrdiff_t>(k), ns.end());
  return static_cast<double>(ns[k]) / 1e6;
}

double Seconds(int64_t ns) { return static_cast<double>(ns) / 1e9; }

// Counts over the whole load: "total", "ok", "failed", "over_500ms", "over_1s" (every request,
// failed ones too), "max_ms", "p50_ms", "p99_ms", "rps" (2xx per second), "failures" by kind.
void PrintTotals(const std::vector<Record>& all, int connections, double seconds) {
  long long failed = 0, over_500 = 0, over_1s = 0, by_kind[5] = {};
  int64_t max_ns = 0;
  std::vector<int64_t> latencies;
  latencies.reserve(all.size());
  for (const Record& r : all) {
    int64_t l = r.end_ns - r.start_ns;
    latencies.push_back(l);
    by_kind[r.result]++;
    failed += r.result != kOk;
    over_500 += l > 500'000'000;
    over_1s += l > 1'000'000'000;
    max_ns = std::max(max_ns, l);
  }
  std::printf(
      "{\"connections\":%d,\"seconds\":%.3f,\"total\":%zu,\"ok\":%lld,\"failed\":%lld,"
      "\"over_500ms\":%lld,\"over_1s\":%lld,\"max_ms\":%.3f,\"p50_ms\":%.3f,\"p99_ms\":%.3f,"
      "\"rps\":%.1f,\"failures\":{",
      connections, seconds, all.size(), by_kind[kOk], failed, over_500, over_1s,
      static_cast<double>(max_ns) / 1e6, PercentileMs(latencies, 0.5),
      PercentileMs(latencies, 0.99), static_cast<double>(by_kind[kOk]) / seconds);
  for (int k = 1; k < 5; ++k)
    std::printf("%s\"%s\":%lld", k > 1 ? "," : "", kResultNames[k], by_kind[k]);
  std::printf("}");
}

// The fault's fields: "before_rps"/"after_rps" (2xx answers completed in the window before and
// after the fault, per second), "out_s" (when the last request the fault hit ended: one in flight
// at the fault or sent later that failed or took slow_ns or more; from then on the clients no
// longer meet the faulty instance; 0 when none was hit; null when one still ended in the load's
// last second or later: not out by the end), "back_s" (the first 2xx from a
// process that had not answered before the fault: a restarted or replacement instance), and
// which processes answered, relative to the fault.
void PrintFault(const std::vector<Record>& all, int64_t fault_ns, int64_t end_ns, int64_t t_end,
                double window, int64_t slow_ns) {
  const int64_t w = static_cast<int64_t>(window * 1e9);
  int64_t before = 0, after = 0, last_hit = -1, back = -1;
  std::map<int32_t, bool> seen_before;
  for (const Record& r : all) {
    if (r.result == kOk && r.end_ns <= fault_ns) seen_before[r.pid] = true;
    if (r.result == kOk && r.end_ns <= fault_ns && r.end_ns > fault_ns - w) before++;
    if (r.result == kOk && r.end_ns > fault_ns && r.end_ns <= fault_ns + w) after++;
    if (r.end_ns > fault_ns && (r.result != kOk || r.end_ns - r.start_ns >= slow_ns)) {
      last_hit = std::max(last_hit, r.end_ns);
    }
  }
  for (const Record& r : all) {
    if (r.result == kOk && r.start_ns > fault_ns && !seen_before.count(r.pid) &&
        (back < 0 || r.end_ns < back)) {
      back = r.end_ns;
    }
  }
  const double before_rps = static_cast<double>(before) / window;
  const double after_rps = static_cast<double>(after) / std::min(window, Seconds(t_end - fault_ns));
  std::printf(",\"window_s\":%.1f,\"before_rps\":%.1f,\"after_rps\":%.1f,\"after_before\":%.3f",
              window, before_rps, after_rps, before_rps > 0 ? after_rps / before_rps : 0.0);
  if (last_hit < 0) {
    std::printf(",\"out_s\":0");
  } else if (last_hit > end_ns - 1'000'000'000) {
    std::printf(",\"out_s\":null");
  } else {
    std::printf(",\"out_s\":%.3f", Seconds(std::max<int64_t>(0, last_hit - fault_ns)));
  }
  if (back < 0) {
    std::printf(",\"back_s\":null");
  } else {
    std::printf(",\"back_s\":%.3f", Seconds(back - fault_ns));
  }
  struct Seen {
    uint16_t port = 0;
    long long answers = 0;
    int64_t first = 0, last = 0;
  };
  std::map<int32_t, Seen> by_pid;
  for (const Record& r : all) {
    if (r.result != kOk) continue;
    Seen& s = by_pid[r.pid];
    if (s.answers++ == 0) s = {r.port, 1, r.end_ns, r.end_ns};
    s.first = std::min(s.first, r.end_ns);
    s.last = std::max(s.last, r.end_ns);
  }
  std::printf(",\"backends\":[");
  const char* sep = "";
  for (const auto& [pid, s] : by_pid) {
    std::printf("%s{\"pid\":%d,\"port\":%u,\"answers\":%lld,\"first_s\":%.3f,\"last_s\":%.3f}", sep,
                pid, s.port, s.answers, Seconds(s.first - fault_ns), Seconds(s.last - fault_ns));
    sep = ",";
  }
  std::printf("]");
}

// Per 100 ms of start time (relative to ref): requests sent, 2xx, failed, max latency.
void WriteTimeline(const std::string& path, const std::vector<Record>& all, int64_t t0,
                   int64_t ref) {
  FILE* f = std::fopen(path.c_str(), "w");
  if (f == nullptr) return;
  std::fprintf(f, "t_s\tsent\tok\tfailed\tmax_ms\n");
  size_t i = 0;
  for (int64_t bin = t0; i < all.size(); bin += 100'000'000) {
    long long sent = 0, ok = 0;
    int64_t max_ns = 0;
    for (; i < all.size() && all[i].start_ns < bin + 100'000'000; ++i) {
      sent++;
      ok += all[i].result == kOk;
      max_ns = std::max(max_ns, all[i].end_ns - all[i].start_ns);
    }
    std::fprintf(f, "%.1f\t%lld\t%lld\t%lld\t%.3f\n", Seconds(bin - ref), sent, ok, sent - ok,
                 static_cast<double>(max_ns) / 1e6);
  }
  std::fclose(f);
}

}  // namespace

int RunLoad(int argc, char** argv) {
  if (argc < 1) return Usage();
  LoadOptions opts;
  std::string host, path;
  if (!ResolveUrl(argv[0], &opts.addr, &host, &path)) {
    std::fprintf(stderr, "vigil_bench_lbload: cannot use URL %s\n", argv[0]);
    return 2;
  }
  int connections = 8, fault_pid = 0;
  double duration = 20, timeout = 10, fault_at = -1, window = 10, slow_ms = 100;
  std::string fault_signal = "KILL", fault_cmd, timeline;
  if (!ParseFlags(argc - 1, argv + 1,
                  {{"--connections", &connections},
                   {"--duration", &duration},
                   {"--timeout", &timeout},
                   {"--fault-at", &fault_at},
                   {"--fault-pid", &fault_pid},
                   {"--fault-signal", &fault_signal},
                   {"--fault-cmd", &fault_cmd},
                   {"--window", &window},
                   {"--slow-ms", &slow_ms},
                   {"--timeline", &timeline}})) {
    return Usage();
  }
  opts.request = "GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\n\r\n";
  opts.timeout_ns = static_cast<int64_t>(timeout * 1e9);
  const int64_t t0 = NowNs();
  opts.end_ns = t0 + static_cast<int64_t>(duration * 1e9);
  std::vector<std::vector<Record>> records(static_cast<size_t>(std::max(1, connections)));
  std::vector<std::thread> threads;
  for (auto& r : records) {
    r.reserve(1 << 18);
    threads.emplace_back(Worker, std::cref(opts), &r);
  }
  int64_t fault_ns = -1, fault_epoch_ms = 0;
  if (fault_at >= 0) {
    const int64_t at = t0 + static_cast<int64_t>(fault_at * 1e9);
    for (int64_t now = NowNs(); now < at; now = NowNs()) {
      ::usleep(static_cast<useconds_t>(std::min<int64_t>(1000, (at - now) / 1000 + 1)));
    }
    int rc = 0;
    if (fault_pid > 0) rc = ::kill(fault_pid, SignalNumber(fault_signal));
    if (!fault_cmd.empty()) rc = std::system(fault_cmd.c_str());
    fault_ns = NowNs();
    fault_epoch_ms = EpochMs();
    if (rc != 0) std::fprintf(stderr, "vigil_bench_lbload: the fault failed (%d)\n", rc);
  }
  for (auto& t : threads) t.join();
  const int64_t t_end = NowNs();

  std::vector<Record> all;
  for (auto& r : records) all.insert(all.end(), r.begin(), r.end());
  std::sort(all.begin(), all.end(),
            [](const Record& a, const Record& b) { return a.start_ns < b.start_ns; });
  PrintTotals(all, connections, Seconds(t_end - t0));
  if (fault_ns >= 0) {
    std::printf(",\"fault_at_s\":%.3f,\"fault_epoch_ms\":%lld,\"slow_ms\":%.0f",
                Seconds(fault_ns - t0), static_cast<long long>(fault_epoch_ms), slow_ms);
    PrintFault(all, fault_ns, opts.end_ns, t_end, window, static_cast<int64_t>(slow_ms * 1e6));
  }
  std::printf("}\n");
  if (!timeline.empty()) WriteTimeline(timeline, all, t0, fault_ns >= 0 ? fault_ns : t0);
  return 0;
}

}  // namespace vigil::benchlb
