// vigil_bench_lbload: the fault-load client of bench/lb/run.sh, and the supervisor probes.
//
//   vigil_bench_lbload load URL [--connections 8] [--duration 20] [--timeout 10]
//                      [--fault-at S (--fault-pid PID --fault-signal KILL|STOP | --fault-cmd CMD)]
//                      [--window 10] [--slow-ms 100] [--timeline FILE]
//   vigil_bench_lbload startup --port N [--runs 5] -- COMMAND [ARGS...]
//   vigil_bench_lbload recover --port N --pid PID [--signal KILL|STOP] [--timeout 10]
//                      [--interval-ms 1] [--probe-timeout-ms 50]
//
// load (load.cc): keep-alive clients recording every request, a fault made at a set time.
// startup, recover (probe.cc): the app's own start time; a supervisor's time to heal a port.
#include <signal.h>

#include <cstdio>
#include <string_view>

#include "bench/lb/lbload.h"

namespace vigil::benchlb {

int Usage() {
  std::fputs(
      "usage: vigil_bench_lbload load URL [--connections N] [--duration S] [--timeout S]\n"
      "         [--fault-at S (--fault-pid PID --fault-signal KILL|STOP | --fault-cmd CMD)]\n"
      "         [--window S] [--slow-ms MS] [--timeline FILE]\n"
      "       vigil_bench_lbload startup --port N [--runs R] -- COMMAND [ARGS...]\n"
      "       vigil_bench_lbload recover --port N --pid PID [--signal KILL|STOP] [--timeout S]\n"
      "         [--interval-ms MS] [--probe-timeout-ms MS]\n",
      stderr);
  return 2;
}

}  // namespace vigil::benchlb

int main(int argc, char** argv) {
  using namespace vigil::benchlb;
  ::signal(SIGPIPE, SIG_IGN);
  std::string_view command = argc >= 2 ? argv[1] : "";
  if (command == "load") return RunLoad(argc - 2, argv + 2);
  if (command == "startup") return RunStartup(argc - 2, argv + 2);
  if (command == "recover") return RunRecover(argc - 2, argv + 2);
  return Usage();
}
