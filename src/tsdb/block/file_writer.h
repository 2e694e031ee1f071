#pragma once
// An append-only file written through a 1 MiB user-space buffer, for block files.
// Private to tsdb/block. Not thread-safe.
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "common/status.h"

namespace vigil::tsdb::block {

class FileWriter {
 public:
  // Creates (truncating) `path`. Unavailable naming the path on failure.
  static StatusOr<std::unique_ptr<FileWriter>> Create(const std::string& path);
  // Closes the file without syncing it.
  ~FileWriter();
  FileWriter(const FileWriter&) = delete;
  FileWriter& operator=(const FileWriter&) = delete;

  Status Append(std::string_view data);
  // Writes out the buffer, fsyncs and closes. Unavailable naming the path on failure.
  Status SyncAndClose();
  // Bytes appended so far.
  uint64_t size() const { return size_; }

 private:
  FileWriter(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
  Status FlushBuffer();

  std::string path_;
  int fd_;
  std::string buffer_;
  uint64_t size_ = 0;
};

}  // namespace vigil::tsdb::block
