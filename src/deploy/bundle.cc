#include "deploy/bundle.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include "storage/file_util.h"

extern char** environ;

namespace vigil::deploy {
namespace {

// Runs argv (PATH searched) with `input` on its stdin and stderr into `err_path`; its exit
// status, or an error. The input goes through a socket pair rather than a file (a bundle is
// never on disk as an archive) or a pipe (a child that exits early would raise SIGPIPE here;
// send's MSG_NOSIGNAL does not).
StatusOr<int> RunTool(const std::vector<std::string>& argv, std::string_view input,
                      const std::string& err_path) {
  int fds[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) {
    return IoError("socketpair for", argv[0], errno);
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fds[1], STDIN_FILENO);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, err_path.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0600);
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  const int err = posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(fds[1]);
  if (err != 0) {
    ::close(fds[0]);
    return IoError("run", argv[0], err);
  }
  // A child that stops reading (a bad archive) ends the feeding with EPIPE; its exit says why.
  while (!input.empty()) {
    const ssize_t n = ::send(fds[0], input.data(), input.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    input.remove_prefix(static_cast<size_t>(n));
  }
  ::close(fds[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return IoError("wait for", argv[0], errno);
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

}  // namespace

StatusOr<std::string> ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return IoError("open", path, errno);
  std::ostringstream out;
  out << in.rdbuf();
  if (in.bad()) return IoError("read", path, errno);
  return out.str();
}

Status Unpack(const std::string& archive, const std::string& dir) {
  std::error_code ec;
  if (std::filesystem::exists(dir, ec)) return AlreadyExistsError(dir + " exists");
  const std::string err_path = dir + ".err";
  Status result = storage::CreateDirs(dir);
  if (result.ok()) {
    StatusOr<int> exit = RunTool(
        {"tar", "-xzf", "-", "-C", dir, "--no-same-owner", "--delay-directory-restore"}, archive,
        err_path);
    if (!exit.ok()) {
      result = exit.status();
    } else if (*exit != 0) {
      StatusOr<std::string> err = ReadWholeFile(err_path);
      std::string message = err.ok() ? *err : "";
      while (!message.empty() && (message.back() == '\n' || message.back() == '\r')) {
        message.pop_back();
      }
      result = InvalidArgumentError("the bundle is not a .tar.gz tar can unpack: " +
                                    (message.empty() ? "tar exited " + std::to_string(*exit)
                                                     : message));
    }
  }
  std::filesystem::remove(err_path, ec);
  if (!result.ok()) std::filesystem::remove_all(dir, ec);
  return result;
}

}  // namespace vigil::deploy
