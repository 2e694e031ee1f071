#include "lb/access_log.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>

namespace vigil::lb {
namespace {

int OpenForAppend(const std::string& path) {
  return ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
}

}  // namespace

AccessLogFile::~AccessLogFile() {
  if (fd_ >= 0) ::close(fd_);
}

Status AccessLogFile::Open(std::string path, int64_t max_bytes) {
  path_ = std::move(path);
  max_bytes_ = max_bytes;
  fd_ = OpenForAppend(path_);
  if (fd_ < 0)
    return UnavailableError("cannot open access log " + path_ + ": " + std::strerror(errno));
  struct stat st {};
  size_ = ::fstat(fd_, &st) == 0 ? st.st_size : 0;
  return OkStatus();
}

void AccessLogFile::Rotate() {
  const std::string old = path_ + ".1";
  if (::rename(path_.c_str(), old.c_str()) != 0) return;  // keep appending to the big one
  const int fd = OpenForAppend(path_);
  if (fd < 0) return;
  ::close(fd_);
  fd_ = fd;
  size_ = 0;
}

Status AccessLogFile::Append(const std::vector<const std::string*>& chunks) {
  if (fd_ < 0) return OkStatus();
  if (size_ >= max_bytes_) Rotate();
  std::vector<iovec> iov;
  for (const std::string* c : chunks) {
    if (!c->empty()) iov.push_back({const_cast<char*>(c->data()), c->size()});
  }
  size_t next = 0;  // first iovec not yet written whole
  while (next < iov.size()) {
    const int count = static_cast<int>(std::min<size_t>(iov.size() - next, IOV_MAX));
    const ssize_t n = ::writev(fd_, iov.data() + next, count);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int err = n < 0 ? errno : ENOSPC;
      if (failing_) return OkStatus();
      failing_ = true;
      return UnavailableError("writing access log " + path_ + ": " + std::strerror(err));
    }
    size_ += n;
    for (size_t left = static_cast<size_t>(n); left > 0;) {
      iovec& v = iov[next];
      const size_t used = std::min(left, v.iov_len);
      v.iov_base = static_cast<char*>(v.iov_base) + used;
      v.iov_len -= used;
      left -= used;
      if (v.iov_len == 0) ++next;
    }
  }
  failing_ = false;
  return OkStatus();
}

}  // namespace vigil::lb
