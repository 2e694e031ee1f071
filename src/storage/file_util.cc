#include "storage/file_util.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <system_error>

namespace vigil::storage {

ScopedFd::~ScopedFd() {
  if (fd_ >= 0) ::close(fd_);
}

int ScopedFd::Close() {
  const int rc = ::close(fd_);
  fd_ = -1;
  return rc;
}

namespace {

std::string ParentDir(const std::string& path) {
  size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

Status WriteAll(int fd, const std::string& path, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return IoError("write", path, errno);
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return OkStatus();
}

}  // namespace

Status CreateDirs(const std::string& path, int mode) {
  if (path.empty()) return InvalidArgumentError("CreateDirs: empty path");
  size_t pos = 0;
  while (pos != std::string::npos) {
    pos = path.find('/', pos + 1);
    std::string prefix = path.substr(0, pos);
    if (prefix.empty() || prefix.back() == '/') continue;
    if (::mkdir(prefix.c_str(), static_cast<mode_t>(mode)) == 0) continue;
    int err = errno;
    struct stat st;
    if (err == EEXIST && ::stat(prefix.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) continue;
    return IoError("mkdir", prefix, err == EEXIST ? ENOTDIR : err);
  }
  return OkStatus();
}

StatusOr<std::string> ReadFile(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return IoError("open", path, errno);
  ScopedFd closer(fd);
  struct stat st;
  if (::fstat(fd, &st) != 0) return IoError("fstat", path, errno);
  std::string out(static_cast<size_t>(st.st_size), '\0');
  size_t got = 0;
  char more[16 * 1024];
  while (true) {
    // Read into `out` up to the size fstat saw, then probe for bytes appended meanwhile.
    char* dst = got < out.size() ? out.data() + got : more;
    size_t want = got < out.size() ? out.size() - got : sizeof(more);
    ssize_t n = ::read(fd, dst, want);
    if (n < 0) {
      if (errno == EINTR) continue;
      return IoError("read", path, errno);
    }
    if (n == 0) break;
    if (dst == more) out.append(more, static_cast<size_t>(n));
    got += static_cast<size_t>(n);
  }
  out.resize(got);
  return out;
}

Status WriteFileAtomic(const std::string& path, std::string_view data, int mode, bool durable) {
  std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, static_cast<mode_t>(mode));
  if (fd < 0) return IoError("open", tmp, errno);
  ScopedFd closer(fd);
  RETURN_IF_ERROR(WriteAll(fd, tmp, data));
  if (durable && ::fsync(fd) != 0) return IoError("fsync", tmp, errno);
  if (closer.Close() != 0) return IoError("close", tmp, errno);
  if (::rename(tmp.c_str(), path.c_str()) != 0) return IoError("rename", tmp, errno);
  return durable ? SyncDir(ParentDir(path)) : OkStatus();
}

Status SyncDir(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return IoError("open", dir, errno);
  ScopedFd closer(fd);
  if (::fsync(fd) != 0) return IoError("fsync", dir, errno);
  return OkStatus();
}

StatusOr<std::vector<std::string>> ListDir(const std::string& dir) {
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return IoError("opendir", dir, errno);
  std::vector<std::string> names;
  while (true) {
    errno = 0;
    struct dirent* e = ::readdir(d);
    if (e == nullptr) break;
    std::string_view name = e->d_name;
    if (name == "." || name == "..") continue;
    names.emplace_back(name);
  }
  int err = errno;
  ::closedir(d);
  if (err != 0) return IoError("readdir", dir, err);
  std::sort(names.begin(), names.end());
  return names;
}

Status RemoveAll(const std::string& path) {
  std::error_code ec;
  std::filesystem::remove_all(path, ec);
  if (ec && ec != std::errc::no_such_file_or_directory) return IoError("remove", path, ec.value());
  return OkStatus();
}

StatusOr<uint64_t> FileSize(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return IoError("stat", path, errno);
  return static_cast<uint64_t>(st.st_size);
}

uint64_t DiskUsage(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  uint64_t total = 0;
  if (fs::is_regular_file(fs::symlink_status(path, ec))) {
    auto size = fs::file_size(path, ec);
    return ec ? 0 : size;
  }
  fs::recursive_directory_iterator it(path, fs::directory_options::skip_permission_denied, ec);
  for (; !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    std::error_code entry_ec;
    if (it->is_regular_file(entry_ec) && !it->is_symlink(entry_ec)) {
      uint64_t size = it->file_size(entry_ec);
      if (!entry_ec) total += size;
    }
  }
  return total;
}

bool PathExists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

}  // namespace vigil::storage
