#pragma once
// One supervised child process: started in a process group of its own, its stdout and stderr
// kept (the newest bytes in memory, everything appended to a log file), stopped as a group
// (SIGTERM, then SIGKILL after a grace period). The supervisor of issue 4 builds instances on it.
//
// Thread-safety: Poll/Stop from one thread (the supervisor's); RecentOutput from any.
#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"

namespace vigil::fleet {

struct ProcessSpec {
  // argv[0] is looked up in PATH unless it holds a '/'.
  std::vector<std::string> argv;
  // Added to (or replacing in) Vigil's own environment.
  std::vector<std::pair<std::string, std::string>> env;
  std::string working_dir;  // empty: Vigil's
  std::string log_path;     // stdout and stderr appended here; empty: not written
  // Once the file holds this much, log_path moves to log_path.1 (replacing it) and a new file
  // starts; 0: never.
  size_t log_max_bytes = 32 << 20;
  size_t recent_bytes = 64 << 10;  // newest output kept in memory
  // Called with each piece of output as it is read (on the process's reader thread); may be
  // empty. Must not block for long: the child blocks once its pipe is full.
  std::function<void(std::string_view)> on_output;
  // The child gets SIGKILL when the thread that started it exits (Vigil killed with -9
  // included); its own children are found through the pidfile (see pidfile.h).
  bool die_with_parent = true;
};

// argv[0] as execve needs it: a name without '/' is searched in PATH; others are returned as
// they are. InvalidArgument when the name is empty or not found.
StatusOr<std::string> ResolveCommand(const std::string& name);

class Process {
 public:
  // Starts the process. InvalidArgument naming the command when it cannot be executed (not
  // found, not executable, bad working directory): exec failures are reported, not left to
  // look like a crash. Unavailable when fork or the log file fails.
  static StatusOr<std::unique_ptr<Process>> Start(const ProcessSpec& spec);

  // Kills the whole group (SIGKILL) if it still runs and reaps it.
  ~Process();

  pid_t pid() const { return pid_; }
  // Readable (poll) once the process has exited: for an event loop watching many.
  int pidfd() const { return pidfd_; }

  // True once the process has exited (reaping it; the rest of its group is killed first);
  // *wait_status then holds its waitpid status. Never blocks.
  bool Poll(int* wait_status);

  // Sends `sig` to the whole group (the process and every descendant that stayed in it).
  // Does nothing once the process has been reaped.
  void Signal(int sig);

  // SIGTERM to the group, then SIGKILL to the group once `grace` has passed; returns when the
  // process has been reaped, with its waitpid status in *wait_status (may be null).
  void Stop(std::chrono::milliseconds grace, int* wait_status = nullptr);

  // The newest output (stdout and stderr interleaved as written), at most recent_bytes.
  std::string RecentOutput() const;

 private:
  struct Output;
  Process(pid_t pid, int pidfd, std::unique_ptr<Output> output);
  // Kills what is left of the group and reaps the exited leader.
  void Reap(int* wait_status);

  pid_t pid_;
  int pidfd_;
  bool reaped_ = false;
  int status_ = 0;
  std::unique_ptr<Output> output_;
};

// "exited with status 3", "killed by signal 9 (Killed)": for states and logs.
std::string DescribeWaitStatus(int wait_status);

}  // namespace vigil::fleet
