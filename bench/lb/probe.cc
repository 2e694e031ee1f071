// vigil_bench_lbload startup and recover: probes of one backend port (lbload.h).
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "bench/lb/client.h"
#include "bench/lb/lbload.h"

namespace vigil::benchlb {

// recover: makes the fault (a signal to pid), then probes /health on the port every
// --interval-ms until a process other than pid answers 200: the supervisor's crash-to-healthy
// (SIGKILL) or hang-to-replaced (SIGSTOP) time, as a client of the port sees it.
int RunRecover(int argc, char** argv) {
  int port = 0, pid = 0;
  double timeout_s = 10, interval_ms = 1, probe_ms = 50;
  std::string signal_name = "KILL";
  if (!ParseFlags(argc, argv,
                  {{"--port", &port},
                   {"--pid", &pid},
                   {"--signal", &signal_name},
                   {"--timeout", &timeout_s},
                   {"--interval-ms", &interval_ms},
                   {"--probe-timeout-ms", &probe_ms}})) {
    return Usage();
  }
  const int signal = SignalNumber(signal_name);
  if (port <= 0 || pid <= 0) return Usage();
  if (::kill(pid, signal) != 0) {
    std::fprintf(stderr, "vigil_bench_lbload: kill %d: %s\n", pid, std::strerror(errno));
    return 1;
  }
  const int64_t t0 = NowNs();
  int64_t probes = 0;
  while (NowNs() - t0 < static_cast<int64_t>(timeout_s * 1e9)) {
    int32_t answered = 0;
    probes++;
    if (HealthOk(port, static_cast<int>(probe_ms), &answered) && answered != pid) {
      std::printf("{\"recover_ms\":%.3f,\"new_pid\":%d,\"probes\":%lld}\n",
                  static_cast<double>(NowNs() - t0) / 1e6, answered,
                  static_cast<long long>(probes));
      return 0;
    }
    ::usleep(static_cast<useconds_t>(interval_ms * 1000));
  }
  std::printf("{\"recover_ms\":null,\"timeout_s\":%.1f,\"probes\":%lld}\n", timeout_s,
              static_cast<long long>(probes));
  return 0;
}

// startup: starts COMMAND, polls GET /health on 127.0.0.1:PORT every 0.2 ms until it answers
// 200 (fork to answer: exec, loading, listening), stops it with SIGTERM; prints every run and
// the median: the app's own start time, which a supervisor's restart cannot beat.
int RunStartup(int argc, char** argv) {
  int port = 0, runs = 5, i = 0;
  while (i < argc && std::string_view(argv[i]) != "--") ++i;
  if (!ParseFlags(i, argv, {{"--port", &port}, {"--runs", &runs}})) return Usage();
  if (port <= 0 || i + 1 >= argc) return Usage();
  char** command = argv + i + 1;
  std::vector<double> ms;
  for (int run = 0; run < runs; ++run) {
    const int64_t t0 = NowNs();
    pid_t pid = ::fork();
    if (pid == 0) {
      int null = ::open("/dev/null", O_WRONLY);
      ::dup2(null, 1);
      ::execvp(command[0], command);
      ::_exit(127);
    }
    bool up = false;
    while (!(up = HealthOk(port, 100)) && NowNs() - t0 < 10'000'000'000) {
      if (::waitpid(pid, nullptr, WNOHANG) == pid) break;
      ::usleep(200);
    }
    const int64_t t1 = NowNs();
    ::kill(pid, SIGTERM);
    ::waitpid(pid, nullptr, 0);
    if (!up) {
      std::fprintf(stderr, "vigil_bench_lbload: %s never answered on port %d\n", command[0], port);
      return 1;
    }
    ms.push_back(static_cast<double>(t1 - t0) / 1e6);
  }
  std::vector<double> sorted = ms;
  std::sort(sorted.begin(), sorted.end());
  std::printf("{\"start_ms_median\":%.3f,\"start_ms\":[", sorted[sorted.size() / 2]);
  for (size_t k = 0; k < ms.size(); ++k) std::printf("%s%.3f", k ? "," : "", ms[k]);
  std::printf("]}\n");
  return 0;
}

}  // namespace vigil::benchlb
