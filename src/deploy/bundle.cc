#include "deploy/bundle.h"

#include <fcntl.h>
#include <spawn.h>
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

// Runs argv (PATH searched) with stderr into `err_path`; its exit status, or an error.
StatusOr<int> RunTool(const std::vector<std::string>& argv, const std::string& err_path) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, err_path.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0600);
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  const int err = posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (err != 0) return IoError("run", argv[0], err);
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
  const std::string archive_path = dir + ".tar.gz";
  const std::string err_path = dir + ".err";
  RETURN_IF_ERROR(storage::WriteFileAtomic(archive_path, archive));
  Status result = storage::CreateDirs(dir);
  if (result.ok()) {
    StatusOr<int> exit = RunTool(
        {"tar", "-xzf", archive_path, "-C", dir, "--no-same-owner", "--delay-directory-restore"},
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
  std::filesystem::remove(archive_path, ec);
  std::filesystem::remove(err_path, ec);
  if (!result.ok()) std::filesystem::remove_all(dir, ec);
  return result;
}

}  // namespace vigil::deploy
