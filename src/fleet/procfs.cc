#include "fleet/procfs.h"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <limits>
#include <memory>
#include <map>
#include <string>
#include <vector>

namespace vigil::fleet {
namespace {

constexpr std::string_view kBlanks = " \t\r\n";

std::string_view Trim(std::string_view s) {
  const size_t begin = s.find_first_not_of(kBlanks);
  if (begin == std::string_view::npos) return {};
  return s.substr(begin, s.find_last_not_of(kBlanks) - begin + 1);
}

std::vector<std::string_view> SplitBlanks(std::string_view s) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (true) {
    i = s.find_first_not_of(kBlanks, i);
    if (i == std::string_view::npos) return out;
    size_t end = s.find_first_of(kBlanks, i);
    if (end == std::string_view::npos) end = s.size();
    out.push_back(s.substr(i, end - i));
    i = end;
  }
}

std::vector<std::string_view> SplitLines(std::string_view s) {
  std::vector<std::string_view> out;
  while (!s.empty()) {
    const size_t nl = s.find('\n');
    out.push_back(s.substr(0, nl));
    if (nl == std::string_view::npos) break;
    s.remove_prefix(nl + 1);
  }
  return out;
}

// Parses all of `token` as a decimal integer of type T.
template <typename T>
bool ParseInt(std::string_view token, T* out) {
  const char* end = token.data() + token.size();
  auto [ptr, ec] = std::from_chars(token.data(), end, *out);
  return !token.empty() && ec == std::errc() && ptr == end;
}

Status Malformed(std::string_view path, std::string_view what) {
  return InvalidArgumentError(std::string(path) + ": " + std::string(what));
}

// The whole file. NotFound when it (or its process) does not exist; Unavailable otherwise.
StatusOr<std::string> ReadProcFile(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    const int err = errno;
    if (err == ENOENT || err == ESRCH) return NotFoundError(path + " does not exist");
    return IoError("open", path, err);
  }
  std::string text;
  char buf[4096];
  while (true) {
    const ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;
      ::close(fd);
      if (err == ESRCH) return NotFoundError(path + " vanished while read");
      return IoError("read", path, err);
    }
    if (n == 0) break;
    text.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return text;
}

// /proc/... of the host: whatever goes wrong reading it is Unavailable.
StatusOr<std::string> ReadHostFile(const std::string& path) {
  auto text = ReadProcFile(path);
  if (!text.ok() && text.status().code() != StatusCode::kUnavailable) {
    return UnavailableError(text.status().message());
  }
  return text;
}

struct DirCloser {
  void operator()(DIR* dir) const { ::closedir(dir); }
};
using DirPtr = std::unique_ptr<DIR, DirCloser>;

bool AllDigits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

// Entries of /proc/PID/fd; 0 when the directory cannot be read (gone, another user's).
int CountOpenFds(std::string_view pid) {
  const std::string path = "/proc/" + std::string(pid) + "/fd";
  DirPtr dir(::opendir(path.c_str()));
  if (dir == nullptr) return 0;
  int count = 0;
  while (const dirent* entry = ::readdir(dir.get())) {
    if (entry->d_name[0] != '.') ++count;
  }
  return count;
}

int64_t TicksToNs(uint64_t ticks, int64_t ticks_per_second) {
  const uint64_t hz = static_cast<uint64_t>(ticks_per_second);
  return static_cast<int64_t>(ticks / hz * 1'000'000'000 + ticks % hz * 1'000'000'000 / hz);
}

}  // namespace

StatusOr<ProcStat> ParseProcStat(std::string_view text, std::string_view path) {
  const size_t open = text.find('(');
  const size_t close = text.rfind(')');
  if (open == std::string_view::npos || close == std::string_view::npos || close < open) {
    return Malformed(path, "no command name in parentheses");
  }
  ProcStat stat;
  int64_t pid = 0;
  if (!ParseInt(Trim(text.substr(0, open)), &pid) || pid <= 0 ||
      pid > std::numeric_limits<pid_t>::max()) {
    return Malformed(path, "bad pid before the command name");
  }
  stat.pid = static_cast<pid_t>(pid);
  // Fields 3.. follow the last ')': fields[k - 3] is field k (proc(5) numbering).
  const std::vector<std::string_view> fields = SplitBlanks(text.substr(close + 1));
  if (fields.size() < 22) {
    return Malformed(path,
                     "expected at least 24 fields, found " + std::to_string(fields.size() + 2));
  }
  if (fields[0].size() != 1) return Malformed(path, "bad state field");
  stat.state = fields[0][0];
  int64_t pgrp = 0;
  if (!ParseInt(fields[2], &pgrp) || pgrp < 0 || pgrp > std::numeric_limits<pid_t>::max()) {
    return Malformed(path, "bad pgrp field");
  }
  stat.pgrp = static_cast<pid_t>(pgrp);
  if (!ParseInt(fields[11], &stat.utime_ticks)) return Malformed(path, "bad utime field");
  if (!ParseInt(fields[12], &stat.stime_ticks)) return Malformed(path, "bad stime field");
  if (!ParseInt(fields[17], &stat.num_threads)) return Malformed(path, "bad num_threads field");
  if (!ParseInt(fields[19], &stat.start_ticks)) return Malformed(path, "bad starttime field");
  if (!ParseInt(fields[21], &stat.rss_pages)) return Malformed(path, "bad rss field");
  return stat;
}

Status ParseHostCpu(std::string_view text, HostSample* sample) {
  constexpr std::string_view kPath = "/proc/stat";
  for (std::string_view line : SplitLines(text)) {
    if (!line.starts_with("cpu ")) continue;
    const std::vector<std::string_view> fields = SplitBlanks(line.substr(4));
    // user nice system idle [iowait irq softirq steal [guest guest_nice]]; guest time is
    // already counted in user and nice.
    if (fields.size() < 4) return Malformed(kPath, "fewer than 4 values on the \"cpu\" line");
    uint64_t values[8] = {};
    uint64_t total = 0;
    for (size_t i = 0; i < fields.size() && i < 8; ++i) {
      if (!ParseInt(fields[i], &values[i])) {
        return Malformed(kPath, "bad value '" + std::string(fields[i]) + "' on the \"cpu\" line");
      }
      total += values[i];
    }
    const uint64_t idle = values[3] + values[4];
    sample->cpu_total_ticks = total;
    sample->cpu_busy_ticks = total >= idle ? total - idle : 0;
    return OkStatus();
  }
  return Malformed(kPath, "no \"cpu\" line");
}

Status ParseMeminfo(std::string_view text, HostSample* sample) {
  constexpr std::string_view kPath = "/proc/meminfo";
  bool have_total = false;
  bool have_available = false;
  for (std::string_view line : SplitLines(text)) {
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    const std::string_view key = line.substr(0, colon);
    int64_t* dest = nullptr;
    if (key == "MemTotal") {
      dest = &sample->mem_total_bytes;
      have_total = true;
    } else if (key == "MemAvailable") {
      dest = &sample->mem_available_bytes;
      have_available = true;
    } else {
      continue;
    }
    const std::vector<std::string_view> words = SplitBlanks(line.substr(colon + 1));
    int64_t value = 0;
    if (words.empty() || words.size() > 2 || !ParseInt(words[0], &value) || value < 0 ||
        (words.size() == 2 && words[1] != "kB")) {
      return Malformed(kPath, "bad " + std::string(key) + " line");
    }
    if (words.size() == 2) {
      if (value > std::numeric_limits<int64_t>::max() / 1024) {
        return Malformed(kPath, std::string(key) + " out of range");
      }
      value *= 1024;
    }
    *dest = value;
  }
  if (!have_total) return Malformed(kPath, "no MemTotal line");
  if (!have_available) return Malformed(kPath, "no MemAvailable line");
  return OkStatus();
}

Status ParseNetDev(std::string_view text, HostSample* sample) {
  constexpr std::string_view kPath = "/proc/net/dev";
  const std::vector<std::string_view> lines = SplitLines(text);
  // Two header lines ("Inter-|   Receive ...", " face |bytes ..."), then one per interface:
  // "  eth0: rx bytes packets errs drop fifo frame compressed multicast, tx bytes packets errs
  // drop fifo colls carrier compressed".
  if (lines.size() < 2 || lines[0].find('|') == std::string_view::npos ||
      lines[1].find('|') == std::string_view::npos) {
    return Malformed(kPath, "missing the two header lines");
  }
  uint64_t rx_bytes = 0, tx_bytes = 0, rx_packets = 0, tx_packets = 0;
  for (size_t n = 2; n < lines.size(); ++n) {
    const std::string_view line = lines[n];
    if (Trim(line).empty()) continue;
    const std::string where = "line " + std::to_string(n + 1) + ": ";
    // Interface names cannot hold ':' (the kernel refuses them).
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos) return Malformed(kPath, where + "no ':'");
    const std::string_view name = Trim(line.substr(0, colon));
    const std::vector<std::string_view> fields = SplitBlanks(line.substr(colon + 1));
    if (name.empty() || fields.size() != 16) {
      return Malformed(kPath, where + "expected an interface name and 16 counters");
    }
    uint64_t values[16] = {};
    for (size_t i = 0; i < 16; ++i) {
      if (!ParseInt(fields[i], &values[i])) return Malformed(kPath, where + "bad counter");
    }
    if (name == "lo") continue;
    rx_bytes += values[0];
    rx_packets += values[1];
    tx_bytes += values[8];
    tx_packets += values[9];
  }
  sample->net_rx_bytes = rx_bytes;
  sample->net_tx_bytes = tx_bytes;
  sample->net_rx_packets = rx_packets;
  sample->net_tx_packets = tx_packets;
  return OkStatus();
}

StatusOr<std::map<pid_t, ProcessSample>> SampleProcessGroups(const std::vector<pid_t>& pgids) {
  DirPtr proc(::opendir("/proc"));
  if (proc == nullptr) return IoError("opendir", "/proc", errno);
  const int64_t hz = ::sysconf(_SC_CLK_TCK);
  const int64_t page_size = ::sysconf(_SC_PAGESIZE);
  std::map<pid_t, ProcessSample> samples;
  while (const dirent* entry = ::readdir(proc.get())) {
    const std::string_view name = entry->d_name;
    if (!AllDigits(name)) continue;
    const std::string path = "/proc/" + std::string(name) + "/stat";
    auto text = ReadProcFile(path);
    if (!text.ok() || text->empty()) continue;  // exited since the listing
    // One unparsable process elsewhere on the host must not stop the sampling of every group;
    // it cannot be told to be in a group anyway.
    auto stat = ParseProcStat(*text, path);
    if (!stat.ok() || std::find(pgids.begin(), pgids.end(), stat->pgrp) == pgids.end()) continue;
    ProcessSample& sample = samples[stat->pgrp];
    ++sample.processes;
    sample.cpu_ns += TicksToNs(stat->utime_ticks + stat->stime_ticks, hz > 0 ? hz : 100);
    sample.rss_bytes += stat->rss_pages * page_size;
    sample.threads += static_cast<int>(stat->num_threads);
    sample.open_fds += CountOpenFds(name);
    if (stat->pid == stat->pgrp) sample.state = stat->state;
  }
  return samples;
}

StatusOr<ProcessSample> SampleProcessGroup(pid_t pgid) {
  if (pgid <= 0) return InvalidArgumentError("bad process group " + std::to_string(pgid));
  ASSIGN_OR_RETURN(auto samples, SampleProcessGroups({pgid}));
  auto it = samples.find(pgid);
  if (it == samples.end()) return NotFoundError("no process in group " + std::to_string(pgid));
  return it->second;
}

StatusOr<uint64_t> ProcessStartTime(pid_t pid) {
  if (pid <= 0) return InvalidArgumentError("bad pid " + std::to_string(pid));
  const std::string path = "/proc/" + std::to_string(pid) + "/stat";
  ASSIGN_OR_RETURN(std::string text, ReadProcFile(path));
  if (text.empty()) return NotFoundError(path + " vanished while read");
  ASSIGN_OR_RETURN(ProcStat stat, ParseProcStat(text, path));
  return stat.start_ticks;
}

StatusOr<HostSample> SampleHost() {
  HostSample sample;
  ASSIGN_OR_RETURN(std::string stat, ReadHostFile("/proc/stat"));
  RETURN_IF_ERROR(ParseHostCpu(stat, &sample));
  ASSIGN_OR_RETURN(std::string meminfo, ReadHostFile("/proc/meminfo"));
  RETURN_IF_ERROR(ParseMeminfo(meminfo, &sample));
  ASSIGN_OR_RETURN(std::string net_dev, ReadHostFile("/proc/net/dev"));
  RETURN_IF_ERROR(ParseNetDev(net_dev, &sample));
  const long cpus = ::sysconf(_SC_NPROCESSORS_ONLN);
  sample.cpus = cpus > 0 ? static_cast<int>(cpus) : 1;
  return sample;
}

double CpuPercent(int64_t cpu_ns_delta, int64_t wall_ns_delta) {
  if (wall_ns_delta <= 0 || cpu_ns_delta < 0) return 0;
  return 100.0 * static_cast<double>(cpu_ns_delta) / static_cast<double>(wall_ns_delta);
}

double HostCpuPercent(const HostSample& before, const HostSample& after) {
  if (after.cpu_total_ticks <= before.cpu_total_ticks ||
      after.cpu_busy_ticks < before.cpu_busy_ticks) {
    return 0;
  }
  const double busy = static_cast<double>(after.cpu_busy_ticks - before.cpu_busy_ticks);
  const double total = static_cast<double>(after.cpu_total_ticks - before.cpu_total_ticks);
  return busy >= total ? 100.0 : 100.0 * busy / total;
}

}  // namespace vigil::fleet
