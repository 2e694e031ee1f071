#pragma once
// Private to vigil::fleet: a file per running instance, `<dir>/<instance>.pid`, so that a Vigil
// killed with -9 can find and stop, at its next start, whatever its instances left running.
//
// The file holds "PID STARTTIME\n" (start time in clock ticks since boot, /proc/PID/stat field
// 22): a pid alone could name an unrelated process that reused it.
#include <sys/types.h>

#include <string>
#include <vector>

#include "common/logging.h"
#include "common/status.h"

namespace vigil::fleet {

// Records `pid` (a process group leader) at `path`, whole (a temporary file renamed over it).
// Unavailable on an I/O error.
Status WritePidfile(const std::string& path, pid_t pid);

// Removes the file; a missing file is not an error.
void RemovePidfile(const std::string& path);

// For every *.pid file under `fleet_dir`/*/: when the recorded process still runs (same start
// time), or its leader is gone but members of its group may remain, SIGKILLs the group; then
// removes the file. Returns what it stopped ("web-1 (pid 1234)"), for the log.
std::vector<std::string> StopLeftovers(const std::string& fleet_dir, Logger* logger);

}  // namespace vigil::fleet
