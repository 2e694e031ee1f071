#include "tests/testutil/process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>

extern char** environ;

namespace vigil::testutil {
namespace {

using Clock = std::chrono::steady_clock;

ExitStatus FromWaitStatus(int st) {
  ExitStatus s;
  if (WIFEXITED(st)) {
    s.exited = true;
    s.code = WEXITSTATUS(st);
  } else if (WIFSIGNALED(st)) {
    s.signal = WTERMSIG(st);
  }
  return s;
}

// The child's environment: ours with `changes` applied, as "K=V" strings.
std::vector<std::string> BuildEnv(
    const std::vector<std::pair<std::string, std::optional<std::string>>>& changes) {
  std::map<std::string, std::string> vars;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string kv(*e);
    size_t eq = kv.find('=');
    if (eq == std::string::npos) continue;
    vars[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  for (const auto& [k, v] : changes) {
    if (v) {
      vars[k] = *v;
    } else {
      vars.erase(k);
    }
  }
  std::vector<std::string> out;
  out.reserve(vars.size());
  for (const auto& [k, v] : vars) out.push_back(k + "=" + v);
  return out;
}

std::vector<char*> CStrings(std::vector<std::string>& strings) {
  std::vector<char*> out;
  out.reserve(strings.size() + 1);
  for (std::string& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

}  // namespace

std::string ExitStatus::ToString() const {
  if (exited) return "exit " + std::to_string(code);
  return "signal " + std::to_string(signal) + " (" + strsignal(signal) + ")";
}

StatusOr<std::unique_ptr<Process>> Process::Spawn(const SpawnOptions& options) {
  if (options.argv.empty()) return InvalidArgumentError("Spawn: empty argv");
  int out_pipe[2], err_pipe[2];
  if (pipe2(out_pipe, O_CLOEXEC) != 0) return IoError("pipe2", "stdout", errno);
  if (pipe2(err_pipe, O_CLOEXEC) != 0) {
    int e = errno;
    close(out_pipe[0]);
    close(out_pipe[1]);
    return IoError("pipe2", "stderr", e);
  }

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out_pipe[1], 1);
  posix_spawn_file_actions_adddup2(&actions, err_pipe[1], 2);
  if (!options.cwd.empty()) posix_spawn_file_actions_addchdir_np(&actions, options.cwd.c_str());
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  // A group of its own, so the destructor can kill whatever the child spawned as well; default
  // signal dispositions and an empty mask, whatever the test thread had.
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setpgroup(&attr, 0);
  posix_spawnattr_setflags(&attr,
                           POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

  std::vector<std::string> argv_strings = options.argv;
  std::vector<std::string> env_strings = BuildEnv(options.env);
  std::vector<char*> argv = CStrings(argv_strings);
  std::vector<char*> envp = CStrings(env_strings);
  pid_t pid = -1;
  int rc = posix_spawnp(&pid, argv[0], &actions, &attr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  close(out_pipe[1]);
  close(err_pipe[1]);
  if (rc != 0) {
    close(out_pipe[0]);
    close(err_pipe[0]);
    return IoError("posix_spawn", options.argv[0], rc);
  }

  std::unique_ptr<Process> p(new Process());
  p->pid_ = pid;
  p->pidfd_ = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
  p->out_reader_ =
      std::thread([proc = p.get(), fd = out_pipe[0]] { proc->ReadLoop(fd, &proc->out_); });
  p->err_reader_ =
      std::thread([proc = p.get(), fd = err_pipe[0]] { proc->ReadLoop(fd, &proc->err_); });
  return p;
}

Process::~Process() {
  if (running()) {
    SignalGroup(SIGKILL);
    int st = 0;
    while (waitpid(pid_, &st, 0) < 0 && errno == EINTR) {
    }
    status_ = FromWaitStatus(st);
  }
  JoinReaders();
  if (pidfd_ >= 0) close(pidfd_);
}

void Process::ReadLoop(int fd, Stream* stream) {
  char buf[64 * 1024];
  for (;;) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    std::lock_guard<std::mutex> lock(mu_);
    if (n <= 0) {
      stream->closed = true;
      cv_.notify_all();
      break;
    }
    stream->data.append(buf, static_cast<size_t>(n));
    cv_.notify_all();
  }
  close(fd);
}

void Process::JoinReaders() {
  if (out_reader_.joinable()) out_reader_.join();
  if (err_reader_.joinable()) err_reader_.join();
}

bool Process::Signal(int sig) { return running() && kill(pid_, sig) == 0; }

bool Process::SignalGroup(int sig) { return running() && kill(-pid_, sig) == 0; }

std::optional<ExitStatus> Process::Wait(std::chrono::milliseconds timeout) {
  if (status_) return status_;
  const auto deadline = Clock::now() + timeout;
  // Wait for the exit without reaping (WNOWAIT), so that the process group id stays reserved
  // while we kill what the child may have left behind holding our pipes.
  for (;;) {
    siginfo_t info{};
    if (waitid(P_PID, pid_, &info, WEXITED | WNOHANG | WNOWAIT) == 0 && info.si_pid == pid_) {
      break;
    }
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) return std::nullopt;
    if (pidfd_ >= 0) {
      pollfd pfd{pidfd_, POLLIN, 0};
      poll(&pfd, 1, static_cast<int>(left));
    } else {
      // No pidfd (old kernel): the only portable way is to poll.
      usleep(2000);
    }
  }
  kill(-pid_, SIGKILL);  // stragglers of the group only; the leader has already exited
  int st = 0;
  while (waitpid(pid_, &st, 0) < 0 && errno == EINTR) {
  }
  status_ = FromWaitStatus(st);
  JoinReaders();
  return status_;
}

std::string Process::Stdout() const {
  std::lock_guard<std::mutex> lock(mu_);
  return out_.data;
}

std::string Process::Stderr() const {
  std::lock_guard<std::mutex> lock(mu_);
  return err_.data;
}

std::optional<std::vector<std::string>> Process::WaitForLine(const std::regex& pattern,
                                                             std::chrono::milliseconds timeout,
                                                             size_t from_offset) {
  const auto deadline = Clock::now() + timeout;
  size_t scanned = from_offset;  // start of the first line not yet tested
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    for (;;) {
      size_t nl = out_.data.find('\n', scanned);
      if (nl == std::string::npos) break;
      std::string line = out_.data.substr(scanned, nl - scanned);
      scanned = nl + 1;
      std::smatch m;
      if (std::regex_search(line, m, pattern)) {
        std::vector<std::string> groups;
        for (const auto& g : m) groups.push_back(g.str());
        return groups;
      }
    }
    if (out_.closed) return std::nullopt;
    if (cv_.wait_until(lock, deadline) == std::cv_status::timeout &&
        out_.data.find('\n', scanned) == std::string::npos) {
      return std::nullopt;
    }
  }
}

StatusOr<CommandResult> RunCommand(const SpawnOptions& options, std::chrono::milliseconds timeout) {
  ASSIGN_OR_RETURN(std::unique_ptr<Process> p, Process::Spawn(options));
  std::optional<ExitStatus> st = p->Wait(timeout);
  if (!st) {
    p->SignalGroup(SIGKILL);
    p->Wait(std::chrono::seconds(10));
    return Status(StatusCode::kDeadlineExceeded,
                  options.argv[0] + " still running after " + std::to_string(timeout.count()) +
                      " ms; stdout: " + p->Stdout() + " stderr: " + p->Stderr());
  }
  return CommandResult{*st, p->Stdout(), p->Stderr()};
}

}  // namespace vigil::testutil
