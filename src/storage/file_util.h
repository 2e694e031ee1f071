#pragma once
// Small POSIX file helpers. Every failure is a Status naming the path and errno text.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace vigil::storage {

// Owns a file descriptor: closed when it goes out of scope (errors ignored; Close() reports).
class ScopedFd {
 public:
  explicit ScopedFd(int fd) : fd_(fd) {}
  ~ScopedFd();
  ScopedFd(const ScopedFd&) = delete;
  ScopedFd& operator=(const ScopedFd&) = delete;
  int get() const { return fd_; }
  // Closes now; close()'s result.
  int Close();

 private:
  int fd_;
};

Status CreateDirs(const std::string& path, int mode = 0755);  // mkdir -p
StatusOr<std::string> ReadFile(const std::string& path);
// Writes `data` to path.tmp, fsyncs it, renames it over `path` and fsyncs the directory. With
// durable = false the two fsyncs are skipped: the file is still replaced whole, and survives the
// process but not necessarily the machine (pidfiles, which die with the machine's processes).
Status WriteFileAtomic(const std::string& path, std::string_view data, int mode = 0644,
                       bool durable = true);
Status SyncDir(const std::string& dir);
// Names (not paths) of the entries of `dir`, sorted, without "." and "..".
StatusOr<std::vector<std::string>> ListDir(const std::string& dir);
Status RemoveAll(const std::string& path);  // rm -rf; OK when missing
StatusOr<uint64_t> FileSize(const std::string& path);
// Total size of the regular files below `path` (recursively).
uint64_t DiskUsage(const std::string& path);
bool PathExists(const std::string& path);

}  // namespace vigil::storage
