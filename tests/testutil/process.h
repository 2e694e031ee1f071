#pragma once
// A child process for tests: spawned with posix_spawn, its stdout and stderr captured through
// pipes by two reader threads, awaited with a deadline (pidfd + poll, no sleeping), signalled,
// and killed (SIGKILL to its whole process group) when the Process object is destroyed.
//
// Thread-safety: one thread drives a Process (Wait, Signal); Stdout()/Stderr()/WaitForLine()
// may be called from any thread while the readers run.
#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <regex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "common/status.h"

namespace vigil::testutil {

struct SpawnOptions {
  // argv[0] is the program: a path, or a bare name looked up on PATH.
  std::vector<std::string> argv = {};
  // Environment changes applied to this process's environment: a value sets the variable,
  // nullopt removes it.
  std::vector<std::pair<std::string, std::optional<std::string>>> env = {};
  // Working directory of the child; empty keeps ours.
  std::string cwd = {};
};

// How a child ended.
struct ExitStatus {
  bool exited = false;  // true: returned or called exit(); `code` is valid
  int code = -1;        // exit code when `exited`
  int signal = 0;       // terminating signal when !exited
  bool ok() const { return exited && code == 0; }
  std::string ToString() const;  // "exit 0", "signal 9 (Killed)"
};

class Process {
 public:
  // Starts the child in a new process group with stdin from /dev/null. Returns Unavailable
  // when the pipes cannot be made or posix_spawn fails (e.g. the program does not exist).
  static StatusOr<std::unique_ptr<Process>> Spawn(const SpawnOptions& options);

  // Kills the child's process group with SIGKILL when it still runs, reaps it and joins the
  // reader threads.
  ~Process();
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  pid_t pid() const { return pid_; }

  // Sends `sig` to the child (only the child, not its group). False when it was already
  // reaped or kill() failed.
  bool Signal(int sig);
  // Sends `sig` to the child's whole process group (the child and what it spawned).
  bool SignalGroup(int sig);

  // Waits up to `timeout` for the child to end; then reaps it and waits for its output pipes
  // to close, so Stdout()/Stderr() are complete. nullopt when it is still running at the
  // deadline. Once reaped, returns the same status again at once.
  std::optional<ExitStatus> Wait(std::chrono::milliseconds timeout);
  // True while the child has not been reaped.
  bool running() const { return !status_.has_value(); }

  // What the child wrote so far.
  std::string Stdout() const;
  std::string Stderr() const;

  // Waits until a complete line of stdout (read from `from_offset` on) matches `pattern`
  // (std::regex_search). Returns the match groups ([0] the whole match), or nullopt when the
  // deadline passes or stdout closes without such a line.
  std::optional<std::vector<std::string>> WaitForLine(const std::regex& pattern,
                                                      std::chrono::milliseconds timeout,
                                                      size_t from_offset = 0);

 private:
  struct Stream {
    std::string data;     // guarded by Process::mu_
    bool closed = false;  // guarded by Process::mu_
  };

  Process() = default;
  void ReadLoop(int fd, Stream* stream);
  void JoinReaders();

  pid_t pid_ = -1;
  int pidfd_ = -1;  // -1 when pidfd_open is unavailable (falls back to polling waitpid)
  std::optional<ExitStatus> status_;
  mutable std::mutex mu_;
  std::condition_variable cv_;  // signalled on new output and on close
  Stream out_, err_;
  std::thread out_reader_, err_reader_;
};

// The result of a command run to completion.
struct CommandResult {
  ExitStatus status;
  std::string out;
  std::string err;
};

// Runs a command to completion. DeadlineExceeded (after killing its process group) when it
// is still running after `timeout`; Unavailable when it cannot be started.
StatusOr<CommandResult> RunCommand(const SpawnOptions& options, std::chrono::milliseconds timeout);

}  // namespace vigil::testutil
