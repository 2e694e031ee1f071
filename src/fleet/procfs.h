#pragma once
// Sampling /proc (Linux): what a process group uses (CPU, memory, threads, open files) and what
// the host has (CPU, memory, network). Private to vigil::fleet; the supervisor samples each
// instance's group and the host once per sampling round and turns two samples into rates.
//
// Every function reads /proc afresh and keeps no state: thread-safe.
#include <sys/types.h>

#include <cstdint>
#include <map>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace vigil::fleet {

// What every process of one process group uses now, summed over the group.
struct ProcessSample {
  int64_t cpu_ns = 0;     // user + system CPU time consumed so far
  int64_t rss_bytes = 0;  // resident memory
  int threads = 0;
  int open_fds = 0;
  int processes = 0;  // processes found in the group
  char state = '?';   // the group leader's state (R, S, D, Z, T, ...); '?' when it is gone
};

// Samples the group `pgid` by scanning /proc once. A process that exits during the scan is left
// out; one whose fd directory cannot be read (another user's) counts 0 open fds.
// NotFound when no process of the group exists; InvalidArgument when pgid <= 0; Unavailable
// when /proc cannot be listed.
StatusOr<ProcessSample> SampleProcessGroup(pid_t pgid);

// The same for several groups in one scan of /proc (what a sampling round of the fleet needs):
// a sample for each group with at least one process. Unavailable when /proc cannot be listed.
StatusOr<std::map<pid_t, ProcessSample>> SampleProcessGroups(const std::vector<pid_t>& pgids);

// The start time of `pid` in clock ticks since boot (field 22 of /proc/PID/stat). A pid with
// another start time than before belongs to another process that reuses the number.
// NotFound when the process does not exist; InvalidArgument when its stat cannot be parsed.
StatusOr<uint64_t> ProcessStartTime(pid_t pid);

// The host as a whole. Counters (ticks, bytes, packets) grow from boot on; rates come from two
// samples.
struct HostSample {
  uint64_t cpu_busy_ticks = 0;   // all CPUs: total less idle and iowait
  uint64_t cpu_total_ticks = 0;  // all CPUs: user + nice + system + idle + iowait + irq +
                                 // softirq + steal
  int64_t mem_total_bytes = 0;
  int64_t mem_available_bytes = 0;  // the kernel's estimate of what could be allocated
  uint64_t net_rx_bytes = 0;        // every interface except "lo"
  uint64_t net_tx_bytes = 0;
  uint64_t net_rx_packets = 0;
  uint64_t net_tx_packets = 0;
  int cpus = 0;  // online
};

// Reads /proc/stat, /proc/meminfo and /proc/net/dev. Unavailable when one cannot be read;
// InvalidArgument naming the file when one cannot be parsed.
StatusOr<HostSample> SampleHost();

// CPU use between two samples of one process (group) in percent of one core, as `top` shows
// it: 100 is one core busy, 200 two. 0 when wall_ns_delta <= 0 or cpu_ns_delta < 0 (the
// process was replaced between the samples).
double CpuPercent(int64_t cpu_ns_delta, int64_t wall_ns_delta);

// Host CPU utilization between two samples, 0..100 over all cores. 0 when no tick passed or the
// counters went backwards (`after` is not later than `before`).
double HostCpuPercent(const HostSample& before, const HostSample& after);

// --- exposed for tests -----------------------------------------------------------------------
// Pure parsers of /proc file text. Each returns InvalidArgument naming the file and what is
// wrong when the text is malformed.

// The fields of /proc/PID/stat that the sampling needs.
struct ProcStat {
  pid_t pid = 0;
  char state = '?';
  pid_t pgrp = 0;
  uint64_t utime_ticks = 0;  // field 14
  uint64_t stime_ticks = 0;  // field 15
  int64_t num_threads = 0;   // field 20
  uint64_t start_ticks = 0;  // field 22
  int64_t rss_pages = 0;     // field 24
};

// Parses one /proc/PID/stat line. The command name (field 2) is in parentheses and may itself
// hold spaces and parentheses: the fields after it start after the LAST ')'. `path` names the
// file in errors.
StatusOr<ProcStat> ParseProcStat(std::string_view text, std::string_view path);

// Fills cpu_busy_ticks and cpu_total_ticks from the "cpu " line of /proc/stat.
Status ParseHostCpu(std::string_view text, HostSample* sample);

// Fills mem_total_bytes and mem_available_bytes from /proc/meminfo (MemTotal, MemAvailable).
Status ParseMeminfo(std::string_view text, HostSample* sample);

// Fills the net_* fields from /proc/net/dev, summed over every interface except "lo".
Status ParseNetDev(std::string_view text, HostSample* sample);

}  // namespace vigil::fleet
