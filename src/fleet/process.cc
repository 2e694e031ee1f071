#include "fleet/process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <thread>

#include "common/thread_name.h"

extern char** environ;

namespace vigil::fleet {
namespace {

// What the child reports through the close-on-exec pipe when it cannot exec.
enum Stage : int32_t { kChdir = 1, kExec = 2 };

std::string ErrnoText(int err) { return std::strerror(err); }

std::vector<std::string> BuildEnvironment(const ProcessSpec& spec) {
  std::vector<std::string> env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    const std::string entry = *e;
    const std::string name = entry.substr(0, entry.find('='));
    bool overridden = false;
    for (const auto& [k, v] : spec.env) overridden = overridden || k == name;
    if (!overridden) env.push_back(entry);
  }
  for (const auto& [k, v] : spec.env) env.push_back(k + "=" + v);
  return env;
}

std::vector<char*> Pointers(std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (std::string& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

}  // namespace

// execvp is not async-signal-safe, so the PATH search happens before fork.
StatusOr<std::string> ResolveCommand(const std::string& name) {
  if (name.empty()) return InvalidArgumentError("empty command");
  if (name.find('/') != std::string::npos) return name;
  const char* path = std::getenv("PATH");
  std::string dirs = path != nullptr ? path : "/usr/local/bin:/usr/bin:/bin";
  size_t begin = 0;
  while (begin <= dirs.size()) {
    size_t end = dirs.find(':', begin);
    if (end == std::string::npos) end = dirs.size();
    const std::string dir = end > begin ? dirs.substr(begin, end - begin) : ".";
    const std::string candidate = dir + "/" + name;
    struct stat st;
    if (::stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
        ::access(candidate.c_str(), X_OK) == 0) {
      return candidate;
    }
    begin = end + 1;
  }
  return InvalidArgumentError("cannot run '" + name + "': not found in PATH");
}

// The read end of the child's stdout/stderr pipe, drained by a thread into a ring of the newest
// bytes and the log file.
struct Process::Output {
  Output(int read_fd, int log_fd, std::string path, size_t log_max, size_t capacity,
         std::function<void(std::string_view)> sink)
      : fd(read_fd),
        log(log_fd),
        log_path(std::move(path)),
        log_max_bytes(log_max),
        on_output(std::move(sink)),
        ring(capacity > 0 ? capacity : 1) {
    struct stat st;
    if (log >= 0 && ::fstat(log, &st) == 0) log_bytes = static_cast<size_t>(st.st_size);
    reader = std::thread([this] {
      SetThreadName("vigil-output");
      Run();
    });
  }
  ~Output() {
    stop = true;
    if (reader.joinable()) reader.join();
    ::close(fd);
    if (log >= 0) ::close(log);
  }

  void Run() {
    char buf[16 << 10];
    for (;;) {
      pollfd p{fd, POLLIN, 0};
      // A descendant that left the group may hold the pipe open forever: look at `stop` every
      // 100 ms rather than block in read.
      const int ready = ::poll(&p, 1, 100);
      if (ready < 0 && errno != EINTR) return;
      if (ready <= 0) {
        if (stop) return;
        continue;
      }
      const ssize_t n = ::read(fd, buf, sizeof(buf));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return;  // EOF: every writer is gone
      Append(buf, static_cast<size_t>(n));
    }
  }

  void Append(const char* data, size_t n) {
    if (on_output) on_output(std::string_view(data, n));
    if (log >= 0 && log_max_bytes > 0 && log_bytes >= log_max_bytes) {
      // One older file is kept (<id>.log.1); the log store has everything. A file outgrows
      // the limit by one read at most (16 KiB).
      std::rename(log_path.c_str(), (log_path + ".1").c_str());
      const int fresh = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
      if (fresh >= 0) {
        ::dup2(fresh, log);
        ::close(fresh);
        log_bytes = 0;
      }
    }
    if (log >= 0) {
      size_t off = 0;
      while (off < n) {
        const ssize_t w = ::write(log, data + off, n - off);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) break;  // a full disk must not stop the process: the ring still has it
        off += static_cast<size_t>(w);
        log_bytes += static_cast<size_t>(w);
      }
    }
    std::lock_guard l(mu);
    for (size_t i = 0; i < n; ++i) {
      ring[(start + size) % ring.size()] = data[i];
      if (size < ring.size()) {
        ++size;
      } else {
        start = (start + 1) % ring.size();
      }
    }
  }

  std::string Recent() const {
    std::lock_guard l(mu);
    std::string out(size, '\0');
    for (size_t i = 0; i < size; ++i) out[i] = ring[(start + i) % ring.size()];
    return out;
  }

  const int fd;
  const int log;  // reopened in place (dup2) when rotated
  const std::string log_path;
  const size_t log_max_bytes;
  size_t log_bytes = 0;  // reader thread only
  const std::function<void(std::string_view)> on_output;
  std::atomic<bool> stop{false};
  std::thread reader;
  mutable std::mutex mu;
  std::vector<char> ring;  // guarded by mu
  size_t start = 0;        // guarded by mu: oldest byte
  size_t size = 0;         // guarded by mu
};

StatusOr<std::unique_ptr<Process>> Process::Start(const ProcessSpec& spec) {
  if (spec.argv.empty()) return InvalidArgumentError("no command to run");
  ASSIGN_OR_RETURN(std::string path, ResolveCommand(spec.argv[0]));
  std::vector<std::string> args = spec.argv;
  std::vector<std::string> env = BuildEnvironment(spec);
  std::vector<char*> argv = Pointers(args);
  std::vector<char*> envp = Pointers(env);

  int log_fd = -1;
  if (!spec.log_path.empty()) {
    log_fd = ::open(spec.log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (log_fd < 0) {
      return IoError("opening", spec.log_path, errno);
    }
  }
  int out[2], report[2];
  if (::pipe2(out, O_CLOEXEC) != 0 || ::pipe2(report, O_CLOEXEC) != 0) {
    const int err = errno;
    if (log_fd >= 0) ::close(log_fd);
    return UnavailableError("pipe: " + ErrnoText(err));
  }
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) {
    const int err = errno;
    for (int fd : {out[0], out[1], report[0], report[1]}) ::close(fd);
    if (log_fd >= 0) ::close(log_fd);
    return UnavailableError("fork: " + ErrnoText(err));
  }
  if (pid == 0) {
    // Child: async-signal-safe calls only.
    ::setpgid(0, 0);
    if (spec.die_with_parent) {
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (::getppid() != parent) ::_exit(127);  // the parent died before prctl
    }
    ::dup2(out[1], STDOUT_FILENO);
    ::dup2(out[1], STDERR_FILENO);
    const int devnull = ::open("/dev/null", O_RDONLY);
    if (devnull >= 0) ::dup2(devnull, STDIN_FILENO);
    // Nothing else of Vigil's leaks into the child (listening sockets, store files): descriptors
    // opened without O_CLOEXEC by libraries included. The report pipe closes at exec.
    if (report[1] > 3) ::close_range(3, static_cast<unsigned>(report[1]) - 1, 0);
    ::close_range(static_cast<unsigned>(report[1]) + 1, ~0U, 0);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    int32_t failure[2] = {0, 0};
    if (!spec.working_dir.empty() && ::chdir(spec.working_dir.c_str()) != 0) {
      failure[0] = kChdir;
    } else {
      ::execve(path.c_str(), argv.data(), envp.data());
      failure[0] = kExec;
    }
    failure[1] = errno;
    [[maybe_unused]] ssize_t w = ::write(report[1], failure, sizeof(failure));
    ::_exit(127);
  }
  // Parent. Also set the group here: whichever of the two runs first, the child is in its own
  // group before Start returns (a Stop right after must reach it).
  ::setpgid(pid, pid);
  ::close(out[1]);
  ::close(report[1]);
  int32_t failure[2] = {0, 0};
  ssize_t n;
  do {
    n = ::read(report[0], failure, sizeof(failure));
  } while (n < 0 && errno == EINTR);
  ::close(report[0]);
  if (n == static_cast<ssize_t>(sizeof(failure))) {
    int status;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    ::close(out[0]);
    if (log_fd >= 0) ::close(log_fd);
    return InvalidArgumentError(failure[0] == kChdir
                                    ? "cannot enter working directory '" + spec.working_dir +
                                          "': " + ErrnoText(failure[1])
                                    : "cannot run '" + path + "': " + ErrnoText(failure[1]));
  }
  // The child is not reaped before Process owns it, so the pid cannot be reused meanwhile.
  const int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  if (pidfd >= 0) ::fcntl(pidfd, F_SETFD, FD_CLOEXEC);
  auto output = std::make_unique<Output>(out[0], log_fd, spec.log_path, spec.log_max_bytes,
                                         spec.recent_bytes, spec.on_output);
  return std::unique_ptr<Process>(new Process(pid, pidfd, std::move(output)));
}

Process::Process(pid_t pid, int pidfd, std::unique_ptr<Output> output)
    : pid_(pid), pidfd_(pidfd), output_(std::move(output)) {}

Process::~Process() {
  if (!reaped_) {
    ::kill(-pid_, SIGKILL);
    Reap(nullptr);
  }
  if (pidfd_ >= 0) ::close(pidfd_);
}

void Process::Reap(int* wait_status) {
  // The exited leader's zombie keeps its pid, and so the group id, from being reused: kill the
  // rest of the group before reaping it.
  siginfo_t info{};
  while (::waitid(P_PID, static_cast<id_t>(pid_), &info, WEXITED | WNOWAIT) < 0 && errno == EINTR) {
  }
  ::kill(-pid_, SIGKILL);
  while (::waitpid(pid_, &status_, 0) < 0 && errno == EINTR) {
  }
  reaped_ = true;
  output_->stop = true;
  if (wait_status != nullptr) *wait_status = status_;
}

bool Process::Poll(int* wait_status) {
  if (reaped_) {
    if (wait_status != nullptr) *wait_status = status_;
    return true;
  }
  siginfo_t info{};
  info.si_pid = 0;
  if (::waitid(P_PID, static_cast<id_t>(pid_), &info, WEXITED | WNOHANG | WNOWAIT) != 0 ||
      info.si_pid == 0) {
    return false;
  }
  Reap(wait_status);
  return true;
}

void Process::Stop(std::chrono::milliseconds grace, int* wait_status) {
  if (!reaped_) {
    ::kill(-pid_, SIGTERM);
    const auto deadline = std::chrono::steady_clock::now() + grace;
    while (!Poll(wait_status)) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) {
        ::kill(-pid_, SIGKILL);
        Reap(wait_status);
        break;
      }
      // Wait for the exit itself (the pidfd turns readable), or the end of the grace period.
      pollfd p{pidfd_, POLLIN, 0};
      if (pidfd_ < 0 ||
          ::poll(&p, 1, static_cast<int>(std::min<int64_t>(left.count(), 1 << 30))) < 0) {
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      }
    }
  }
  if (wait_status != nullptr) *wait_status = status_;
}

void Process::Signal(int sig) {
  if (!reaped_) ::kill(-pid_, sig);
}

std::string Process::RecentOutput() const { return output_->Recent(); }

std::string DescribeWaitStatus(int status) {
  if (WIFEXITED(status)) return "exited with status " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) {
    const int sig = WTERMSIG(status);
    const char* name = ::strsignal(sig);
    return "killed by signal " + std::to_string(sig) + (name ? std::string(" (") + name + ")" : "");
  }
  return "stopped (status " + std::to_string(status) + ")";
}

}  // namespace vigil::fleet
