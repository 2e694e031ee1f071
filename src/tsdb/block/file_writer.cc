#include "tsdb/block/file_writer.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

namespace vigil::tsdb::block {
namespace {
constexpr size_t kBufferBytes = 1 << 20;
}  // namespace

StatusOr<std::unique_ptr<FileWriter>> FileWriter::Create(const std::string& path) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return IoError("open", path, errno);
  return std::unique_ptr<FileWriter>(new FileWriter(path, fd));
}

FileWriter::~FileWriter() {
  if (fd_ >= 0) ::close(fd_);
}

Status FileWriter::Append(std::string_view data) {
  size_ += data.size();
  if (buffer_.size() + data.size() > kBufferBytes) RETURN_IF_ERROR(FlushBuffer());
  if (data.size() >= kBufferBytes) {
    buffer_.assign(data);
    return FlushBuffer();
  }
  buffer_.append(data);
  return OkStatus();
}

Status FileWriter::FlushBuffer() {
  const char* p = buffer_.data();
  size_t left = buffer_.size();
  while (left > 0) {
    const ssize_t n = ::write(fd_, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      return IoError("write", path_, errno);
    }
    p += n;
    left -= static_cast<size_t>(n);
  }
  buffer_.clear();
  return OkStatus();
}

Status FileWriter::SyncAndClose() {
  RETURN_IF_ERROR(FlushBuffer());
  if (::fsync(fd_) != 0) return IoError("fsync", path_, errno);
  const int fd = fd_;
  fd_ = -1;
  if (::close(fd) != 0) return IoError("close", path_, errno);
  return OkStatus();
}

}  // namespace vigil::tsdb::block
