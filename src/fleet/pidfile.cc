#include "fleet/pidfile.h"

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

#include "fleet/procfs.h"
#include "storage/file_util.h"

namespace vigil::fleet {

Status WritePidfile(const std::string& path, pid_t pid) {
  ASSIGN_OR_RETURN(uint64_t start, ProcessStartTime(pid));
  // Not synced: it must survive Vigil's death, not the machine's, which takes the processes with
  // it. An fsync here cost a restart 50 ms.
  return storage::WriteFileAtomic(path, std::to_string(pid) + " " + std::to_string(start) + "\n",
                                  0644, /*durable=*/false);
}

void RemovePidfile(const std::string& path) { ::unlink(path.c_str()); }

std::vector<std::string> StopLeftovers(const std::string& fleet_dir, Logger* logger) {
  std::vector<std::string> stopped;
  auto apps = storage::ListDir(fleet_dir);
  if (!apps.ok()) return stopped;
  for (const std::string& app : *apps) {
    auto files = storage::ListDir(fleet_dir + "/" + app);
    if (!files.ok()) continue;
    for (const std::string& file : *files) {
      if (file.size() <= 4 || file.compare(file.size() - 4, 4, ".pid") != 0) continue;
      const std::string path = fleet_dir + "/" + app + "/" + file;
      auto text = storage::ReadFile(path);
      long long pid = 0;
      unsigned long long recorded = 0;
      if (!text.ok() || std::sscanf(text->c_str(), "%lld %llu", &pid, &recorded) != 2 || pid <= 1) {
        logger->Warning("fleet", "ignoring unreadable pidfile " + path);
        RemovePidfile(path);
        continue;
      }
      // While any process of the old group lives, its id cannot be given to a new process, so
      // a live leader with another start time means the old group is gone entirely; a missing
      // leader may have left members behind, and the group id still names only them.
      auto start = ProcessStartTime(static_cast<pid_t>(pid));
      const bool leader_is_ours = start.ok() && *start == recorded;
      if (leader_is_ours || !start.ok()) {
        if (::kill(-static_cast<pid_t>(pid), SIGKILL) == 0) {
          const std::string what =
              file.substr(0, file.size() - 4) + " (pid " + std::to_string(pid) + ")";
          logger->Warning("fleet", "stopped " + what + ", left running by a previous Vigil");
          stopped.push_back(what);
        }
      }
      RemovePidfile(path);
    }
  }
  return stopped;
}

}  // namespace vigil::fleet
